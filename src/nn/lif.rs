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
//! ([`crate::nn::kernels::lif_op`]); [`Lif::evolve_reference`] is the same model in plain
//! tensor operations with straight-through surrogates, kept as the reference the fused path is
//! tested against.

use std::fmt;
use std::str::FromStr;

use burn::module::{Module, Param};
use burn::tensor::{Device, FloatDType, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::PerNeuron;
use super::init::WeightInit;
use super::kernels::lif::{LifSequenceInput, LifSequenceOptions, lif_sequence};
use super::surrogate::Surrogate;
use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch, state_entry};

/// Which pair of parameters holds the leak (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakMode {
    /// Time constants `tau_mem`, `tau_syn` (seconds).
    #[default]
    Taus,
    /// Decay factors `alpha`, `beta`.
    Decays,
    /// Bit-shift decays `dash_mem`, `dash_syn`.
    Bitshifts,
}

impl FromStr for LeakMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "taus" => Ok(LeakMode::Taus),
            "decays" => Ok(LeakMode::Decays),
            "bitshifts" => Ok(LeakMode::Bitshifts),
            o => Err(format!("unknown leak mode '{o}' (taus, decays, bitshifts)")),
        }
    }
}

impl fmt::Display for LeakMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeakMode::Taus => "taus",
            LeakMode::Decays => "decays",
            LeakMode::Bitshifts => "bitshifts",
        })
    }
}

crate::text_attr_field!(LeakMode);

/// What a [`Lif`] layer outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifOutput {
    /// Spike counts (default).
    #[default]
    Spikes,
    /// The membrane potential after reset, with gradients (a read-out layer, Rockpool's
    /// `output="vmem"`).
    Vmem,
}

impl FromStr for LifOutput {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "spikes" => Ok(LifOutput::Spikes),
            "vmem" => Ok(LifOutput::Vmem),
            o => Err(format!("unknown LIF output '{o}' (spikes, vmem)")),
        }
    }
}

impl fmt::Display for LifOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LifOutput::Spikes => "spikes",
            LifOutput::Vmem => "vmem",
        })
    }
}

crate::text_attr_field!(LifOutput);
crate::text_attr_field!(Surrogate);

/// Hyper-parameters of a [`Lif`] layer (also its TOML form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifConfig {
    /// Number of neurons `N`.
    pub n: usize,
    /// Synapses per neuron (input size `N·n_syn`; default 1).
    #[serde(default = "one")]
    pub n_syn: usize,
    /// Membrane time constant(s), seconds (default 20 ms).
    #[serde(default = "default_tau")]
    pub tau_mem: PerNeuron,
    /// Synaptic time constant(s), seconds: one value, one per neuron, or one per synapse
    /// (`N·n_syn`, neuron-major) (default 20 ms).
    #[serde(default = "default_tau")]
    pub tau_syn: PerNeuron,
    /// Bias(es) (default 0).
    #[serde(default = "PerNeuron::zero")]
    pub bias: PerNeuron,
    /// Threshold(s) (default 1).
    #[serde(default = "default_threshold")]
    pub threshold: PerNeuron,
    /// Recurrent weights `w_rec` `(N, N·n_syn)`.
    #[serde(default)]
    pub has_rec: bool,
    /// Initialiser of `w_rec` (default kaiming).
    #[serde(default)]
    pub rec_init: WeightInit,
    /// Scale applied to the initial `w_rec` (default 1).
    #[serde(default = "one_f")]
    pub rec_scale: f64,
    /// Time step, seconds (default 1 ms).
    #[serde(default = "super::rate::default_dt")]
    pub dt: f64,
    /// Membrane noise standard deviation (default 0).
    #[serde(default)]
    pub noise_std: f64,
    /// Spike cap per step (default 65536, Rockpool's 2^16).
    #[serde(default = "default_max_spikes")]
    pub max_spikes_per_dt: f64,
    /// Surrogate gradient (default `step_pwl`, window 0.5).
    #[serde(default)]
    pub surrogate: Surrogate,
    /// Which parameters hold the leak (default taus).
    #[serde(default)]
    pub leak_mode: LeakMode,
    /// Compute decays from integer bit shifts (Xylo / `LIFBitshiftTorch`).
    #[serde(default)]
    pub quantize_decays: bool,
    /// Names of parameters to keep constant, e.g. `["tau_mem", "tau_syn"]`.
    #[serde(default)]
    pub constant: Vec<String>,
    /// Output spikes (default) or the membrane potential (a read-out layer).
    #[serde(default)]
    pub output: LifOutput,
    /// Xylo-mode training: the threshold and bias are signed integers of this many bits (16 on
    /// Xylo) on the integer grid of the weights feeding the layer. See
    /// [`Lif::integer_threshold_bias`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_bits: Option<u32>,
}

