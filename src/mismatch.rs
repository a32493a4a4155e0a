//! Device mismatch, as Rockpool's `mismatch_generator` models it: every selected parameter
//! element becomes `p' = p + p·σ·ξ` with `ξ ~ N(0, 1)` drawn independently and
//! `σ = percent_deviation / sigma_rule` (Rockpool's defaults: 30 % at 3 σ, so σ = 0.1). Used to
//! evaluate how a trained network holds up on imprecise hardware (apply it to a copy, evaluate,
//! repeat with other seeds), seeded so a figure can be reproduced.

use burn::tensor::TensorData;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::module::{FamilyFilter, ModuleExt, Tree, Value};

/// How much mismatch, and on what.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The deviation reached at `sigma_rule` standard deviations, as a fraction (0.3: 30 %).
    pub percent_deviation: f64,
    /// How many standard deviations `percent_deviation` is (3).
    pub sigma_rule: f64,
    /// The parameter families to perturb (e.g. `weights`, `taus`); empty: all parameters.
    pub families: Vec<String>,
}

impl Default for Mismatch {
    /// Rockpool's defaults: 30 % at 3 σ, every parameter.
    fn default() -> Self {
        Self {
            percent_deviation: 0.3,
            sigma_rule: 3.0,
            families: Vec::new(),
        }
    }
}

impl Mismatch {
    /// The relative standard deviation `σ`.
    pub fn sigma(&self) -> f64 {
        self.percent_deviation / self.sigma_rule
    }

    /// Perturbs the parameters of `module` in place, drawing from `seed`. Parameters made
    /// constant are left alone (they are not parameters); values pass the module's own checks
    /// (a time constant pushed below its floor is refused, naming it).
    ///
    /// # Errors
    /// [`Error::Value`] for a negative or non-finite deviation, or a value the module refuses.
    pub fn apply(&self, module: &mut impl ModuleExt, seed: u64) -> Result<()> {
        let sigma = self.sigma();
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(Error::value(
                "mismatch",
                format!(
                    "percent_deviation = {} at sigma_rule = {}: σ must be finite and ≥ 0",
                    self.percent_deviation, self.sigma_rule
                ),
            ));
        }
        let filter = if self.families.is_empty() {
            FamilyFilter::All
        } else {
            FamilyFilter::Any(
                self.families
                    .iter()
                    .map(|f| f.parse().expect("infallible"))
                    .collect(),
            )
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut values = Tree::new();
        for (path, attr) in module.parameters(filter).leaves() {
            let Value::Tensor(t) = &attr.value else {
                continue;
            };
            let shape = t.shape();
            let v: Vec<f32> = t
                .to_vec_f32()
                .into_iter()
                .map(|p| {
                    // Box–Muller: a standard normal draw from two uniform ones.
                    let (u1, u2): (f64, f64) = (rng.random(), rng.random());
                    let xi = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                    (f64::from(p) * (1.0 + sigma * xi)) as f32
                })
                .collect();
            values.insert_path(&path, Value::Data(TensorData::new(v, shape)));
        }
        module.set_attributes(&values)
    }
}

/// A copy of `net` whose trainable parameters (weights, recurrent weights, time constants,
/// thresholds, biases) are `p·(1 + sigma·ξ)` with `ξ ~ N(0, 1)` per element, drawn on the
/// parameters' device from its random stream. The perturbed values are functions of the
/// originals in the autodiff graph (same parameter ids), so a loss of the copy's evolution has
/// gradients for the original parameters: mismatch-aware training.
pub fn perturbed<M: burn::module::Module>(net: &M, sigma: f64) -> M {
    net.clone().map(&mut Perturb { sigma })
}

/// The mapper of [`perturbed`].
struct Perturb {
    sigma: f64,
}

impl burn::module::ModuleMapper for Perturb {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<burn::tensor::Tensor<D>>,
    ) -> burn::module::Param<burn::tensor::Tensor<D>> {
        if !param.val().is_require_grad() {
            return param;
        }
        let sigma = self.sigma;
        param.map(|p| {
            let xi = burn::tensor::Tensor::<D>::random(
                p.shape(),
                burn::tensor::Distribution::Normal(0.0, 1.0),
                &p.device(),
            );
            p.clone() + p * xi * sigma
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::LinearConfig;
    use crate::test_util::device;

    #[test]
    fn every_element_deviates_by_sigma_relative_and_seeds_reproduce() {
        let dev = device();
        crate::device::seed(&dev, 2);
        let base = LinearConfig::new(100, 100).init(&dev);
        let w0 = base.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let run = |seed| {
            let mut l = crate::nn::Linear::from_weights(base.weight.val(), None);
            Mismatch::default().apply(&mut l, seed).unwrap();
            l.weight.val().into_data().try_to_vec::<f32>().unwrap()
        };
        let (a, b, c) = (run(7), run(7), run(8));
        assert_eq!(a, b, "same seed, same draw");
        assert_ne!(a, c);
        // (p' − p)/p ~ N(0, σ = 0.1): its mean ≈ 0 and its standard deviation ≈ 0.1.
        let rel: Vec<f64> = a
            .iter()
            .zip(&w0)
            .filter(|(_, p)| p.abs() > 1e-3)
            .map(|(q, p)| f64::from(q - p) / f64::from(*p))
            .collect();
        let n = rel.len() as f64;
        let mean = rel.iter().sum::<f64>() / n;
        let sd = (rel.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(
            mean.abs() < 0.01 && (sd - 0.1).abs() < 0.01,
            "mean {mean}, sd {sd}"
        );
        let bad = Mismatch {
            percent_deviation: f64::NAN,
            ..Mismatch::default()
        };
        let mut l = crate::nn::Linear::from_weights(base.weight.val(), None);
        assert!(bad.apply(&mut l, 0).is_err());
    }

    #[test]
    fn perturbed_copies_deviate_by_sigma_and_pass_gradients_to_the_originals() {
        let dev = crate::device::autodiff(&device());
        crate::device::seed(&dev, 5);
        let w = burn::tensor::Tensor::<2>::ones([50, 40], &dev).require_grad();
        let lin = crate::nn::Linear::from_weights(w, None);
        let noisy = perturbed(&lin, 0.1);
        let wn = noisy.weight.val();
        let v: Vec<f32> = wn.clone().into_data().try_to_vec().unwrap();
        // Weights of 1 become 1 + 0.1·ξ: mean ≈ 1, standard deviation ≈ 0.1.
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let sd = (v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        assert!(
            (mean - 1.0).abs() < 0.02 && (sd - 0.1).abs() < 0.02,
            "mean {mean}, sd {sd}"
        );
        // d(Σ w')/dw = 1 + 0.1·ξ = w' for the original weights (same parameter id).
        let grads = wn.sum().backward();
        let g = lin
            .weight
            .val()
            .grad(&grads)
            .expect("a gradient for the original weights");
        let g: Vec<f32> = g.into_data().try_to_vec().unwrap();
        for (a, b) in g.iter().zip(&v) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert_eq!(noisy.weight.id, lin.weight.id);
    }
}
