//! [`LifConfig`], the hyper-parameters of a [`Lif`] layer (also its TOML form), the two
//! enums it chooses between ([`LeakMode`], [`LifOutput`]), and building the layer.
//!
//! One source of defaults: [`LifConfig::default`] (from [`crate::nn::defaults`]) serves serde
//! (every missing TOML key), the builders ([`LifConfig::new`]) and Rockpool's defaults alike.

use burn::module::Param;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::{Lif, LifInit};
use crate::error::{Error, Result};
use crate::nn::defaults;
use crate::nn::init::WeightInit;
use crate::nn::per_neuron::PerNeuron;
use crate::nn::surrogate::Surrogate;

/// Which pair of parameters holds the leak (see the [module docs](super)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeakMode {
    /// Time constants `tau_mem`, `tau_syn` (seconds).
    #[default]
    Taus,
    /// Decay factors `alpha`, `beta`.
    Decays,
    /// Bit-shift decays `dash_mem`, `dash_syn`.
    Bitshifts,
}

rockpool_io::text_enum! {
    LeakMode("leak mode") {
        Taus => "taus",
        Decays => "decays",
        Bitshifts => "bitshifts",
    }
}

crate::text_attr_field!(LeakMode);

/// What a [`Lif`] layer outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LifOutput {
    /// Spike counts (default).
    #[default]
    Spikes,
    /// The membrane potential after reset, with gradients (a read-out layer, Rockpool's
    /// `output="vmem"`).
    Vmem,
}

rockpool_io::text_enum! {
    LifOutput("LIF output") {
        Spikes => "spikes",
        Vmem => "vmem",
    }
}

crate::text_attr_field!(LifOutput);
crate::text_attr_field!(Surrogate);

/// Hyper-parameters of a [`Lif`] layer (also its TOML form; every key but `n` is optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifConfig {
    /// Number of neurons `N` (required, at least 1).
    pub n: usize,
    /// Synapses per neuron (input size `N·n_syn`; default 1).
    pub n_syn: usize,
    /// Membrane time constant(s), seconds (default 20 ms).
    pub tau_mem: PerNeuron,
    /// Synaptic time constant(s), seconds: one value, one per neuron, or one per synapse
    /// (`N·n_syn`, neuron-major) (default 20 ms).
    pub tau_syn: PerNeuron,
    /// Bias(es) (default 0).
    pub bias: PerNeuron,
    /// Threshold(s) (default 1).
    pub threshold: PerNeuron,
    /// Recurrent weights `w_rec` `(N, N·n_syn)`.
    pub has_rec: bool,
    /// Initialiser of `w_rec` (default kaiming).
    pub rec_init: WeightInit,
    /// Scale applied to the initial `w_rec` (default 1).
    pub rec_scale: f64,
    /// Time step, seconds (default 1 ms).
    pub dt: f64,
    /// Membrane noise standard deviation (default 0).
    pub noise_std: f64,
    /// Spike cap per step (default 65536, Rockpool's 2^16).
    pub max_spikes_per_dt: f64,
    /// Surrogate gradient (default `step_pwl`, window 0.5).
    pub surrogate: Surrogate,
    /// Which parameters hold the leak (default taus).
    pub leak_mode: LeakMode,
    /// Compute decays from integer bit shifts (Xylo / `LIFBitshiftTorch`).
    pub quantize_decays: bool,
    /// Names of parameters to keep constant, e.g. `["tau_mem", "tau_syn"]`.
    pub constant: Vec<String>,
    /// Output spikes (default) or the membrane potential (a read-out layer).
    pub output: LifOutput,
}

impl Default for LifConfig {
    /// Rockpool's defaults, with `n = 0` (which [`LifConfig::init`] refuses: give `n`).
    fn default() -> Self {
        Self {
            n: 0,
            n_syn: 1,
            tau_mem: PerNeuron::Scalar(defaults::TAU_LIF),
            tau_syn: PerNeuron::Scalar(defaults::TAU_LIF),
            bias: PerNeuron::zero(),
            threshold: PerNeuron::Scalar(defaults::THRESHOLD),
            has_rec: false,
            rec_init: WeightInit::Kaiming,
            rec_scale: 1.0,
            dt: defaults::DT,
            noise_std: 0.0,
            max_spikes_per_dt: defaults::MAX_SPIKES_PER_DT,
            surrogate: Surrogate::default(),
            leak_mode: LeakMode::Taus,
            quantize_decays: false,
            constant: Vec::new(),
            output: LifOutput::Spikes,
        }
    }
}

impl LifConfig {
    /// `n` neurons, one synapse each, Rockpool's defaults.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            ..Self::default()
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