fn one() -> usize {
    1
}
fn one_f() -> f64 {
    1.0
}
fn default_tau() -> PerNeuron {
    PerNeuron::Scalar(20e-3)
}
fn default_threshold() -> PerNeuron {
    PerNeuron::Scalar(1.0)
}
fn default_max_spikes() -> f64 {
    65536.0
}

impl LifConfig {
    /// `n` neurons, one synapse each, Rockpool's defaults.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            n_syn: 1,
            tau_mem: default_tau(),
            tau_syn: default_tau(),
            bias: PerNeuron::zero(),
            threshold: default_threshold(),
            has_rec: false,
            rec_init: WeightInit::Kaiming,
            rec_scale: 1.0,
            dt: 1e-3,
            noise_std: 0.0,
            max_spikes_per_dt: default_max_spikes(),
            surrogate: Surrogate::default(),
            leak_mode: LeakMode::Taus,
            quantize_decays: false,
            constant: Vec::new(),
            output: LifOutput::Spikes,
            threshold_bits: None,
        }
    }
    /// Output spikes or the membrane potential.
    pub fn with_output(mut self, output: LifOutput) -> Self {
        self.output = output;
        self
    }
    /// Synapses per neuron.
    pub fn with_n_syn(mut self, n_syn: usize) -> Self {
        self.n_syn = n_syn;
        self
    }
    /// Membrane time constant(s), seconds.
    pub fn with_tau_mem(mut self, t: impl Into<PerNeuron>) -> Self {
        self.tau_mem = t.into();
        self
    }
    /// Synaptic time constant(s), seconds.
    pub fn with_tau_syn(mut self, t: impl Into<PerNeuron>) -> Self {
        self.tau_syn = t.into();
        self
    }
    /// Bias.
    pub fn with_bias(mut self, b: impl Into<PerNeuron>) -> Self {
        self.bias = b.into();
        self
    }
    /// Threshold.
    pub fn with_threshold(mut self, t: impl Into<PerNeuron>) -> Self {
        self.threshold = t.into();
        self
    }
    /// Recurrent weights.
    pub fn with_rec(mut self, has_rec: bool) -> Self {
        self.has_rec = has_rec;
        self
    }
    /// Scale of the initial recurrent weights.
    pub fn with_rec_scale(mut self, scale: f64) -> Self {
        self.rec_scale = scale;
        self
    }
    /// Time step, seconds.
    pub fn with_dt(mut self, dt: f64) -> Self {
        self.dt = dt;
        self
    }
    /// Noise standard deviation.
    pub fn with_noise_std(mut self, s: f64) -> Self {
        self.noise_std = s;
        self
    }
    /// Spike cap per step.
    pub fn with_max_spikes(mut self, m: f64) -> Self {
        self.max_spikes_per_dt = m;
        self
    }
    /// Surrogate gradient.
    pub fn with_surrogate(mut self, s: Surrogate) -> Self {
        self.surrogate = s;
        self
    }
    /// Leak mode.
    pub fn with_leak_mode(mut self, m: LeakMode) -> Self {
        self.leak_mode = m;
        self
    }
    /// Integer bit-shift decays.
    pub fn with_quantize_decays(mut self, q: bool) -> Self {
        self.quantize_decays = q;
        self
    }
    /// Integer threshold and bias of `bits` bits on the input weights' grid (Xylo: 16).
    pub fn with_threshold_bits(mut self, bits: Option<u32>) -> Self {
        self.threshold_bits = bits;
        self
    }

    /// Checks the values and builds the layer on `device`.
    pub fn init(&self, device: &Device) -> Result<Lif> {
        let (n, ns) = (self.n, self.n * self.n_syn);
        if n == 0 || self.n_syn == 0 {
            return Err(Error::value(
                "Lif",
                "needs at least one neuron and one synapse",
            ));
        }
        if self.dt.is_nan() || self.dt <= 0.0 {
            return Err(Error::value(
                "Lif.dt",
                format!("must be positive, got {}", self.dt),
            ));
        }
        if self.noise_std.is_nan() || self.noise_std < 0.0 {
            return Err(Error::value("Lif.noise_std", "must be non-negative"));
        }
        if self.max_spikes_per_dt.is_nan() || self.max_spikes_per_dt < 1.0 {
            return Err(Error::value("Lif.max_spikes_per_dt", "must be at least 1"));
        }
        self.surrogate
            .validate()
            .map_err(|m| Error::value("Lif.surrogate", m))?;
        if let Some(bits) = self.threshold_bits
            && !(2..=31).contains(&bits)
        {
            return Err(Error::value(
                "Lif.threshold_bits",
                format!("must be 2..=31, got {bits}"),
            ));
        }
        let tau_mem =
            self.tau_mem
                .to_positive_tensor(n, device, "Lif.tau_mem", "time constants")?;
        let tau_syn = match &self.tau_syn {
            PerNeuron::Vector(v) if v.len() == n && self.n_syn > 1 => {
                // One value per neuron, shared by its synapses.
                let per: Vec<f64> = v
                    .iter()
                    .flat_map(|&x| std::iter::repeat_n(x, self.n_syn))
                    .collect();
                PerNeuron::Vector(per).to_positive_tensor(
                    ns,
                    device,
                    "Lif.tau_syn",
                    "time constants",
                )?
            }
            other => other.to_positive_tensor(ns, device, "Lif.tau_syn", "time constants")?,
        }
        .reshape([n, self.n_syn]);
        let threshold =
            self.threshold
                .to_positive_tensor(n, device, "Lif.threshold", "thresholds")?;
        let (mem, syn) = match self.leak_mode {
            LeakMode::Taus => (tau_mem, tau_syn),
            LeakMode::Decays => (
                tau_to_decay(tau_mem, self.dt),
                tau_to_decay(tau_syn, self.dt),
            ),
            LeakMode::Bitshifts => (
                decay_to_dash(tau_to_decay(tau_mem, self.dt)),
                decay_to_dash(tau_to_decay(tau_syn, self.dt)),
            ),
        };
        let p1 = |t: Tensor<1>| Some(Param::from_tensor(t));
        let p2 = |t: Tensor<2>| Some(Param::from_tensor(t));
        let mut lif = Lif {
            tau_mem: None,
            tau_syn: None,
            alpha: None,
            beta: None,
            dash_mem: None,
            dash_syn: None,
            bias: Param::from_tensor(self.bias.to_tensor(n, device, "Lif.bias")?),
            threshold: Param::from_tensor(threshold),
            w_rec: self
                .has_rec
                .then(|| Param::from_tensor(self.rec_init.init(n, ns, device) * self.rec_scale)),
            dt: self.dt,
            noise_std: self.noise_std,
            max_spikes_per_dt: self.max_spikes_per_dt,
            surrogate: self.surrogate,
            leak_mode: self.leak_mode,
            quantize_decays: self.quantize_decays,
            output: self.output,
            threshold_bits: self.threshold_bits,
            vmem: Tensor::zeros([n], device),
            isyn: Tensor::zeros([n, self.n_syn], device),
            spikes: Tensor::zeros([n], device),
            config: self.clone(),
        };
        match self.leak_mode {
            LeakMode::Taus => {
                lif.tau_mem = p1(mem);
                lif.tau_syn = p2(syn);
            }
            LeakMode::Decays => {
                lif.alpha = p1(mem);
                lif.beta = p2(syn);
            }
            LeakMode::Bitshifts => {
                lif.dash_mem = p1(mem);
                lif.dash_syn = p2(syn);
            }
        }
        for name in &self.constant {
            lif.set_constant(name)?;
        }
        Ok(lif)
    }
}

