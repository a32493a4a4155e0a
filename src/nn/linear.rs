//! `Linear`: a weight matrix applied at every time step, `y[t] = x[t]·W + b`.
//!
//! Weight `W` has shape `(size_in, size_out)` (Rockpool's orientation, the transpose of
//! PyTorch's), family `weights`, Kaiming-uniform initialisation U(±√(6/size_in)). There is no
//! bias unless asked for; a bias `(size_out,)` (family `biases`) starts U(±√(1/size_out)).
//! The module has no state. The whole sequence goes through one matrix product.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::init::{WeightInit, uniform};
use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch};

/// Hyper-parameters of a [`Linear`] module (also its TOML form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {
    /// Number of input channels.
    pub size_in: usize,
    /// Number of output channels.
    pub size_out: usize,
    /// Whether to add a bias (default false, as in Rockpool).
    #[serde(default)]
    pub has_bias: bool,
    /// Weight initialiser (default kaiming).
    #[serde(default)]
    pub weight_init: WeightInit,
    /// Train with weights fake-quantised to signed integers of this many bits (straight-through
    /// estimator on the float weights; one scale `max|W| / (2^(bits−1) − 1)` per layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantize_bits: Option<u32>,
    /// With `quantize_bits`: how many consecutive output channels share one scale. `0` (the
    /// default): one scale for the whole layer (Xylo's global quantisation); `g ≥ 1`: one scale
    /// `max|W[:, group]| / (2^(bits−1) − 1)` per group of `g` columns, i.e. per target neuron
    /// when `g` is the synapse count of the neurons fed (Xylo's channel quantisation).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub quantize_group: usize,
}

fn is_zero(x: &usize) -> bool {
    *x == 0
}

impl LinearConfig {
    /// A `(size_in, size_out)` layer without bias.
    pub fn new(size_in: usize, size_out: usize) -> Self {
        Self {
            size_in,
            size_out,
            has_bias: false,
            weight_init: WeightInit::Kaiming,
            quantize_bits: None,
            quantize_group: 0,
        }
    }

    /// Adds (or removes) a bias.
    pub fn with_bias(mut self, has_bias: bool) -> Self {
        self.has_bias = has_bias;
        self
    }

    /// Chooses the weight initialiser.
    pub fn with_weight_init(mut self, init: WeightInit) -> Self {
        self.weight_init = init;
        self
    }

    /// Trains with weights fake-quantised to `bits`-bit signed integers, one scale per group
    /// of `group` output channels (`0`: one per layer); see the fields.
    pub fn with_quantization(mut self, bits: u32, group: usize) -> Self {
        self.quantize_bits = Some(bits);
        self.quantize_group = group;
        self
    }

    /// Checks the values and builds the module on `device`, drawing its weights.
    pub fn try_init(&self, device: &Device) -> Result<Linear> {
        if let Some(bits) = self.quantize_bits
            && !(2..=31).contains(&bits)
        {
            return Err(Error::value(
                "Linear.quantize_bits",
                format!("must be 2..=31, got {bits}"),
            ));
        }
        if self.quantize_group > 0 && !self.size_out.is_multiple_of(self.quantize_group) {
            return Err(Error::value(
                "Linear.quantize_group",
                format!(
                    "{} output channels do not split into groups of {}",
                    self.size_out, self.quantize_group
                ),
            ));
        }
        Ok(self.init(device))
    }

    /// Builds the module on `device`, drawing its weights (see [`try_init`](Self::try_init)
    /// for the checked form).
    pub fn init(&self, device: &Device) -> Linear {
        Linear {
            weight: Param::from_tensor(self.weight_init.init(self.size_in, self.size_out, device)),
            bias: self.has_bias.then(|| {
                Param::from_tensor(uniform(
                    [self.size_out],
                    (1.0 / self.size_out.max(1) as f64).sqrt(),
                    device,
                ))
            }),
            quantize_bits: self.quantize_bits,
            quantize_group: self.quantize_group,
            config: self.clone(),
        }
    }
}

/// A linear weight layer (Rockpool's `Linear`).
#[doc(alias = "LinearTorch")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Linear {
    /// Weights `(size_in, size_out)`.
    pub weight: Param<Tensor<2>>,
    /// Optional bias `(size_out,)`.
    pub bias: Option<Param<Tensor<1>>>,
    /// Fake quantisation of the weights during training (bits), if any.
    #[module(skip)]
    pub quantize_bits: Option<u32>,
    /// Output channels sharing one quantisation scale (0: the whole layer).
    #[module(skip)]
    pub quantize_group: usize,
    #[module(skip)]
    config: LinearConfig,
}

impl Linear {
    /// Builds a layer from explicit weights `(size_in, size_out)`.
    pub fn from_weights(weight: Tensor<2>, bias: Option<Tensor<1>>) -> Self {
        let [i, o] = weight.dims();
        Self {
            weight: Param::from_tensor(weight),
            bias: bias.map(Param::from_tensor),
            quantize_bits: None,
            quantize_group: 0,
            config: LinearConfig::new(i, o),
        }
    }

    /// The weight grid `(size_out,)` when the weights are fake-quantised: column `j` holds
    /// integer multiples of `step[j]` (detached). A group whose weights are all zero gets step
    /// 1, as the quantisers leave such a neuron on the unit scale.
    pub fn quantization_step(&self) -> Option<Tensor<1>> {
        let bits = self.quantize_bits?;
        Some(quantization_step(
            self.weight.val().detach(),
            bits,
            self.quantize_group,
        ))
    }

