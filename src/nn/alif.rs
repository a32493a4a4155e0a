//! `ALif`: LIF neurons with an adaptive after-hyperpolarisation current (Rockpool's
//! `aLIFTorch`, deployable to XyloAudio 2).
//!
//! Each neuron has an extra current `I_ahp` driven by its own spikes of the previous step
//! through a weight `w_ahp` (negative: inhibitory) and decaying with `τ_ahp`; it enters the
//! membrane beside the synaptic currents. One step, in Rockpool's order:
//!
//! ```text
//! I_syn  = β ⊙ (I_syn + x[t] + S[t-1]·W_rec)
//! I_ahp  = γ ⊙ (I_ahp + w_ahp ⊙ S[t-1])             γ = exp(−dt/τ_ahp)
//! U      = α ⊙ V + Σ_s I_syn + I_ahp + bias + noise
//! S[t]   = min(max_spikes, floor(U/θ)) if U ≥ θ else 0;   V = U − θ ⊙ S[t]
//! ```
//!
//! That is exactly a LIF neuron with one more synapse (time constant `τ_ahp`, no external
//! input) whose recurrent weight is `w_ahp` on the diagonal, which is how it runs: on the fused
//! LIF operation with `N_syn + 1` synapses. Every LIF option (multi-synapse, `w_rec`, leak
//! modes, spike caps, noise, surrogates, membrane read-out) carries over.
//!
//! Shape as [`Lif`]. Extra parameters `w_ahp` `(N,)` (family `weights`, default −0.9) and
//! `tau_ahp` `(N,)` seconds (family `taus`, default 20 ms); extra state `iahp` `(N,)`; extra
//! record `iahp` `[B, T, N]`.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::defaults;
use super::kernels::lif::{LifSequenceInput, LifSequenceOptions, lif_sequence};
use super::lif::{Lif, LifConfig, LifOutput, LifState, floored_tau_to_leak};
use super::per_neuron::PerNeuron;
use crate::error::Result;
use crate::module::{
    Attr, AttrField, AttrKind, Evolution, Evolve, Family, ModuleExt, ModuleView, StateTree, Tree,
    Value, auto_batch, state_entry,
};

/// Hyper-parameters of an [`ALif`] layer (also its TOML form): every [`LifConfig`] field plus
/// the after-hyperpolarisation current's. Unknown keys are refused, listing every accepted one
/// (the LIF part is read through [`ALifToml`], its flat TOML form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ALifToml")]
pub struct ALifConfig {
    /// AHP time constant(s), seconds (default 20 ms).
    pub tau_ahp: PerNeuron,
    /// AHP weight(s) (default −0.9).
    pub w_ahp: PerNeuron,
    /// The LIF part.
    #[serde(flatten)]
    pub lif: LifConfig,
}

/// The flat TOML form of an [`ALifConfig`]: each field named, so that serde refuses unknown
/// keys (a flattened [`LifConfig`] would disable `deny_unknown_fields`). Field meanings and
/// defaults as in [`LifConfig`] and [`ALifConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)]
pub struct ALifToml {
    pub n: usize,
    pub n_syn: usize,
    pub tau_mem: PerNeuron,
    pub tau_syn: PerNeuron,
    pub bias: PerNeuron,
    pub threshold: PerNeuron,
    pub has_rec: bool,
    pub rec_init: crate::nn::init::WeightInit,
    pub rec_scale: f64,
    pub dt: f64,
    pub noise_std: f64,
    pub max_spikes_per_dt: f64,
    pub surrogate: crate::nn::surrogate::Surrogate,
    pub leak_mode: crate::nn::lif::LeakMode,
    pub quantize_decays: bool,
    pub constant: Vec<String>,
    pub output: LifOutput,
    pub tau_ahp: PerNeuron,
    pub w_ahp: PerNeuron,
}