/// `α = exp(−dt/τ)`.
pub fn tau_to_decay<const D: usize>(tau: Tensor<D>, dt: f64) -> Tensor<D> {
    (tau.recip() * (-dt)).exp()
}

/// The leak `1 − α = 1 − exp(−dt/τ)`, accurate to a few ulp even where α rounds near 1:
/// computed as `2h/(1+h)` with `h = tanh(dt/2τ)` (there is no `expm1` tensor op).
pub fn tau_to_leak<const D: usize>(tau: Tensor<D>, dt: f64) -> Tensor<D> {
    let h = (tau.recip() * (dt / 2.0)).tanh();
    h.clone() * 2.0 / (h + 1.0)
}

/// The leak `1 − α = 2^−dash`.
pub fn dash_to_leak<const D: usize>(dash: Tensor<D>) -> Tensor<D> {
    (dash * (-std::f64::consts::LN_2)).exp()
}

/// `dash = −log2(1 − α)`.
pub fn decay_to_dash<const D: usize>(alpha: Tensor<D>) -> Tensor<D> {
    ((alpha.neg() + 1.0).log() / (-std::f64::consts::LN_2)).clamp_min(0.0)
}

/// `α = 1 − 2^−dash`.
pub fn dash_to_decay<const D: usize>(dash: Tensor<D>) -> Tensor<D> {
    dash_to_leak(dash).neg() + 1.0
}

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
    /// Bits of the integer threshold and bias in Xylo-mode training (see
    /// [`Lif::integer_threshold_bias`]).
    #[module(skip)]
    pub threshold_bits: Option<u32>,
    /// Stored membrane `(N,)`.
    pub vmem: Tensor<1>,
    /// Stored synaptic currents `(N, N_syn)`.
    pub isyn: Tensor<2>,
    /// Stored spikes of the last step `(N,)`.
    pub spikes: Tensor<1>,
    #[module(skip)]
    config: LifConfig,
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
});

