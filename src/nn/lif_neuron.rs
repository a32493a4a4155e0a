//! `LifNeuron`: leaky integrate-and-fire neurons without synaptic state (Rockpool's
//! `LIFNeuronTorch`): the input current enters the membrane directly.
//!
//! ```text
//! V[j] = α[j]·V[j] + I_in[t, j] + bias[j] + σ·√dt·ξ      α = exp(−dt/τ_mem)
//! S[t,j] = min(max_spikes_per_dt, floor(V/θ)) if V ≥ θ else 0
//! V[j] −= S[t,j]·θ[j]
//! ```
//!
//! Shape `(N,)`. Parameters `tau_mem` (taus, 20 ms), `bias` (biases, 0), `threshold`
//! (thresholds, 1). State `vmem`, `spikes` `(N,)`. Records `vmem`, `spikes` `[B, T, N]`. It runs
//! on the fused LIF operation with the synaptic carry switched off.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::defaults;
use super::kernels::lif::{LifSequenceInput, LifSequenceOptions, lif_sequence};
use super::lif::floored_tau_to_leak;
use super::per_neuron::PerNeuron;
use super::surrogate::Surrogate;
use crate::error::{Error, Result};
use crate::module::{AttrField, Evolution, Evolve, StateTree, Tree, auto_batch, state_entry};

/// Hyper-parameters of a [`LifNeuron`] layer (also its TOML form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifNeuronConfig {
    /// Neurons (required, at least 1).
    pub n: usize,
    /// Membrane time constant(s), seconds (default 20 ms).
    pub tau_mem: PerNeuron,
    /// Bias(es) (default 0).
    pub bias: PerNeuron,
    /// Threshold(s) (default 1).
    pub threshold: PerNeuron,
    /// Time step, seconds (default 1 ms).
    pub dt: f64,
    /// Membrane noise standard deviation (default 0).
    pub noise_std: f64,
    /// Spike cap per step (default 65536).
    pub max_spikes_per_dt: f64,
    /// Surrogate gradient (default `step_pwl`).
    pub surrogate: Surrogate,
}

impl Default for LifNeuronConfig {
    /// Rockpool's defaults, with `n = 0` (which [`LifNeuronConfig::init`] refuses: give `n`).
    fn default() -> Self {
        Self {
            n: 0,
            tau_mem: PerNeuron::Scalar(defaults::TAU_LIF),
            bias: PerNeuron::zero(),
            threshold: PerNeuron::Scalar(defaults::THRESHOLD),
            dt: defaults::DT,
            noise_std: 0.0,
            max_spikes_per_dt: defaults::MAX_SPIKES_PER_DT,
            surrogate: Surrogate::default(),
        }
    }
}

impl LifNeuronConfig {
    /// `n` neurons with Rockpool's defaults.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            ..Self::default()
        }
    }

    /// Builds the layer.
    pub fn init(&self, device: &Device) -> Result<LifNeuron> {
        let n = self.n;
        if n == 0 {
            return Err(Error::value(
                "LifNeuron.n",
                "needs at least one neuron (n ≥ 1)",
            ));
        }
        defaults::check_simulation(
            "LifNeuron",
            self.dt,
            self.noise_std,
            Some(self.max_spikes_per_dt),
        )?;
        defaults::check_elements("LifNeuron state", &[n])?;
        self.surrogate
            .validate()
            .map_err(|m| Error::value("LifNeuron.surrogate", m))?;
        let tau =
            self.tau_mem
                .to_positive_tensor(n, device, "LifNeuron.tau_mem", "time constants")?;
        let thr =
            self.threshold
                .to_positive_tensor(n, device, "LifNeuron.threshold", "thresholds")?;
        Ok(LifNeuron {
            tau_mem: Param::from_tensor(tau),
            bias: Param::from_tensor(self.bias.to_tensor(n, device, "LifNeuron.bias")?),
            threshold: Param::from_tensor(thr),
            dt: self.dt,
            noise_std: self.noise_std,
            max_spikes_per_dt: self.max_spikes_per_dt,
            surrogate: self.surrogate,
            vmem: Tensor::zeros([n], device),
            spikes: Tensor::zeros([n], device),
            init: [
                self.tau_mem.clone(),
                self.bias.clone(),
                self.threshold.clone(),
            ],
        })
    }
}

