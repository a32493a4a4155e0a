//! `Lif`: leaky integrate-and-fire neurons with exponential synapses (Rockpool's `LIF` /
//! `LIFTorch`), trained with surrogate gradients.
//!
//! Shape `(N_in, N)` with `N_syn = N_in / N` synapses per neuron: input channel `k` feeds
//! neuron `k / N_syn`, synapse `k % N_syn`. Each step, for all batches in parallel:
//!
//! ```text
//! 1. I_syn[j,s] += I_in[t, j·N_syn + s]
//! 2. I_syn[j,s] += (S[t-1] · W_rec)[j·N_syn + s]          (recurrent layers only)
//! 3. V[j]       *= α[j]          α = exp(−dt/τ_mem)
//! 4. I_syn[j,s] *= β[j,s]        β = exp(−dt/τ_syn)
//! 5. V[j]       += Σ_s I_syn[j,s] + bias[j] + σ·√dt·ξ      (ξ ~ N(0,1) per step)
//! 6. S[t,j]      = min(max_spikes_per_dt, floor(V/θ)) if V ≥ θ else 0
//! 7. V[j]       −= S[t,j]·θ[j]                             (subtractive reset)
//! ```
//!
//! Output: spike counts `[B, T, N]`. Records: `vmem` `[B,T,N]` (after reset), `isyn`
//! `[B,T,N,N_syn]` (after decay), `irec` `[B,T,N,N_syn]`, `spikes` `[B,T,N]`.
//!
//! Leak modes (Rockpool's `leak_mode`) choose which pair of parameters is trained: `taus`
//! (`tau_mem` `(N,)`, `tau_syn` `(N, N_syn)`, seconds, family `taus`), `decays` (`alpha`,
//! `beta`, family `decays`) or `bitshifts` (`dash_mem`, `dash_syn`, family `bitshifts`, with
//! `α = 1 − 2^−dash`). Conversions: `α = exp(−dt/τ)`, `τ = −dt/ln α`,
//! `dash = −log2(1 − α)`. With `quantize_decays` (Rockpool's `LIFBitshiftTorch`, Xylo's
//! integer decay) the decays come from the integer `dash = round(log2(τ/dt))` (at least 0),
//! with the rounding passed straight through in the backward. For numerical safety during
//! training, time constants are clamped at `dt/10`, decays to `[0, 1]` and bit shifts at 0.
//!
//! The recurrence runs as one fused operation with a hand-written backward
//! The recurrence runs as one fused operation with a hand-written backward
//! ([`crate::nn::kernels`]); [`Lif::evolve_reference`] is the same model in plain tensor
//! operations with straight-through surrogates, kept as the reference the fused path is
//! tested against.
//!
//! Files: `config.rs` ([`LifConfig`], [`LeakMode`], [`LifOutput`]), `state.rs` ([`LifState`]),
//! `leak.rs` (the three leak parameterisations), `reference.rs` (the plain-tensor reference);
//! this file holds the module, its view and its dynamics. A caller that changes parameters on
//! the way in (quantisation-aware training, [`crate::quant`]) evolves through
//! [`Lif::dynamics`] and [`Lif::run`].

mod config;
mod leak;
mod reference;
mod state;

pub use config::{LeakMode, LifConfig, LifOutput};
pub use leak::{
    dash_to_decay, dash_to_leak, decay_to_dash, floored_tau_to_leak, round_ste, tau_to_decay,
    tau_to_leak,
};
pub use state::LifState;

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::init::WeightInit;
use super::kernels::lif::{LifSequenceInput, LifSequenceOptions, lif_sequence};
use super::per_neuron::PerNeuron;
use super::surrogate::Surrogate;
use crate::error::{Error, Result};
use crate::module::{AttrField, Evolution, Evolve, StateTree, Tree, Value, auto_batch};