    /// Checks the values and builds the layer on `device`.
    pub fn init(&self, device: &Device) -> Result<Lif> {
        let (n, syn) = (self.n, self.n_syn);
        if n == 0 {
            return Err(Error::value("Lif.n", "needs at least one neuron (n ≥ 1)"));
        }
        if syn == 0 {
            return Err(Error::value(
                "Lif.n_syn",
                "needs at least one synapse per neuron",
            ));
        }
        defaults::check_simulation("Lif", self.dt, self.noise_std, Some(self.max_spikes_per_dt))?;
        if !self.rec_scale.is_finite() {
            return Err(Error::value(
                "Lif.rec_scale",
                format!("must be finite, got {}", self.rec_scale),
            ));
        }
        defaults::check_elements("Lif state (n × n_syn)", &[n, syn])?;
        if self.has_rec {
            defaults::check_elements("Lif recurrent weights (n × n·n_syn)", &[n, n, syn])?;
        }
        self.surrogate
            .validate()
            .map_err(|m| Error::value("Lif.surrogate", m))?;
        let init = LifInit {
            tau_mem: self.tau_mem.clone(),
            tau_syn: self.tau_syn.clone(),
            bias: self.bias.clone(),
            threshold: self.threshold.clone(),
            rec_init: self.has_rec.then_some((self.rec_init, self.rec_scale)),
        };
        let p = init.draw(n, syn, self.dt, self.leak_mode, device)?;
        let p1 = |t: Tensor<1>| Some(Param::from_tensor(t));
        let p2 = |t: Tensor<2>| Some(Param::from_tensor(t));
        let mut lif = Lif {
            tau_mem: None,
            tau_syn: None,
            alpha: None,
            beta: None,
            dash_mem: None,
            dash_syn: None,
            bias: Param::from_tensor(p.bias),
            threshold: Param::from_tensor(p.threshold),
            w_rec: p.w_rec.map(Param::from_tensor),
            dt: self.dt,
            noise_std: self.noise_std,
            max_spikes_per_dt: self.max_spikes_per_dt,
            surrogate: self.surrogate,
            leak_mode: self.leak_mode,
            quantize_decays: self.quantize_decays,
            output: self.output,
            vmem: Tensor::zeros([n], device),
            isyn: Tensor::zeros([n, syn], device),
            spikes: Tensor::zeros([n], device),
            init,
        };
        match self.leak_mode {
            LeakMode::Taus => (lif.tau_mem, lif.tau_syn) = (p1(p.mem), p2(p.syn)),
            LeakMode::Decays => (lif.alpha, lif.beta) = (p1(p.mem), p2(p.syn)),
            LeakMode::Bitshifts => (lif.dash_mem, lif.dash_syn) = (p1(p.mem), p2(p.syn)),
        }
        for name in &self.constant {
            lif.set_constant(name)?;
        }
        Ok(lif)
    }
}

/// Freshly initialised parameter values of a [`Lif`] (see [`LifInit::draw`]).
pub(super) struct LifStoredValues {
    /// The membrane leak parameter `(N,)` in the leak mode's units.
    pub mem: Tensor<1>,
    /// The synaptic leak parameter `(N, N_syn)` in the leak mode's units.
    pub syn: Tensor<2>,
    /// `(N,)`.
    pub bias: Tensor<1>,
    /// `(N,)`.
    pub threshold: Tensor<1>,
    /// `(N, N·N_syn)`, when recurrent.
    pub w_rec: Option<Tensor<2>>,
}

impl LifInit {
    /// Checks the initial values and computes them for `n` neurons with `syn` synapses at time
    /// step `dt`, converted into the leak mode's parameters; draws `w_rec` afresh.
    pub(super) fn draw(
        &self,
        n: usize,
        syn: usize,
        dt: f64,
        leak_mode: LeakMode,
        device: &Device,
    ) -> Result<LifStoredValues> {
        let ns = n * syn;
        let tau_mem =
            self.tau_mem
                .to_positive_tensor(n, device, "Lif.tau_mem", "time constants")?;
        let tau_syn = match &self.tau_syn {
            PerNeuron::Vector(v) if v.len() == n && syn > 1 => {
                // One value per neuron, shared by its synapses.
                let per: Vec<f64> = v
                    .iter()
                    .flat_map(|&x| std::iter::repeat_n(x, syn))
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
        .reshape([n, syn]);
        let threshold =
            self.threshold
                .to_positive_tensor(n, device, "Lif.threshold", "thresholds")?;
        let (mem, syn_p) = match leak_mode {
            LeakMode::Taus => (tau_mem, tau_syn),
            LeakMode::Decays => (
                super::tau_to_decay(tau_mem, dt),
                super::tau_to_decay(tau_syn, dt),
            ),
            LeakMode::Bitshifts => (
                super::decay_to_dash(super::tau_to_decay(tau_mem, dt)),
                super::decay_to_dash(super::tau_to_decay(tau_syn, dt)),
            ),
        };
        Ok(LifStoredValues {
            mem,
            syn: syn_p,
            bias: self.bias.to_tensor(n, device, "Lif.bias")?,
            threshold,
            w_rec: self
                .rec_init
                .map(|(init, scale)| init.init(n, ns, device) * scale),
        })
    }
}
