//! `ExpSyn`: exponential synapses, a leaky current per channel (Rockpool's `ExpSyn`).
//!
//! ```text
//! I[t] = (I[t-1] + x[t] + σ·√dt·ξ[t]) · β,    β = exp(−dt/τ)
//! ```
//!
//! output `I` `[B, T, N]`. Parameters: `tau` `(N,)` seconds (family `taus`, default 10 ms).
//! Simulation parameters `dt` (1 ms) and `noise_std` (0, noise added to the input before
//! filtering as Rockpool's Jax/Torch modules do). State `isyn` `(N,)`. It runs on the fused
//! LIF operation (a LIF synapse with spiking switched off), so the whole sequence is one
//! differentiable operation.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::defaults;
use super::kernels::lif::{LifSequenceInput, LifSequenceOptions, lif_sequence};
use super::lif::floored_tau_to_leak;
use super::per_neuron::PerNeuron;
use crate::error::{Error, Result};
use crate::module::{AttrField, Evolution, Evolve, StateTree, Tree, auto_batch, state_entry};

/// Hyper-parameters of an [`ExpSyn`] (also its TOML form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpSynConfig {
    /// Channels (required, at least 1).
    pub n: usize,
    /// Time constant(s), seconds (default 10 ms).
    pub tau: PerNeuron,
    /// Time step, seconds (default 1 ms).
    pub dt: f64,
    /// Input noise standard deviation (default 0).
    pub noise_std: f64,
}

impl Default for ExpSynConfig {
    /// Rockpool's defaults, with `n = 0` (which [`ExpSynConfig::init`] refuses: give `n`).
    fn default() -> Self {
        Self {
            n: 0,
            tau: PerNeuron::Scalar(defaults::TAU_EXP_SYN),
            dt: defaults::DT,
            noise_std: 0.0,
        }
    }
}

impl ExpSynConfig {
    /// `n` channels with Rockpool's defaults.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            ..Self::default()
        }
    }

    /// Sets τ, seconds.
    pub fn with_tau(mut self, tau: impl Into<PerNeuron>) -> Self {
        self.tau = tau.into();
        self
    }

    /// Builds the module.
    pub fn init(&self, device: &Device) -> Result<ExpSyn> {
        if self.n == 0 {
            return Err(Error::value(
                "ExpSyn.n",
                "needs at least one channel (n ≥ 1)",
            ));
        }
        defaults::check_simulation("ExpSyn", self.dt, self.noise_std, None)?;
        defaults::check_elements("ExpSyn state", &[self.n])?;
        let tau = self
            .tau
            .to_positive_tensor(self.n, device, "ExpSyn.tau", "time constants")?;
        Ok(ExpSyn {
            tau: Param::from_tensor(tau),
            dt: self.dt,
            noise_std: self.noise_std,
            isyn: Tensor::zeros([self.n], device),
            tau_init: self.tau.clone(),
        })
    }
}

/// Exponential synapses (Rockpool's `ExpSyn`).
#[doc(alias = "ExpSynTorch")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct ExpSyn {
    /// Time constants `(N,)`, seconds.
    pub tau: Param<Tensor<1>>,
    /// Time step, seconds.
    pub dt: f64,
    /// Input noise standard deviation.
    pub noise_std: f64,
    /// Stored current `(N,)`.
    pub isyn: Tensor<1>,
    /// The initial `tau`, for `reset_parameters`.
    #[module(skip)]
    tau_init: PerNeuron,
}

/// The state of an [`ExpSyn`] for a batch.
#[derive(Clone, Debug)]
pub struct ExpSynState {
    /// Synaptic currents `[B, N]`.
    pub isyn: Tensor<2>,
}

impl ExpSynState {
    /// The initial (zero) state of `batch` rows of `n` channels.
    pub fn initial(batch: usize, n: usize, device: &Device) -> Self {
        Self {
            isyn: Tensor::zeros([batch, n], device),
        }
    }

    /// Reads a batched state tree, checking the shape.
    pub fn from_tree(tree: &StateTree, batch: usize, n: usize) -> Result<Self> {
        Ok(Self {
            isyn: state_entry(tree, "isyn", [batch, n], "ExpSyn")?,
        })
    }