/// LIF neurons without synapses (Rockpool's `LIFNeuronTorch`).
#[doc(alias = "LIFNeuronTorch")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct LifNeuron {
    /// Membrane time constants `(N,)`, seconds.
    pub tau_mem: Param<Tensor<1>>,
    /// Biases `(N,)`.
    pub bias: Param<Tensor<1>>,
    /// Thresholds `(N,)`.
    pub threshold: Param<Tensor<1>>,
    /// Time step, seconds.
    pub dt: f64,
    /// Noise standard deviation.
    pub noise_std: f64,
    /// Spike cap per step.
    pub max_spikes_per_dt: f64,
    /// Surrogate gradient.
    #[module(skip)]
    pub surrogate: Surrogate,
    /// Stored membrane `(N,)`.
    pub vmem: Tensor<1>,
    /// Stored spikes of the last step `(N,)`.
    pub spikes: Tensor<1>,
    /// The initial `tau_mem`, `bias`, `threshold`, for `reset_parameters`.
    #[module(skip)]
    init: [PerNeuron; 3],
}

/// The state of a [`LifNeuron`] layer for a batch.
#[derive(Clone, Debug)]
pub struct LifNeuronState {
    /// Membrane potentials after reset `[B, N]`.
    pub vmem: Tensor<2>,
    /// Spike counts of the last step `[B, N]`.
    pub spikes: Tensor<2>,
}

impl LifNeuronState {
    /// The initial (zero) state of `batch` rows of `n` neurons.
    pub fn initial(batch: usize, n: usize, device: &Device) -> Self {
        Self {
            vmem: Tensor::zeros([batch, n], device),
            spikes: Tensor::zeros([batch, n], device),
        }
    }

    /// Reads a batched state tree, checking every entry's shape.
    pub fn from_tree(tree: &StateTree, batch: usize, n: usize) -> Result<Self> {
        Ok(Self {
            vmem: state_entry(tree, "vmem", [batch, n], "LIFNeuron")?,
            spikes: state_entry(tree, "spikes", [batch, n], "LIFNeuron")?,
        })
    }

    /// Rockpool's state tree: `vmem`, `spikes`.
    pub fn into_tree(self) -> StateTree {
        Tree::new()
            .with("vmem", self.vmem.into())
            .with("spikes", self.spikes.into())
    }
}

impl LifNeuron {
    /// Re-initialises `tau_mem`, `bias` and `threshold` to their initial values; keeps
    /// simulation parameters, state and constant-ness.
    fn reinit(&mut self) {
        let (n, device) = (self.vmem.dims()[0], self.vmem.device());
        let [tau, bias, thr] = &self.init;
        if let (Ok(tau), Ok(bias), Ok(thr)) = (
            tau.to_positive_tensor(n, &device, "LifNeuron.tau_mem", "time constants"),
            bias.to_tensor(n, &device, "LifNeuron.bias"),
            thr.to_positive_tensor(n, &device, "LifNeuron.threshold", "thresholds"),
        ) {
            // Shapes match by construction, so setting cannot fail.
            let _ = self.tau_mem.set_value(tau.into(), "LIFNeuron.tau_mem");
            let _ = self.bias.set_value(bias.into(), "LIFNeuron.bias");
            let _ = self.threshold.set_value(thr.into(), "LIFNeuron.threshold");
        }
    }
}

crate::module_view!(LifNeuron {
    class: "LIFNeuron",
    shape: |s| vec![s.vmem.dims()[0]],
    spiking: |_s| (false, true),
    parameters: { tau_mem: Taus, bias: Biases, threshold: Thresholds },
    simulation_parameters: { dt, noise_std, max_spikes_per_dt, surrogate },
    state: { vmem, spikes },
    submodules: {},
    reset_parameters: reinit,
    check_attribute: check_attribute,
});

