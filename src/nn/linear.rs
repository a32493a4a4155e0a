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
use crate::module::{AttrField, Evolution, Evolve, StateTree, Tree, auto_batch};

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
    /// Factors `(size_out,)` applied to the columns of the initial weights, e.g. SynNet's
    /// `dt/τ_syn` of each target neuron (default none). Kept for `reset_parameters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_scale: Option<Vec<f64>>,
}

impl LinearConfig {
    /// A `(size_in, size_out)` layer without bias.
    pub fn new(size_in: usize, size_out: usize) -> Self {
        Self {
            size_in,
            size_out,
            has_bias: false,
            weight_init: WeightInit::Kaiming,
            column_scale: None,
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

    /// Checks the sizes and builds the module on `device`, drawing its weights.
    pub fn try_init(&self, device: &Device) -> Result<Linear> {
        if self.size_in == 0 || self.size_out == 0 {
            return Err(Error::value(
                "Linear",
                "size_in and size_out must be positive",
            ));
        }
        crate::nn::defaults::check_elements(
            "Linear weight (size_in × size_out)",
            &[self.size_in, self.size_out],
        )?;
        if let Some(scale) = &self.column_scale {
            if scale.len() != self.size_out {
                return Err(Error::shape(
                    "Linear.column_scale",
                    format!("({},)", self.size_out),
                    &[scale.len()],
                ));
            }
            if let Some(bad) = scale.iter().find(|v| !v.is_finite()) {
                return Err(Error::value(
                    "Linear.column_scale",
                    format!("must be finite, got {bad}"),
                ));
            }
        }
        Ok(self.init(device))
    }

    /// Builds the module on `device`, drawing its weights (see [`try_init`](Self::try_init)
    /// for the checked form).
    pub fn init(&self, device: &Device) -> Linear {
        let column_scale = self
            .column_scale
            .as_ref()
            .map(|s| s.iter().map(|&v| v as f32).collect::<Vec<f32>>());
        let w = self.weight_init.init(self.size_in, self.size_out, device);
        Linear {
            weight: Param::from_tensor(scale_columns(w, column_scale.as_deref())),
            bias: self
                .has_bias
                .then(|| Param::from_tensor(initial_bias(self.size_out, device))),
            weight_init: self.weight_init,
            column_scale,
        }
    }
}

/// `w` `(size_in, size_out)` with column `j` multiplied by `scale[j]` (a host-side product, so
/// the result stays a leaf of the autodiff graph).
fn scale_columns(w: Tensor<2>, scale: Option<&[f32]>) -> Tensor<2> {
    let Some(scale) = scale else { return w };
    let [i, o] = w.dims();
    let device = w.device();
    let mut v: Vec<f32> = w
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("converted to f32");
    for (k, x) in v.iter_mut().enumerate() {
        *x *= scale[k % o];
    }
    Tensor::<2>::from_data(burn::tensor::TensorData::new(v, [i, o]), &device)
}

/// Rockpool's initial bias `(size_out,)`: U(±√(1/size_out)).
fn initial_bias(size_out: usize, device: &Device) -> Tensor<1> {
    uniform([size_out], (1.0 / size_out.max(1) as f64).sqrt(), device)
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
    /// How the weights are (re-)drawn by `reset_parameters`.
    #[module(skip)]
    weight_init: WeightInit,
    /// Column factors of the initial weights (see [`LinearConfig::column_scale`]).
    #[module(skip)]
    column_scale: Option<Vec<f32>>,
}

impl Linear {
    /// Builds a layer from explicit weights `(size_in, size_out)` (and bias `(size_out,)`);
    /// `reset_parameters` redraws them with the default initialiser.
    pub fn from_weights(weight: Tensor<2>, bias: Option<Tensor<1>>) -> Self {
        Self {
            weight: Param::from_tensor(weight),
            bias: bias.map(Param::from_tensor),
            weight_init: WeightInit::Kaiming,
            column_scale: None,
        }
    }

    /// `x·W (+ b)` for `x` `[B, T, size_in]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.forward_with(x, self.weight.val())
    }

    /// `x·w (+ b)` with weights `w` `(size_in, size_out)` given by the caller (for instance
    /// fake-quantised ones, see [`crate::quant`]) and this layer's bias.
    pub fn forward_with(&self, x: Tensor<3>, w: Tensor<2>) -> Tensor<3> {
        let y = apply_weights(x, w);
        match &self.bias {
            Some(bias) => y + bias.val().unsqueeze_dim::<2>(0).unsqueeze_dim(0),
            None => y,
        }
    }

    /// Redraws the weights (and bias); keeps their ids and constant-ness.
    fn redraw(&mut self) {
        let w = self.weight.val();
        let [i, o] = w.dims();
        let device = w.device();
        // Shapes match by construction, so setting cannot fail.
        let _ = self.weight.set_value(
            scale_columns(
                self.weight_init.init(i, o, &device),
                self.column_scale.as_deref(),
            )
            .into(),
            "Linear.weight",
        );
        if let Some(b) = &mut self.bias {
            let _ = b.set_value(initial_bias(o, &device).into(), "Linear.bias");
        }
    }
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
        if let Some(ev) =
            crate::module::empty_evolution(&input, self.weight.val().dims()[1], &Tree::new())
        {
            return Ok(ev);
        }
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