impl Default for ALifToml {
    fn default() -> Self {
        let ALifConfig {
            tau_ahp,
            w_ahp,
            lif,
        } = ALifConfig::default();
        let LifConfig {
            n,
            n_syn,
            tau_mem,
            tau_syn,
            bias,
            threshold,
            has_rec,
            rec_init,
            rec_scale,
            dt,
            noise_std,
            max_spikes_per_dt,
            surrogate,
            leak_mode,
            quantize_decays,
            constant,
            output,
        } = lif;
        ALifToml {
            n,
            n_syn,
            tau_mem,
            tau_syn,
            bias,
            threshold,
            has_rec,
            rec_init,
            rec_scale,
            dt,
            noise_std,
            max_spikes_per_dt,
            surrogate,
            leak_mode,
            quantize_decays,
            constant,
            output,
            tau_ahp,
            w_ahp,
        }
    }
}

impl From<ALifToml> for ALifConfig {
    fn from(t: ALifToml) -> Self {
        ALifConfig {
            tau_ahp: t.tau_ahp,
            w_ahp: t.w_ahp,
            lif: LifConfig {
                n: t.n,
                n_syn: t.n_syn,
                tau_mem: t.tau_mem,
                tau_syn: t.tau_syn,
                bias: t.bias,
                threshold: t.threshold,
                has_rec: t.has_rec,
                rec_init: t.rec_init,
                rec_scale: t.rec_scale,
                dt: t.dt,
                noise_std: t.noise_std,
                max_spikes_per_dt: t.max_spikes_per_dt,
                surrogate: t.surrogate,
                leak_mode: t.leak_mode,
                quantize_decays: t.quantize_decays,
                constant: t.constant,
                output: t.output,
            },
        }
    }
}

/// Rockpool's default AHP weight.
const W_AHP: f64 = -0.9;

impl Default for ALifConfig {
    /// Rockpool's defaults, with `n = 0` (which [`ALifConfig::init`] refuses: give `n`).
    fn default() -> Self {
        ALifConfig {
            tau_ahp: PerNeuron::Scalar(defaults::TAU_LIF),
            w_ahp: PerNeuron::Scalar(W_AHP),
            lif: LifConfig::default(),
        }
    }
}

impl ALifConfig {
    /// `n` neurons with Rockpool's defaults.
    pub fn new(n: usize) -> Self {
        ALifConfig {
            lif: LifConfig::new(n),
            ..Self::default()
        }
    }

    /// Sets the AHP time constant(s), seconds.
    pub fn with_tau_ahp(mut self, tau: impl Into<PerNeuron>) -> Self {
        self.tau_ahp = tau.into();
        self
    }

    /// Sets the AHP weight(s).
    pub fn with_w_ahp(mut self, w: impl Into<PerNeuron>) -> Self {
        self.w_ahp = w.into();
        self
    }

    /// Builds the layer.
    pub fn init(&self, device: &Device) -> Result<ALif> {
        let mut lif_cfg = self.lif.clone();
        let own_constants: Vec<String> = lif_cfg
            .constant
            .iter()
            .filter(|c| *c == "w_ahp" || *c == "tau_ahp")
            .cloned()
            .collect();
        lif_cfg.constant.retain(|c| !own_constants.contains(c));
        let lif = lif_cfg.init(device)?;
        let n = lif.n();
        let tau = self
            .tau_ahp
            .to_positive_tensor(n, device, "ALif.tau_ahp", "time constants")?;
        let w = self.w_ahp.to_tensor(n, device, "ALif.w_ahp")?;
        let mut tau_ahp = Param::from_tensor(tau);
        let mut w_ahp = Param::from_tensor(w);
        for c in &own_constants {
            match c.as_str() {
                "tau_ahp" => tau_ahp = tau_ahp.set_require_grad(false),
                _ => w_ahp = w_ahp.set_require_grad(false),
            }
        }
        Ok(ALif {
            lif,
            w_ahp,
            tau_ahp,
            iahp: Tensor::zeros([n], device),
            ahp_init: (self.tau_ahp.clone(), self.w_ahp.clone()),
        })
    }
}

/// LIF neurons with an after-hyperpolarisation current (Rockpool's `aLIFTorch`).
#[doc(alias = "aLIFTorch")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct ALif {
    /// The LIF part (parameters, state and options; shown flat, as Rockpool does).
    pub lif: Lif,
    /// AHP weights `(N,)`.
    pub w_ahp: Param<Tensor<1>>,
    /// AHP time constants `(N,)`, seconds.
    pub tau_ahp: Param<Tensor<1>>,
    /// Stored AHP current `(N,)`.
    pub iahp: Tensor<1>,
    /// The initial `(tau_ahp, w_ahp)`, for `reset_parameters`.
    #[module(skip)]
    ahp_init: (PerNeuron, PerNeuron),
}

