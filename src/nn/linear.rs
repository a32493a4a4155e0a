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
use crate::error::Result;
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

    /// Builds the module on `device`, drawing its weights.
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
            config: LinearConfig::new(i, o),
        }
    }

    /// `x·W (+ b)` for `x` `[B, T, size_in]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let w = self.weight.val();
        let w = match self.quantize_bits {
            Some(bits) => fake_quantize(w, bits),
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