/// Leaky integrate-and-fire neurons with exponential synapses (Rockpool's `LIF`).
#[doc(alias = "LIF")]
#[doc(alias = "LIFTorch")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Lif {
    /// Membrane time constants `(N,)`, seconds (leak mode `taus`).
    pub tau_mem: Option<Param<Tensor<1>>>,
    /// Synaptic time constants `(N, N_syn)`, seconds (leak mode `taus`).
    pub tau_syn: Option<Param<Tensor<2>>>,
    /// Membrane decays `(N,)` (leak mode `decays`).
    pub alpha: Option<Param<Tensor<1>>>,
    /// Synaptic decays `(N, N_syn)` (leak mode `decays`).
    pub beta: Option<Param<Tensor<2>>>,
    /// Membrane bit shifts `(N,)` (leak mode `bitshifts`).
    pub dash_mem: Option<Param<Tensor<1>>>,
    /// Synaptic bit shifts `(N, N_syn)` (leak mode `bitshifts`).
    pub dash_syn: Option<Param<Tensor<2>>>,
    /// Biases `(N,)`.
    pub bias: Param<Tensor<1>>,
    /// Thresholds `(N,)`.
    pub threshold: Param<Tensor<1>>,
    /// Recurrent weights `(N, N·N_syn)`.
    pub w_rec: Option<Param<Tensor<2>>>,
    /// Time step, seconds.
    pub dt: f64,
    /// Membrane noise standard deviation.
    pub noise_std: f64,
    /// Spike cap per step.
    pub max_spikes_per_dt: f64,
    /// Surrogate gradient.
    #[module(skip)]
    pub surrogate: Surrogate,
    /// Leak mode.
    #[module(skip)]
    pub leak_mode: LeakMode,
    /// Integer bit-shift decays.
    pub quantize_decays: bool,
    /// Spikes or membrane output.
    #[module(skip)]
    pub output: LifOutput,
    /// Stored membrane `(N,)`.
    pub vmem: Tensor<1>,
    /// Stored synaptic currents `(N, N_syn)`.
    pub isyn: Tensor<2>,
    /// Stored spikes of the last step `(N,)`.
    pub spikes: Tensor<1>,
    /// How the parameters were initialised, for [`reset_parameters`](crate::module::ModuleExt::reset_parameters).
    #[module(skip)]
    init: LifInit,
}

/// The initialisers of a [`Lif`]'s parameters (only those: simulation parameters live in the
/// module's own fields), kept so that `reset_parameters` can repeat them.
#[derive(Clone, Debug)]
struct LifInit {
    /// Membrane time constant(s), seconds.
    tau_mem: PerNeuron,
    /// Synaptic time constant(s), seconds.
    tau_syn: PerNeuron,
    /// Bias(es).
    bias: PerNeuron,
    /// Threshold(s).
    threshold: PerNeuron,
    /// Initialiser and scale of `w_rec`, when recurrent.
    rec_init: Option<(WeightInit, f64)>,
}

crate::module_view!(Lif {
    class: "LIF",
    shape: |s| {
        let [n, syn] = s.isyn.dims();
        if syn == 1 { vec![n] } else { vec![n * syn, n] }
    },
    // A membrane read-out emits potentials, not spikes.
    spiking: |s| (true, s.output == LifOutput::Spikes),
    parameters: {
        tau_mem: Taus, tau_syn: Taus, alpha: Decays, beta: Decays,
        dash_mem: Bitshifts, dash_syn: Bitshifts,
        bias: Biases, threshold: Thresholds, w_rec: Weights
    },
    simulation_parameters: { dt, noise_std, max_spikes_per_dt, surrogate, leak_mode, quantize_decays, output },
    state: { vmem, isyn, spikes },
    submodules: {},
    reset_parameters: reinit,
    check_attribute: check_attribute,
});

/// The parameters the LIF dynamics run with, as differentiable tensors (see [`Lif::dynamics`]).
///
/// A caller may change them on the way into [`Lif::run`], e.g. to put the threshold on an
/// integer grid during quantisation-aware training.
#[derive(Clone, Debug)]
pub struct LifDynamics {
    /// Membrane leaks `1 − α` `(N,)`.
    pub leak_mem: Tensor<1>,
    /// Synaptic leaks `1 − β` `(N·N_syn,)`, neuron-major.
    pub leak_syn: Tensor<1>,
    /// Thresholds `(N,)`.
    pub threshold: Tensor<1>,
    /// Biases `(N,)`.
    pub bias: Tensor<1>,
    /// Recurrent weights `(N, N·N_syn)`, when recurrent.
    pub w_rec: Option<Tensor<2>>,
}

/// The result of [`Lif::run`]: output, typed final state, and records.
#[derive(Clone, Debug)]
pub struct LifRun {
    /// Spike counts or membrane potentials `[B, T, N]`.
    pub output: Tensor<3>,
    /// Final state.
    pub state: LifState,
    /// Records (`vmem`, `isyn`, `irec`, `spikes`), empty unless asked for.
    pub record: StateTree,
}