/// The state of an [`ALif`] layer for a batch: the LIF part and the AHP current.
#[derive(Clone, Debug)]
pub struct ALifState {
    /// Membrane, synaptic currents and last spikes, as a [`Lif`]'s.
    pub lif: LifState,
    /// AHP currents `[B, N]`.
    pub iahp: Tensor<2>,
}

impl ALifState {
    /// The initial (zero) state of `batch` rows of `n` neurons with `n_syn` synapses each.
    pub fn initial(batch: usize, n: usize, n_syn: usize, device: &Device) -> Self {
        Self {
            lif: LifState::initial(batch, n, n_syn, device),
            iahp: Tensor::zeros([batch, n], device),
        }
    }

    /// Reads a batched state tree, checking every entry's shape.
    pub fn from_tree(tree: &StateTree, batch: usize, n: usize, n_syn: usize) -> Result<Self> {
        Ok(Self {
            lif: LifState::from_tree(tree, batch, n, n_syn, "aLIF")?,
            iahp: state_entry(tree, "iahp", [batch, n], "aLIF")?,
        })
    }

    /// Rockpool's state tree: `vmem`, `isyn`, `spikes`, `iahp`.
    pub fn into_tree(self) -> StateTree {
        self.lif.into_tree().with("iahp", self.iahp.into())
    }
}

impl ModuleView for ALif {
    fn class_name(&self) -> String {
        "aLIF".into()
    }

    fn shape(&self) -> Vec<usize> {
        self.lif.shape()
    }

    fn spiking_input(&self) -> bool {
        true
    }

    fn spiking_output(&self) -> bool {
        self.lif.spiking_output()
    }

    fn own_attributes(&self) -> Vec<(String, Attr)> {
        let mut attrs = self.lif.own_attributes();
        // The AHP parameters go after the LIF parameters, the AHP state last.
        let at = attrs
            .iter()
            .position(|(_, a)| a.kind != AttrKind::Parameter)
            .unwrap_or(attrs.len());
        let param = |p: &Param<Tensor<1>>, family| Attr {
            kind: if p.is_trainable() {
                AttrKind::Parameter
            } else {
                AttrKind::SimulationParameter
            },
            family: Some(family),
            value: p.get_value(),
        };
        attrs.insert(at, ("tau_ahp".into(), param(&self.tau_ahp, Family::Taus)));
        attrs.insert(at, ("w_ahp".into(), param(&self.w_ahp, Family::Weights)));
        attrs.push((
            "iahp".into(),
            Attr {
                kind: AttrKind::State,
                family: None,
                value: self.iahp.get_value(),
            },
        ));
        attrs
    }

    fn check_own_attribute(&self, name: &str, value: &Value) -> Result<()> {
        match name {
            "w_ahp" | "tau_ahp" | "iahp" => Ok(()),
            _ => crate::module::check::positive_threshold("aLIF", name, value),
        }
    }

    fn set_own_attribute(&mut self, name: &str, value: Value) -> Result<()> {
        match name {
            "w_ahp" => self.w_ahp.set_value(value, "aLIF.w_ahp"),
            "tau_ahp" => self.tau_ahp.set_value(value, "aLIF.tau_ahp"),
            "iahp" => self.iahp.set_value(value, "aLIF.iahp"),
            _ => self.lif.set_own_attribute(name, value),
        }
    }

    fn reset_own_state(&mut self) {
        self.lif.reset_own_state();
        self.iahp.reset_zero();
    }

    /// Re-initialises the LIF part's and the AHP parameters; keeps simulation parameters,
    /// state and constant-ness.
    fn reset_own_parameters(&mut self) {
        self.lif.reset_own_parameters();
        let (n, device) = (self.n(), self.iahp.device());
        let (tau, w) = &self.ahp_init;
        if let (Ok(tau), Ok(w)) = (
            tau.to_positive_tensor(n, &device, "ALif.tau_ahp", "time constants"),
            w.to_tensor(n, &device, "ALif.w_ahp"),
        ) {
            // Shapes match by construction, so setting cannot fail.
            let _ = self.tau_ahp.set_value(tau.into(), "aLIF.tau_ahp");
            let _ = self.w_ahp.set_value(w.into(), "aLIF.w_ahp");
        }
    }
}