/// Straight-through rounding: forward `round(x)`, gradient 1.
fn round_ste<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone() + (x.clone().round() - x).detach()
}

impl Lif {
    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.vmem.dims()[0]
    }

    /// Synapses per neuron.
    pub fn n_syn(&self) -> usize {
        self.isyn.dims()[1]
    }

    /// The threshold and bias `(N,)` the dynamics use.
    ///
    /// Without [`threshold_bits`](LifConfig::threshold_bits), or without the `grid` of the
    /// weights feeding the layer (`(N·N_syn,)` steps `Δ` from a fake-quantised `Linear` before
    /// it in a chain; neuron `j` uses the step of its synapse 0), these are the parameters.
    /// Otherwise they are stored as the chip stores them, as integers on the weights' scale
    /// (`m = 2^(bits−1) − 1`, 32767 for 16 bits):
    ///
    /// ```text
    /// θ_used = clamp(round(θ/Δ), 1, m)·Δ        b_used = clamp(round(b/Δ), −m, m)·Δ
    /// ```
    ///
    /// so that quantising the trained layer with that scale gives back the very integers the
    /// training used: a threshold cannot overflow its register nor round to 0. The rounding
    /// passes the gradient straight through; past the clamp it is zero.
    pub fn integer_threshold_bias(&self, grid: Option<Tensor<1>>) -> (Tensor<1>, Tensor<1>) {
        let (thr, bias) = (self.threshold.val(), self.bias.val());
        let (n, syn) = (self.n(), self.n_syn());
        let (Some(bits), Some(grid)) = (self.threshold_bits, grid) else {
            return (thr, bias);
        };
        if grid.dims() != [n * syn] {
            return (thr, bias);
        }
        let step = grid.reshape([n, syn]).slice([0..n, 0..1]).reshape([n]);
        let m = f64::from((1u32 << (bits.clamp(2, 31) - 1)) - 1);
        let on_grid =
            |x: Tensor<1>, lo: f64| round_ste(x / step.clone()).clamp(lo, m) * step.clone();
        (on_grid(thr, 1.0), on_grid(bias, -m))
    }

    /// Makes a parameter constant (Rockpool's `Constant`).
    pub fn set_constant(&mut self, name: &str) -> Result<()> {
        fn c1(p: &mut Option<Param<Tensor<1>>>) -> bool {
            p.take()
                .map(|x| x.set_require_grad(false))
                .map(|x| *p = Some(x))
                .is_some()
        }
        fn c2(p: &mut Option<Param<Tensor<2>>>) -> bool {
            p.take()
                .map(|x| x.set_require_grad(false))
                .map(|x| *p = Some(x))
                .is_some()
        }
        let ok = match name {
            "tau_mem" => c1(&mut self.tau_mem),
            "tau_syn" => c2(&mut self.tau_syn),
            "alpha" => c1(&mut self.alpha),
            "beta" => c2(&mut self.beta),
            "dash_mem" => c1(&mut self.dash_mem),
            "dash_syn" => c2(&mut self.dash_syn),
            "w_rec" => c2(&mut self.w_rec),
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

    fn reinit(&mut self) {
        let device = self.vmem.device();
        if let Ok(fresh) = self.config.init(&device) {
            let (v, i, s) = (self.vmem.clone(), self.isyn.clone(), self.spikes.clone());
            *self = fresh;
            self.vmem = v;
            self.isyn = i;
            self.spikes = s;
        }
    }

    /// The decays `(α (N,), β (N·N_syn,))` implied by the parameters, differentiable with
    /// respect to whichever pair the leak mode trains.
    pub fn decays(&self) -> (Tensor<1>, Tensor<1>) {
        let (lm, ls) = self.leaks();
        (lm.neg() + 1.0, ls.neg() + 1.0)
    }

    /// The leaks `(1 − α (N,), 1 − β (N·N_syn,))`, computed without forming α first: an f32
    /// decay near 1 loses the precision a slow neuron needs (see [`tau_to_leak`]).
    pub fn leaks(&self) -> (Tensor<1>, Tensor<1>) {
        let (n, syn) = (self.n(), self.n_syn());
        let (alpha, beta) = match self.leak_mode {
            LeakMode::Taus => {
                // Time constants below dt/10 (or negative, after a large optimiser step) would
                // make the decays overflow; they are clamped there (zero gradient beyond).
                let floor = self.dt * 0.1;
                let tm = self
                    .tau_mem
                    .as_ref()
                    .expect("taus mode")
                    .val()
                    .clamp_min(floor);
                let ts = self
                    .tau_syn
                    .as_ref()
                    .expect("taus mode")
                    .val()
                    .clamp_min(floor);
                if self.quantize_decays {
                    // dash = round(log2(τ/dt)) ≥ 0, rounded straight-through.
                    let dm =
                        round_ste((tm / self.dt).log() / std::f64::consts::LN_2).clamp_min(0.0);
                    let ds =
                        round_ste((ts / self.dt).log() / std::f64::consts::LN_2).clamp_min(0.0);
                    (dash_to_leak(dm), dash_to_leak(ds))
                } else {
                    (tau_to_leak(tm, self.dt), tau_to_leak(ts, self.dt))
                }
            }
            LeakMode::Decays => (
                self.alpha
                    .as_ref()
                    .expect("decays mode")
                    .val()
                    .clamp(0.0, 1.0)
                    .neg()
                    + 1.0,
                self.beta
                    .as_ref()
                    .expect("decays mode")
                    .val()
                    .clamp(0.0, 1.0)
                    .neg()
                    + 1.0,
            ),
            LeakMode::Bitshifts => {
                let dm = self
                    .dash_mem
                    .as_ref()
                    .expect("bitshifts mode")
                    .val()
                    .clamp_min(0.0);
                let ds = self
                    .dash_syn
                    .as_ref()
                    .expect("bitshifts mode")
                    .val()
                    .clamp_min(0.0);
                if self.quantize_decays {
                    (dash_to_leak(round_ste(dm)), dash_to_leak(round_ste(ds)))
                } else {
                    (dash_to_leak(dm), dash_to_leak(ds))
                }
            }
        };
        (alpha, beta.reshape([n * syn]))
    }

    pub(crate) fn noise(&self, b: usize, t: usize, device: &Device) -> Option<Tensor<3>> {
        super::white_noise([b, t, self.n()], self.noise_std, self.dt, device)
    }

    pub(crate) fn initial(
        &self,
        state: &StateTree,
        b: usize,
    ) -> Result<(Tensor<2>, Tensor<2>, Tensor<2>)> {
        let (n, syn) = (self.n(), self.n_syn());
        let v0: Tensor<2> = state_entry(state, "vmem", [b, n], "Lif")?;
        let i0: Tensor<3> = state_entry(state, "isyn", [b, n, syn], "Lif")?;
        let s0: Tensor<2> = state_entry(state, "spikes", [b, n], "Lif")?;
        Ok((v0, i0.reshape([b, n * syn]), s0))
    }

    /// The same dynamics in plain tensor operations (per-step loop, straight-through
    /// surrogate): the reference the fused operation is tested against. It computes in f64
    /// (inputs and parameters are cast up, results cast back to f32), so it is at least as
    /// accurate as the fused op's f64 state. Noise is not supported here.
    pub fn evolve_reference(&self, input: Tensor<3>, state: StateTree) -> Result<Evolution> {
        let (n, syn) = (self.n(), self.n_syn());
        let ns = n * syn;
        let input = auto_batch(input, ns, "Lif")?.cast(FloatDType::F64);
        let [b, t, _] = input.dims();
        let (v, i, s) = self.initial(&state, b)?;
        let up = |x: Tensor<2>| x.cast(FloatDType::F64);
        let (mut v, mut i, mut s) = (up(v), up(i), up(s));
        let (leak_mem, leak_syn) = self.leaks();
        let alpha = leak_mem
            .cast(FloatDType::F64)
            .neg()
            .add_scalar(1.0)
            .unsqueeze_dim::<2>(0);
        let beta = leak_syn
            .cast(FloatDType::F64)
            .neg()
            .add_scalar(1.0)
            .unsqueeze_dim::<2>(0);
        let thr = up(self.threshold.val().unsqueeze_dim::<2>(0));
        let bias = up(self.bias.val().unsqueeze_dim::<2>(0));
        let w = self.w_rec.as_ref().map(|w| up(w.val()));
        let (mut outs, mut vs, mut is, mut rs) = (vec![], vec![], vec![], vec![]);
        for step in 0..t {
            let x = input
                .clone()
                .slice([0..b, step..step + 1, 0..ns])
                .reshape([b, ns]);
            let rec = w.as_ref().map(|w| s.clone().matmul(w.clone()));
            let mut a = i + x;
            if let Some(r) = &rec {
                a = a + r.clone();
            }
            i = a * beta.clone();
            let isum = i.clone().reshape([b, n, syn]).sum_dim(2).reshape([b, n]);
            let u = v * alpha.clone() + isum + bias.clone();
            s = self.spike_ste(u.clone(), thr.clone());
            v = u - s.clone() * thr.clone();
            outs.push(s.clone());
            vs.push(v.clone());
            is.push(i.clone().reshape([b, n, syn]));
            rs.push(
                rec.unwrap_or_else(|| up(Tensor::zeros([b, ns], &input.device())))
                    .reshape([b, n, syn]),
            );
        }
        let down3 = |x: Tensor<3>| x.cast(FloatDType::F32);
        let down4 = |x: Tensor<4>| x.cast(FloatDType::F32);
        let spikes = down3(Tensor::stack::<3>(outs, 1));
        let vmem = down3(Tensor::stack::<3>(vs, 1));
        let output = match self.output {
            LifOutput::Spikes => spikes.clone(),
            LifOutput::Vmem => vmem.clone(),
        };
        let record = Tree::new()
            .with("vmem", vmem.into())
            .with("isyn", down4(Tensor::stack::<4>(is, 1)).into())
            .with("irec", down4(Tensor::stack::<4>(rs, 1)).into())
            .with("spikes", spikes.clone().into());
        let down2 = |x: Tensor<2>| x.cast(FloatDType::F32);
        Ok(Evolution {
            output,
            state: Tree::new()
                .with("vmem", down2(v).into())
                .with("isyn", down3(i.reshape([b, n, syn])).into())
                .with("spikes", down2(s).into()),
            record,
        })
    }

    /// Spike counts with the surrogate gradient, as tensor operations: the forward value is
    /// the count, the gradient `∂S/∂u`, `∂S/∂θ` of the surrogate (computed on the host, in
    /// f64; `u` and `thr` are f64 tensors).
    fn spike_ste(&self, u: Tensor<2>, thr: Tensor<2>) -> Tensor<2> {
        let [b, n] = u.dims();
        let device = u.device();
        let thr = thr.expand([b, n]);
        let uh = u.clone().into_data().try_to_vec_as::<f64>().expect("f64");
        let th = thr.clone().into_data().try_to_vec_as::<f64>().expect("f64");
        let max = self.max_spikes_per_dt;
        let mut count = Vec::with_capacity(uh.len());
        let mut du = Vec::with_capacity(uh.len());
        let mut dth = Vec::with_capacity(uh.len());
        for (&uu, &tt) in uh.iter().zip(&th) {
            count.push(if uu >= tt {
                (uu / tt).floor().min(max)
            } else {
                0.0
            });
            let (a, c) = self.surrogate.grads(uu as f32, tt as f32, max as f32);
            du.push(f64::from(a));
            dth.push(f64::from(c));
        }
        let mk = |v: Vec<f64>| {
            Tensor::<2>::from_data(TensorData::new(v, [b, n]), &device).cast(FloatDType::F64)
        };
        let h = u * mk(du) + thr * mk(dth);
        mk(count) + (h.clone() - h.detach())
    }
}

impl Evolve for Lif {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        self.evolve_on_grid(input, state, record, None)
    }

    /// Evolves with the threshold and bias of [`Lif::integer_threshold_bias`] on `grid`.
    fn evolve_on_grid(
        &self,
        input: Tensor<3>,
        state: StateTree,
        record: bool,
        grid: Option<Tensor<1>>,
    ) -> Result<Evolution> {
        let (n, syn) = (self.n(), self.n_syn());
        let ns = n * syn;
        let input = auto_batch(input, ns, "Lif")?;
        let [b, t, _] = input.dims();
        let device = input.device();
        let (v0, i0, s0) = self.initial(&state, b)?;
        let (leak_mem, leak_syn) = self.leaks();
        let (threshold, bias) = self.integer_threshold_bias(grid);
        let seq = lif_sequence(
            LifSequenceInput {
                input,
                leak_mem,
                leak_syn,
                threshold,
                bias,
                w_rec: self.w_rec.as_ref().map(|w| w.val()),
                noise: self.noise(b, t, &device),
                v0,
                i0,
                s0,
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
        Ok(Evolution {
            output,
            state: Tree::new()
                .with("vmem", seq.v_last.into())
                .with("isyn", seq.i_last.reshape([b, n, syn]).into())
                .with("spikes", seq.s_last.into()),
            record,
        })
    }
}