impl Lif {
    /// The LIF rules beyond the generic ones: a positive threshold.
    fn check_attribute(&self, name: &str, value: &crate::module::Value) -> Result<()> {
        crate::module::check::positive_threshold("LIF", name, value)
    }

    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.vmem.dims()[0]
    }

    /// Synapses per neuron.
    pub fn n_syn(&self) -> usize {
        self.isyn.dims()[1]
    }

    /// Makes a parameter constant (Rockpool's `Constant`).
    pub fn set_constant(&mut self, name: &str) -> Result<()> {
        fn c<const D: usize>(p: &mut Option<Param<Tensor<D>>>) -> bool {
            p.take()
                .map(|x| x.set_require_grad(false))
                .map(|x| *p = Some(x))
                .is_some()
        }
        let ok = match name {
            "tau_mem" => c(&mut self.tau_mem),
            "tau_syn" => c(&mut self.tau_syn),
            "alpha" => c(&mut self.alpha),
            "beta" => c(&mut self.beta),
            "dash_mem" => c(&mut self.dash_mem),
            "dash_syn" => c(&mut self.dash_syn),
            "w_rec" => c(&mut self.w_rec),
            "bias" => {
                self.bias = self.bias.clone().set_require_grad(false);
                true
            }
            "threshold" => {
                self.threshold = self.threshold.clone().set_require_grad(false);
                true
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::value(
                "Lif.constant",
                format!(
                    "'{name}' is not a parameter of this Lif (leak mode {})",
                    self.leak_mode
                ),
            ))
        }
    }

    /// Re-initialises the parameters from their initialisers at the current `dt` and leak
    /// mode; keeps simulation parameters, state, parameter ids and constant-ness.
    fn reinit(&mut self) {
        let device = self.vmem.device();
        let Ok(p) = self
            .init
            .draw(self.n(), self.n_syn(), self.dt, self.leak_mode, &device)
        else {
            return;
        };
        let set = |field: &mut dyn AttrField, t: Value| {
            // Shapes match by construction, so setting cannot fail.
            let _ = field.set_value(t, "Lif");
        };
        let (mem, syn) = (Value::from(p.mem), Value::from(p.syn));
        match self.leak_mode {
            LeakMode::Taus => {
                set(&mut self.tau_mem, mem);
                set(&mut self.tau_syn, syn);
            }
            LeakMode::Decays => {
                set(&mut self.alpha, mem);
                set(&mut self.beta, syn);
            }
            LeakMode::Bitshifts => {
                set(&mut self.dash_mem, mem);
                set(&mut self.dash_syn, syn);
            }
        }
        set(&mut self.bias, p.bias.into());
        set(&mut self.threshold, p.threshold.into());
        if let Some(w) = p.w_rec {
            set(&mut self.w_rec, w.into());
        }
    }

    /// The parameters the dynamics run with: the leaks of [`Lif::leaks`], threshold, bias and
    /// recurrent weights, differentiable with respect to the trained parameters.
    pub fn dynamics(&self) -> LifDynamics {
        let (leak_mem, leak_syn) = self.leaks();
        LifDynamics {
            leak_mem,
            leak_syn,
            threshold: self.threshold.val(),
            bias: self.bias.val(),
            w_rec: self.w_rec.as_ref().map(|w| w.val()),
        }
    }

    /// The membrane noise `σ·√dt·ξ` `[b, t, N]` (`None` when `σ = 0`).
    pub(crate) fn noise(&self, b: usize, t: usize, device: &Device) -> Option<Tensor<3>> {
        super::white_noise([b, t, self.n()], self.noise_std, self.dt, device)
    }

    /// Evolves `input` `[B, T, N·N_syn]` (one channel is broadcast) from `state` with the given
    /// `dynamics` (normally [`Lif::dynamics`]) as one fused operation; with `record` the
    /// result carries `vmem`, `isyn`, `irec` and `spikes` traces.
    pub fn run(
        &self,
        input: Tensor<3>,
        state: LifState,
        record: bool,
        dynamics: LifDynamics,
    ) -> Result<LifRun> {
        let (n, syn) = (self.n(), self.n_syn());
        let input = auto_batch(input, n * syn, "Lif")?;
        let [b, t, _] = input.dims();
        let device = input.device();
        let state_dims = (state.vmem.dims(), state.isyn.dims(), state.spikes.dims());
        if state_dims != ([b, n], [b, n, syn], [b, n]) {
            return Err(Error::shape(
                "state of Lif (vmem, isyn, spikes)",
                format!("[{b}, {n}], [{b}, {n}, {syn}], [{b}, {n}]"),
                &[state_dims.0[0], state_dims.0[1]],
            ));
        }
        let seq = lif_sequence(
            LifSequenceInput {
                input,
                leak_mem: dynamics.leak_mem,
                leak_syn: dynamics.leak_syn,
                threshold: dynamics.threshold,
                bias: dynamics.bias,
                w_rec: dynamics.w_rec,
                noise: self.noise(b, t, &device),
                v0: state.vmem,
                i0: state.isyn.reshape([b, n * syn]),
                s0: state.spikes,
            },
            LifSequenceOptions {
                n_syn: syn,
                max_spikes: self.max_spikes_per_dt as f32,
                surrogate: self.surrogate,
                record_states: record,
                differentiable_traces: self.output == LifOutput::Vmem,
                carry_synaptic_current: true,
            },
        );
        let record = if record {
            Tree::new()
                .with("vmem", seq.vmem.into())
                .with("isyn", seq.isyn.reshape([b, t, n, syn]).into())
                .with("irec", seq.irec.reshape([b, t, n, syn]).into())
                .with("spikes", seq.spikes.clone().into())
        } else {
            Tree::new()
        };
        let output = match (self.output, seq.traces) {
            (LifOutput::Vmem, Some((vmem, _))) => vmem,
            _ => seq.spikes,
        };
        Ok(LifRun {
            output,
            state: LifState {
                vmem: seq.v_last,
                isyn: seq.i_last.reshape([b, n, syn]),
                spikes: seq.s_last,
            },
            record,
        })
    }
}