    /// `x·W (+ b)` for `x` `[B, T, size_in]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let w = self.weight.val();
        let w = match self.quantization_step() {
            Some(step) => fake_quantize_on(w, step),
            None => w,
        };
        let y = apply_weights(x, w);
        match &self.bias {
            Some(bias) => y + bias.val().unsqueeze_dim::<2>(0).unsqueeze_dim(0),
            None => y,
        }
    }

    fn redraw(&mut self) {
        let device = self.weight.val().device();
        let fresh = self.config.init(&device);
        self.weight = fresh.weight;
        self.bias = fresh.bias;
    }
}

/// Rounds `w` onto a grid of signed `bits`-bit integers times one scale
/// `max|w| / (2^(bits−1) − 1)`, passing the gradient straight through to the float weights.
pub fn fake_quantize<const D: usize>(w: Tensor<D>, bits: u32) -> Tensor<D> {
    let levels = f64::from((1u32 << (bits.clamp(2, 31) - 1)) - 1);
    let max = w.clone().abs().max().detach().into_scalar::<f32>();
    if max <= 0.0 {
        return w;
    }
    let scale = f64::from(max) / levels;
    let q = (w.clone().detach() / scale).round() * scale;
    w.clone() + (q - w.detach())
}

/// The quantisation steps `(N_out,)` of a weight matrix `w` `(N_in, N_out)` on signed
/// `bits`-bit integers: `max|w| / (2^(bits−1) − 1)` over the whole matrix (`group` 0) or over
/// each group of `group` consecutive columns; a group of zeros gets step 1.
pub fn quantization_step(w: Tensor<2>, bits: u32, group: usize) -> Tensor<1> {
    let levels = f64::from((1u32 << (bits.clamp(2, 31) - 1)) - 1);
    let [i, o] = w.dims();
    let a = w.abs();
    let max = if group == 0 || group >= o {
        a.max().reshape([1]).expand([o])
    } else {
        let g = o / group;
        a.reshape([i, g, group])
            .max_dim(2)
            .max_dim(0)
            .reshape([g, 1])
            .expand([g, group])
            .reshape([o])
    };
    let step = max / levels;
    // All-zero groups: step 1 (their weights stay 0, their thresholds are rounded as they are).
    let zero = step.clone().lower_equal_elem(0.0);
    step.mask_fill(zero, 1.0)
}

/// Rounds each column `j` of `w` `(N_in, N_out)` to integer multiples of `step[j]`, passing
/// the gradient straight through to the float weights.
pub fn fake_quantize_on(w: Tensor<2>, step: Tensor<1>) -> Tensor<2> {
    let step = step.unsqueeze_dim::<2>(0);
    let q = (w.clone().detach() / step.clone()).round() * step;
    w.clone() + (q - w.detach())
}

/// Applies a weight matrix `w` `(N_in, N_out)` to a whole sequence `x` `[B, T, N_in]` in one
/// matrix product, giving `[B, T, N_out]`. Sparse inputs (spike rasters) take the
/// event-driven product of [`super::kernels::spike_matmul`].
pub fn apply_weights(x: Tensor<3>, w: Tensor<2>) -> Tensor<3> {
    let [b, t, i] = x.dims();
    let o = w.dims()[1];
    super::kernels::spike_matmul::spike_matmul(x.reshape([b * t, i]), w).reshape([b, t, o])
}

crate::module_view!(Linear {
    class: "Linear",
    shape: |s| s.weight.val().dims().to_vec(),
    parameters: { weight: Weights, bias: Biases },
    simulation_parameters: {},
    state: {},
    submodules: {},
    reset_parameters: redraw,
});

impl Evolve for Linear {
    /// The weight grid when the weights are fake-quantised ([`Linear::quantization_step`]).
    fn output_grid(&self) -> Option<Tensor<1>> {
        self.quantization_step()
    }

    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let _ = (state, record);
        let input = auto_batch(input, self.weight.val().dims()[0], "Linear")?;
        Ok(Evolution {
            output: self.forward(input),
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ModuleExt;
    use crate::test_util::{close, device, vec3};

    #[test]
    fn closed_form_with_bias() {
        let dev = device();
        let w = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &dev);
        let b = Tensor::<1>::from_floats([0.5, -0.5], &dev);
        let mut l = Linear::from_weights(w, Some(b));
        let x = Tensor::<2>::from_floats([[1.0, 1.0], [2.0, -1.0]], &dev);
        let ev = l.evolve(x, false).unwrap();
        close(&vec3(&ev.output), &[4.5, 5.5, -0.5, -0.5], 1e-6);
        assert_eq!(l.parameters(()).names(), ["weight", "bias"]);
        assert_eq!(l.describe(), "Linear with shape (2, 2)");
    }

    #[test]
    fn kaiming_bounds_and_seeding() {
        let dev = device();
        crate::device::seed(&dev, 3);
        let a = LinearConfig::new(24, 50).init(&dev);
        crate::device::seed(&dev, 3);
        let b = LinearConfig::new(24, 50).init(&dev);
        let va = a.weight.val().to_data().try_to_vec_as::<f32>().unwrap();
        let vb = b.weight.val().to_data().try_to_vec_as::<f32>().unwrap();
        assert_eq!(va, vb, "same seed, same weights");
        let bound = (6.0f32 / 24.0).sqrt();
        assert!(va.iter().all(|w| w.abs() <= bound));
        // The draws fill the interval (max close to the bound).
        let max = va.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        assert!(max > 0.9 * bound, "max {max} vs bound {bound}");
        assert!(a.bias.is_none(), "no bias by default");
        let with_bias = LinearConfig::new(4, 9).with_bias(true).init(&dev);
        let bb = with_bias
            .bias
            .unwrap()
            .val()
            .to_data()
            .try_to_vec_as::<f32>()
            .unwrap();
        assert!(bb.iter().all(|x| x.abs() <= (1.0f32 / 9.0).sqrt()));
    }
}