impl burn::module::ModuleDisplay for ALif {
    fn format(&self, _settings: burn::module::DisplaySettings) -> String {
        self.describe()
    }
}

impl ALif {
    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.lif.n()
    }

    /// Synapses per neuron (without the AHP one).
    pub fn n_syn(&self) -> usize {
        self.lif.n_syn()
    }

    /// The LIF parameters of the equivalent `N_syn + 1`-synapse neuron: leaks
    /// `(1 − α (N,), 1 − β (N·(N_syn+1),))` and the recurrent weights `(N, N·(N_syn+1))` with
    /// `w_ahp` on the diagonal of the last synapse.
    fn augmented(&self) -> (Tensor<1>, Tensor<1>, Tensor<2>) {
        let (n, syn) = (self.n(), self.n_syn());
        let device = self.iahp.device();
        let (leak_mem, leak_syn) = self.lif.leaks();
        let dt = self.lif.dt;
        let leak_ahp = floored_tau_to_leak(self.tau_ahp.val(), dt);
        let leak_syn = Tensor::cat(
            vec![leak_syn.reshape([n, syn]), leak_ahp.reshape([n, 1])],
            1,
        )
        .reshape([n * (syn + 1)]);
        // diag(w_ahp): row j (the spiking neuron) feeds column j (its own AHP synapse).
        let diag = Tensor::<2>::eye(n, &device) * self.w_ahp.val().unsqueeze_dim::<2>(0);
        let rec = match &self.lif.w_rec {
            Some(w) => w.val().reshape([n, n, syn]),
            None => Tensor::zeros([n, n, syn], &device),
        };
        let w = Tensor::cat(vec![rec, diag.reshape([n, n, 1])], 2).reshape([n, n * (syn + 1)]);
        (leak_mem, leak_syn, w)
    }
}