impl LifNeuron {
    /// The rules beyond the generic ones: a positive threshold.
    fn check_attribute(&self, name: &str, value: &crate::module::Value) -> Result<()> {
        crate::module::check::positive_threshold("LIFNeuron", name, value)
    }
}

impl Evolve for LifNeuron {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let n = self.vmem.dims()[0];
        let input = auto_batch(input, n, "LIFNeuron")?;
        if let Some(ev) = crate::module::empty_evolution(&input, n, &state) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let device = input.device();
        let LifNeuronState {
            vmem: v0,
            spikes: s0,
        } = LifNeuronState::from_tree(&state, b, n)?;
        let leak = floored_tau_to_leak(self.tau_mem.val(), self.dt);
        let noise = super::white_noise([b, t, n], self.noise_std, self.dt, &device);
        let seq = lif_sequence(
            LifSequenceInput {
                input,
                leak_mem: leak,
                // No synapse: β = 1 (the carry is off, so it only passes the input through).
                leak_syn: Tensor::zeros([n], &device),
                threshold: self.threshold.val(),
                bias: self.bias.val(),
                w_rec: None,
                noise,
                v0,
                i0: Tensor::zeros([b, n], &device),
                s0,
            },
            LifSequenceOptions {
                n_syn: 1,
                max_spikes: self.max_spikes_per_dt as f32,
                surrogate: self.surrogate,
                record_states: record,
                differentiable_traces: false,
                carry_synaptic_current: false,
            },
        );
        let record = if record {
            Tree::new()
                .with("vmem", seq.vmem.into())
                .with("spikes", seq.spikes.clone().into())
        } else {
            Tree::new()
        };
        let state = LifNeuronState {
            vmem: seq.v_last,
            spikes: seq.s_last,
        };
        Ok(Evolution {
            output: seq.spikes,
            state: state.into_tree(),
            record,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ModuleExt;
    use crate::test_util::{close, device, vec3};

    #[test]
    fn steps_and_gradients_by_hand() {
        let dev = device().autodiff();
        let mut cfg = LifNeuronConfig::new(1);
        cfg.tau_mem = PerNeuron::Scalar(-1e-3 / 0.5f64.ln()); // α = 0.5
        let mut m = cfg.init(&dev).unwrap();
        // V: 0.6 (no spike), 0.5·0.6 + 0.3 = 0.6, 0.3 + 1.0 = 1.3 → 1 spike, V = 0.3.
        let x = Tensor::<2>::from_floats([[0.6], [0.3], [1.0]], &dev).require_grad();
        let ev = m.evolve(x.clone(), true).unwrap();
        close(&vec3(&ev.output), &[0.0, 0.0, 1.0], 0.0);
        close(
            &ev.record.get("vmem").unwrap().to_vec_f32(),
            &[0.6, 0.6, 0.3],
            1e-6,
        );
        // StepPWL (window 0.5, θ = 1): with L = Σ w_t S_t, w = [1, 2, 3]:
        // t=3: gU3 = 3; t=2: gV2 = α·gU3 = 1.5, gU2 = 1.5 + (2 − 1.5)·1 = 2;
        // t=1: gV1 = α·gU2 = 1, gU1 = 1 + (1 − 1)·1 = 1. dL/dx = gU.
        let w = Tensor::<3>::from_floats([[[1.0], [2.0], [3.0]]], &dev);
        let g = (ev.output * w).sum().backward();
        let gx = x
            .grad(&g)
            .unwrap()
            .into_data()
            .try_to_vec_as::<f32>()
            .unwrap();
        close(&gx, &[1.0, 2.0, 3.0], 1e-6);
        assert_eq!(m.describe(), "LIFNeuron with shape (1,)");
        assert_eq!(m.state().names(), ["vmem", "spikes"]);
    }
}