    /// Rockpool's state tree: `isyn`.
    pub fn into_tree(self) -> StateTree {
        Tree::new().with("isyn", self.isyn.into())
    }
}

impl ExpSyn {
    /// Re-initialises `tau`; keeps simulation parameters, state and constant-ness.
    fn reinit(&mut self) {
        let (n, device) = (self.isyn.dims()[0], self.isyn.device());
        if let Ok(tau) =
            self.tau_init
                .to_positive_tensor(n, &device, "ExpSyn.tau", "time constants")
        {
            // The shape matches by construction, so setting cannot fail.
            let _ = self.tau.set_value(tau.into(), "ExpSyn.tau");
        }
    }
}

crate::module_view!(ExpSyn {
    class: "ExpSyn",
    shape: |s| vec![s.isyn.dims()[0]],
    spiking: |_s| (true, false),
    parameters: { tau: Taus },
    simulation_parameters: { dt, noise_std },
    state: { isyn },
    submodules: {},
    reset_parameters: reinit,
});

impl Evolve for ExpSyn {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let _ = record;
        let n = self.isyn.dims()[0];
        let input = auto_batch(input, n, "ExpSyn")?;
        if let Some(ev) = crate::module::empty_evolution(&input, n, &state) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let device = input.device();
        let i0 = ExpSynState::from_tree(&state, b, n)?.isyn;
        let input = match super::white_noise([b, t, n], self.noise_std, self.dt, &device) {
            Some(noise) => input + noise,
            None => input,
        };
        let leak = floored_tau_to_leak(self.tau.val(), self.dt);
        // A LIF synapse whose neuron never fires (and whose membrane does not integrate,
        // leak 1): the synaptic trace is the output.
        let seq = lif_sequence(
            LifSequenceInput {
                input,
                leak_mem: Tensor::<1>::ones([n], &device),
                leak_syn: leak,
                threshold: Tensor::full([n], f32::MAX, &device),
                bias: Tensor::<1>::zeros([n], &device),
                w_rec: None,
                noise: None,
                v0: Tensor::zeros([b, n], &device),
                i0,
                s0: Tensor::zeros([b, n], &device),
            },
            LifSequenceOptions {
                max_spikes: 1.0,
                differentiable_traces: true,
                ..Default::default()
            },
        );
        let (_, isyn) = seq.traces.expect("requested");
        Ok(Evolution {
            output: isyn,
            state: ExpSynState { isyn: seq.i_last }.into_tree(),
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
    fn filter_by_hand_and_gradients() {
        let dev = device().autodiff();
        let mut m = ExpSynConfig::new(1)
            .with_tau(-1e-3 / 0.5f64.ln())
            .init(&dev)
            .unwrap();
        // β = 0.5: I = 0.5, 0.25 + 0.5·1 = 0.75, 0.375.
        let x = Tensor::<2>::from_floats([[1.0], [1.0], [0.0]], &dev).require_grad();
        let ev = m.evolve(x.clone(), false).unwrap();
        close(&vec3(&ev.output), &[0.5, 0.75, 0.375], 1e-6);
        // L = Σ I: ∂L/∂x0 = 0.5 + 0.25 + 0.125, ∂L/∂x1 = 0.5 + 0.25, ∂L/∂x2 = 0.5.
        let g = ev.output.sum().backward();
        let gx = x
            .grad(&g)
            .unwrap()
            .into_data()
            .try_to_vec_as::<f32>()
            .unwrap();
        close(&gx, &[0.875, 0.75, 0.5], 1e-6);
        // ∂L/∂τ via β: I1 = β x0, I2 = β²x0 + βx1, I3 = β³x0 + β²x1 → dL/dβ = 1 + 2β+1 + 3β²+2β
        // = 1 + 2 + 0.75 + 1 = 4.75 (x = 1, 1, 0); dβ/dτ = β·dt/τ².
        let tau = -1e-3 / 0.5f64.ln();
        let want = 4.75 * 0.5 * 1e-3 / (tau * tau);
        let gt = m.tau.val().grad(&g).unwrap().into_scalar::<f32>();
        assert!((f64::from(gt) - want).abs() < 1e-3 * want, "{gt} vs {want}");
        assert_eq!(m.describe(), "ExpSyn with shape (1,)");
        let st = m.state();
        assert!(st.get("isyn").is_some());
    }
}