impl Evolve for Lif {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let (n, syn) = (self.n(), self.n_syn());
        let input = crate::module::auto_batch(input, n * syn, "LIF")?;
        if let Some(ev) = crate::module::empty_evolution(&input, n, &state) {
            return Ok(ev);
        }
        let b = input.dims()[0];
        let state = LifState::from_tree(&state, b, n, syn, "Lif")?;
        let run = self.run(input, state, record, self.dynamics())?;
        Ok(Evolution {
            output: run.output,
            state: run.state.into_tree(),
            record: run.record,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{ModuleExt, Value};
    use crate::test_util::{close, device};

    fn vals<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec_as::<f32>().unwrap()
    }

    #[test]
    fn reset_parameters_keeps_simulation_parameters_and_constants() {
        let dev = device();
        let mut lif = LifConfig::new(2)
            .with_tau_mem(vec![0.01, 0.03])
            .with_threshold(0.5)
            .with_leak_mode(LeakMode::Decays)
            .init(&dev)
            .unwrap();
        lif.set_constant("alpha").unwrap();
        lif.set_attributes(
            &Tree::new()
                .with("dt", Value::Float(2e-3))
                .with("noise_std", Value::Float(0.1))
                .with("alpha", Value::Float(0.9))
                .with("threshold", Value::Float(2.0)),
        )
        .unwrap();
        lif.reset_parameters();
        // Simulation parameters set at run time stay.
        assert_eq!((lif.dt, lif.noise_std), (2e-3, 0.1));
        // Parameters return to their initial values, converted at the current dt:
        // α = exp(−2 ms / τ) for τ = 10 ms, 30 ms.
        let want = [(-0.2f64).exp() as f32, (-2.0f64 / 30.0).exp() as f32];
        close(&vals(lif.alpha.as_ref().unwrap().val()), &want, 1e-6);
        close(&vals(lif.threshold.val()), &[0.5, 0.5], 0.0);
        // What was made constant stays constant.
        assert!(lif.parameters(()).get("alpha").is_none());
        assert!(lif.simulation_parameters(()).get("alpha").is_some());
        assert!(lif.parameters(()).get("threshold").is_some());
    }

    #[test]
    fn typed_state_round_trips_through_the_tree() {
        let dev = device();
        let lif = LifConfig::new(3).with_n_syn(2).init(&dev).unwrap();
        let st = LifState::initial(4, 3, 2, &dev);
        assert_eq!(st.isyn.dims(), [4, 3, 2]);
        let tree = st.into_tree();
        assert_eq!(tree.names(), ["vmem", "isyn", "spikes"]);
        let back = LifState::from_tree(&tree, 4, 3, 2, "Lif").unwrap();
        assert_eq!(back.vmem.dims(), [4, 3]);
        // A state of the wrong shape names the entry and both shapes.
        let err = LifState::from_tree(&tree, 4, 3, 1, "Lif")
            .unwrap_err()
            .to_string();
        assert!(err.contains("isyn") && err.contains("(4, 3, 1)"), "{err}");
        // Evolving from it gives a state of the same layout.
        let ev = lif
            .evolve_with(Tensor::zeros([4, 5, 6], &dev), tree, false)
            .unwrap();
        assert_eq!(ev.state.names(), ["vmem", "isyn", "spikes"]);
    }
}