impl Evolve for ALif {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let (n, syn) = (self.n(), self.n_syn());
        let s1 = syn + 1;
        let input = auto_batch(input, n * syn, "aLIF")?;
        if let Some(ev) = crate::module::empty_evolution(&input, n, &state) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let device = input.device();
        let ALifState {
            lif: st,
            iahp: iahp0,
        } = ALifState::from_tree(&state, b, n, syn)?;
        let (v0, i0, s0) = (st.vmem, st.isyn, st.spikes);
        // The AHP synapse gets no external input.
        let x = Tensor::cat(
            vec![
                input.reshape([b, t, n, syn]),
                Tensor::zeros([b, t, n, 1], &device),
            ],
            3,
        )
        .reshape([b, t, n * s1]);
        let i0 = Tensor::cat(vec![i0.reshape([b, n, syn]), iahp0.reshape([b, n, 1])], 2)
            .reshape([b, n * s1]);
        let (leak_mem, leak_syn, w) = self.augmented();
        let vmem_out = self.lif.output == LifOutput::Vmem;
        let seq = lif_sequence(
            LifSequenceInput {
                input: x,
                leak_mem,
                leak_syn,
                threshold: self.lif.threshold.val(),
                bias: self.lif.bias.val(),
                w_rec: Some(w),
                noise: self.lif.noise(b, t, &device),
                v0,
                i0,
                s0,
            },
            LifSequenceOptions {
                n_syn: s1,
                max_spikes: self.lif.max_spikes_per_dt as f32,
                surrogate: self.lif.surrogate,
                record_states: record,
                differentiable_traces: vmem_out,
                carry_synaptic_current: true,
            },
        );
        // Split the last synapse (AHP) off the synaptic traces.
        let split4 = |x: Tensor<3>| {
            let x = x.reshape([b, t, n, s1]);
            (
                x.clone().slice([0..b, 0..t, 0..n, 0..syn]),
                x.slice([0..b, 0..t, 0..n, syn..s1]).reshape([b, t, n]),
            )
        };
        let record = if record {
            let (isyn, iahp) = split4(seq.isyn);
            let (irec, _) = split4(seq.irec);
            Tree::new()
                .with("vmem", seq.vmem.into())
                .with("isyn", isyn.into())
                .with("irec", irec.into())
                .with("iahp", iahp.into())
                .with("spikes", seq.spikes.clone().into())
        } else {
            Tree::new()
        };
        let output = match (vmem_out, seq.traces) {
            (true, Some((vmem, _))) => vmem,
            _ => seq.spikes,
        };
        let i_last = seq.i_last.reshape([b, n, s1]);
        let state = ALifState {
            lif: LifState {
                vmem: seq.v_last,
                isyn: i_last.clone().slice([0..b, 0..n, 0..syn]),
                spikes: seq.s_last,
            },
            iahp: i_last.slice([0..b, 0..n, syn..s1]).reshape([b, n]),
        };
        Ok(Evolution {
            output,
            state: state.into_tree(),
            record,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{close, device, vec3};

    /// One neuron, α = β = γ = 0.5, θ = 1, w_ahp = −0.8, by hand.
    #[test]
    fn steps_and_gradients_by_hand() {
        let dev = device().autodiff();
        let half = -1e-3 / 0.5f64.ln();
        let mut cfg = ALifConfig::new(1).with_tau_ahp(half).with_w_ahp(-0.8);
        cfg.lif = cfg.lif.with_tau_mem(half).with_tau_syn(half);
        let mut m = cfg.init(&dev).unwrap();
        let x = Tensor::<2>::from_floats([[2.4], [0.0], [1.2], [0.0]], &dev).require_grad();
        let ev = m.evolve(x.clone(), true).unwrap();
        // t0: I = 1.2, Iahp = 0, U = 1.2 → S = 1, V = 0.2.
        // t1: I = 0.6, Iahp = 0.5·(0 − 0.8) = −0.4, U = 0.1 + 0.6 − 0.4 = 0.3 → V = 0.3.
        // t2: I = 0.5·(0.6 + 1.2) = 0.9, Iahp = −0.2, U = 0.15 + 0.9 − 0.2 = 0.85 → V = 0.85.
        // t3: I = 0.45, Iahp = −0.1, U = 0.425 + 0.45 − 0.1 = 0.775.
        close(&vec3(&ev.output), &[1.0, 0.0, 0.0, 0.0], 0.0);
        let rec = |k: &str| ev.record.get(k).unwrap().to_vec_f32();
        close(&rec("vmem"), &[0.2, 0.3, 0.85, 0.775], 1e-6);
        close(&rec("iahp"), &[0.0, -0.4, -0.2, -0.1], 1e-6);
        close(&rec("isyn"), &[1.2, 0.6, 0.9, 0.45], 1e-6);
        // L = Σ_t S_t with StepPWL (window 0.5, θ = 1: dS/dU = 1 where U ≥ 0.5, i.e. at
        // t0, t2, t3). A_ahp,t = I_ahp,t−1 + w·S_{t−1}, so d(w·S_{t−1})/dw = S_{t−1} +
        // w·dS_{t−1}/dw. dU1/dw = γ·S0 = 0.5 (no gradient through S1: U1 < 0.5), dV1/dw = 0.5;
        // dU2/dw = α·0.5 + γ²·S0 = 0.5 → dS2/dw = 0.5, dV2/dw = 0.5 − θ·0.5 = 0;
        // dU3/dw = α·0 + γ³·S0 + γ·w·dS2/dw = 0.125 − 0.2 → dS3/dw = −0.075. Total 0.425.
        let g = ev.output.sum().backward();
        let gw = m
            .w_ahp
            .val()
            .grad(&g)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        close(&gw, &[0.425], 1e-6);
        assert_eq!(m.describe(), "aLIF with shape (1,)");
        assert_eq!(m.state().names(), ["vmem", "isyn", "spikes", "iahp"]);
        assert_eq!(
            m.parameters(()).names(),
            [
                "tau_mem",
                "tau_syn",
                "bias",
                "threshold",
                "w_ahp",
                "tau_ahp"
            ]
        );
        assert_eq!(m.parameters("weights").names(), ["w_ahp"]);
        assert_eq!(
            m.parameters("taus").names(),
            ["tau_mem", "tau_syn", "tau_ahp"]
        );
    }
}
