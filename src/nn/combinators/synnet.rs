//! `SynNet` (Bos & Muir), the network Xylo audio users train: hidden LIF layers whose neurons
//! cycle through a geometric series of synaptic time constants, and a LIF read-out. Built as
//! a [`Sequential`] of ordinary modules, named as in Rockpool: `"{i}_linear"`,
//! `"{i}_neurons"` (and `"{i}_dropout"` when `p_dropout > 0`) per hidden layer, then
//! `"out_linear"`, `"out_neurons"`.
//!
//! Hidden layer `i` has `time_constants_per_layer[i] = n` synaptic time constants
//! `τ_k = dt·(tau_syn_base/dt)^k`, `k = 1 … n` (the first is `tau_syn_base`), repeated over
//! its neurons; `tau_mem` is shared. With `quantize_time_constants`, every τ is moved to the
//! nearest value a bit-shift decay represents: `dash = round(−log2(1 − e^{−dt/τ}))`,
//! `τ = −dt / ln(1 − 2^{−dash})`. The weights into a neuron are scaled by `dt/τ_syn` of that
//! neuron (so slow synapses integrate as much charge as fast ones). Biases are zero and
//! constant; time constants and thresholds are constant unless `train_time_constants` /
//! `train_threshold`. Spikes use Rockpool's `PeriodicExponential` surrogate, up to
//! `max_spikes_per_dt` per step in the hidden layers and `max_spikes_per_dt_out` in the
//! read-out. `output = "vmem"` reads the read-out membrane (threshold then 2¹⁵ − 1, so it never
//! spikes).

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nn::combinators::layer::ChainConfig;
use crate::nn::{
    DropoutConfig, Layer, LayerConfig, LifConfig, LifOutput, LinearConfig, NamedLayerConfig,
    PerNeuron, Sequential, Surrogate,
};

/// Hyper-parameters of a [`SynNet`](self) (TOML `type = "syn_net"`), Rockpool's names and
/// defaults; times in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynNetConfig {
    /// Read-out neurons (classes).
    pub n_classes: usize,
    /// Input channels.
    pub n_channels: usize,
    /// Neurons per hidden layer (default `[60]`).
    pub size_hidden_layers: Vec<usize>,
    /// Synaptic time constants per hidden layer (default `[10]`).
    pub time_constants_per_layer: Vec<usize>,
    /// The first (shortest) synaptic time constant (default 2 ms).
    pub tau_syn_base: f64,
    /// Membrane time constant of every layer (default 2 ms).
    pub tau_mem: f64,
    /// Synaptic time constant of the read-out (default 2 ms).
    pub tau_syn_out: f64,
    /// Move every τ to a bit-shift decay (default true).
    pub quantize_time_constants: bool,
    /// Train the time constants (default false).
    pub train_time_constants: bool,
    /// Threshold of the hidden layers (default 1).
    pub threshold: f64,
    /// Threshold of the read-out (default: `threshold`).
    pub threshold_out: Option<f64>,
    /// Train the thresholds (default false).
    pub train_threshold: bool,
    /// Spikes per step in the hidden layers (default 31).
    pub max_spikes_per_dt: f64,
    /// Spikes per step in the read-out (default 1).
    pub max_spikes_per_dt_out: f64,
    /// Time-step dropout after each hidden layer (default 0: none).
    pub p_dropout: f64,
    /// Time step (default 1 ms).
    pub dt: f64,
    /// What the read-out emits: spikes (default) or its membrane potential.
    pub output: LifOutput,
}

impl Default for SynNetConfig {
    fn default() -> Self {
        Self {
            n_classes: 2,
            n_channels: 16,
            size_hidden_layers: vec![60],
            time_constants_per_layer: vec![10],
            tau_syn_base: 2e-3,
            tau_mem: 2e-3,
            tau_syn_out: 2e-3,
            quantize_time_constants: true,
            train_time_constants: false,
            threshold: 1.0,
            threshold_out: None,
            train_threshold: false,
            max_spikes_per_dt: 31.0,
            max_spikes_per_dt_out: 1.0,
            p_dropout: 0.0,
            dt: 1e-3,
            output: LifOutput::Spikes,
        }
    }
}

/// `τ` moved to the nearest bit-shift decay: `dash = round(−log2(1 − e^{−dt/τ}))`,
/// `τ' = −dt / ln(1 − 2^{−dash})` (`dash` at least 1).
pub fn quantize_tau(tau: f64, dt: f64) -> f64 {
    let dash = (-(1.0 - (-dt / tau).exp()).log2()).round().max(1.0);
    -dt / (1.0 - 2f64.powf(-dash)).ln()
}

impl SynNetConfig {
    /// A SynNet for `n_channels` inputs and `n_classes` outputs with Rockpool's defaults.
    pub fn new(n_channels: usize, n_classes: usize) -> Self {
        Self {
            n_channels,
            n_classes,
            ..Self::default()
        }
    }

    /// The synaptic time constants of hidden layer `layer`, one per neuron (s).
    pub fn tau_syn_of_layer(&self, layer: usize) -> Vec<f64> {
        let (n, k) = (
            self.size_hidden_layers[layer],
            self.time_constants_per_layer[layer],
        );
        let series: Vec<f64> = (1..=k)
            .map(|i| self.dt * (self.tau_syn_base / self.dt).powi(i as i32))
            .map(|t| self.q(t))
            .collect();
        (0..n).map(|j| series[j % k]).collect()
    }

    fn q(&self, tau: f64) -> f64 {
        if self.quantize_time_constants {
            quantize_tau(tau, self.dt)
        } else {
            tau
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::value("SynNet", m));
        if self.n_classes == 0 || self.n_channels == 0 {
            return bad("n_classes and n_channels must be positive".into());
        }
        if self.size_hidden_layers.is_empty()
            || self.size_hidden_layers.len() != self.time_constants_per_layer.len()
        {
            return bad(format!(
                "size_hidden_layers {:?} and time_constants_per_layer {:?} need one entry per \
                 hidden layer (at least one)",
                self.size_hidden_layers, self.time_constants_per_layer
            ));
        }
        let mut n_in = self.n_channels;
        for (i, (&n, &k)) in self
            .size_hidden_layers
            .iter()
            .zip(&self.time_constants_per_layer)
            .enumerate()
        {
            if n == 0 || k == 0 || k > n {
                return bad(format!(
                    "hidden layer {i}: {n} neurons and {k} time constants (at least one neuron, \
                     between 1 and the number of neurons time constants)"
                ));
            }
            crate::nn::defaults::check_elements(&format!("SynNet hidden layer {i}"), &[n_in, n])?;
            n_in = n;
        }
        crate::nn::defaults::check_elements("SynNet read-out", &[n_in, self.n_classes])?;
        for (name, v) in [
            ("tau_syn_base", self.tau_syn_base),
            ("tau_mem", self.tau_mem),
            ("tau_syn_out", self.tau_syn_out),
            ("dt", self.dt),
            ("threshold", self.threshold),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(format!("{name} = {v}: must be positive and finite"));
            }
        }
        if self.tau_syn_base < self.dt {
            return bad(format!(
                "tau_syn_base = {} is shorter than dt = {}",
                self.tau_syn_base, self.dt
            ));
        }
        if let Some(i) = (0..self.size_hidden_layers.len()).find(|&i| {
            self.tau_syn_of_layer(i)
                .iter()
                .any(|t| !(t.is_finite() && *t > 0.0))
        }) {
            return bad(format!(
                "hidden layer {i}: tau_syn_base · (tau_syn_base/dt)^k overflows for k up to {}",
                self.time_constants_per_layer[i]
            ));
        }
        if !(0.0..1.0).contains(&self.p_dropout) {
            return bad(format!(
                "p_dropout = {}: must lie in [0, 1)",
                self.p_dropout
            ));
        }
        Ok(())
    }

    fn lif(&self, n: usize, tau_syn: PerNeuron, threshold: f64, max_spikes: f64) -> LifConfig {
        let mut constant = vec!["bias".to_string()];
        if !self.train_time_constants {
            constant.extend(["tau_mem".into(), "tau_syn".into()]);
        }
        if !self.train_threshold {
            constant.push("threshold".into());
        }
        LifConfig {
            tau_mem: PerNeuron::Scalar(self.q(self.tau_mem)),
            tau_syn,
            threshold: PerNeuron::Scalar(threshold),
            bias: PerNeuron::Scalar(0.0),
            dt: self.dt,
            max_spikes_per_dt: max_spikes,
            surrogate: Surrogate::PeriodicExponential { window: 0.5 },
            constant,
            ..LifConfig::new(n)
        }
    }

    /// The network as a flat list of ordinary layer configurations, named as in Rockpool
    /// (`"{i}_linear"`, `"{i}_neurons"`, `"{i}_dropout"`, `"out_linear"`, `"out_neurons"`):
    /// what [`SynNetConfig::init`] builds, and what Xylo-mode training rewrites.
    ///
    /// # Errors
    /// [`Error::Value`] naming the field when the hyper-parameters are invalid.
    pub fn layers(&self) -> Result<Vec<NamedLayerConfig>> {
        self.check()?;
        let named = |name: String, layer: LayerConfig| NamedLayerConfig {
            name: Some(name),
            layer,
        };
        let mut out = Vec::new();
        let mut n_in = self.n_channels;
        for (i, &n) in self.size_hidden_layers.iter().enumerate() {
            let taus = self.tau_syn_of_layer(i);
            out.push(named(
                format!("{i}_linear"),
                scaled_linear(n_in, &taus, self.dt),
            ));
            let lif = self.lif(
                n,
                PerNeuron::Vector(taus),
                self.threshold,
                self.max_spikes_per_dt,
            );
            out.push(named(format!("{i}_neurons"), LayerConfig::Lif(lif)));
            if self.p_dropout > 0.0 {
                out.push(named(
                    format!("{i}_dropout"),
                    LayerConfig::TimeStepDropout(DropoutConfig::new(n, self.p_dropout)),
                ));
            }
            n_in = n;
        }
        let tau_out = self.q(self.tau_syn_out);
        let taus = vec![tau_out; self.n_classes];
        out.push(named(
            "out_linear".into(),
            scaled_linear(n_in, &taus, self.dt),
        ));
        let threshold_out = match self.output {
            LifOutput::Vmem => f64::from(i16::MAX),
            LifOutput::Spikes => self.threshold_out.unwrap_or(self.threshold),
        };
        let mut lif_out = self.lif(
            self.n_classes,
            PerNeuron::Scalar(tau_out),
            threshold_out,
            self.max_spikes_per_dt_out,
        );
        lif_out.output = self.output;
        out.push(named("out_neurons".into(), LayerConfig::Lif(lif_out)));
        Ok(out)
    }

    /// Builds the network on `device`.
    pub fn init(&self, device: &Device) -> Result<Sequential<Layer>> {
        ChainConfig {
            layers: self.layers()?,
        }
        .init_sequential(device)
    }
}

/// A `Linear(n_in → taus.len())` without bias, Kaiming-initialised, with the column of
/// neuron `j` scaled by `dt / taus[j]`.
fn scaled_linear(n_in: usize, taus: &[f64], dt: f64) -> LayerConfig {
    let mut c = LinearConfig::new(n_in, taus.len());
    c.column_scale = Some(taus.iter().map(|t| dt / t).collect());
    LayerConfig::Linear(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ModuleExt;
    use crate::test_util::device;

    #[test]
    fn time_constants_follow_the_geometric_series_and_the_bitshift_grid() {
        let c = SynNetConfig {
            size_hidden_layers: vec![7],
            time_constants_per_layer: vec![3],
            quantize_time_constants: false,
            ..SynNetConfig::new(16, 2)
        };
        // dt·(2 ms / 1 ms)^k = 2, 4, 8 ms, cycling over 7 neurons.
        let t = c.tau_syn_of_layer(0);
        let want = [2e-3, 4e-3, 8e-3, 2e-3, 4e-3, 8e-3, 2e-3];
        assert!(
            t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{t:?}"
        );
        // 2 ms at dt = 1 ms: 1 − e^{−1/2} = 0.3935 → dash = round(1.345) = 1 → τ = 1/ln 2 ms.
        assert!((quantize_tau(2e-3, 1e-3) - 1e-3 / std::f64::consts::LN_2).abs() < 1e-12);
        // 8 ms: 1 − e^{−1/8} = 0.1175 → dash = round(3.089) = 3 → τ = −1 ms / ln(7/8).
        assert!((quantize_tau(8e-3, 1e-3) - (-1e-3 / (7.0f64 / 8.0).ln())).abs() < 1e-12);
    }

    #[test]
    fn the_network_has_rockpools_layers_names_and_scaled_weights() {
        let dev = device();
        crate::device::seed(&dev, 1);
        let c = SynNetConfig {
            size_hidden_layers: vec![6, 4],
            time_constants_per_layer: vec![2, 1],
            p_dropout: 0.1,
            ..SynNetConfig::new(16, 3)
        };
        let net = c.init(&dev).unwrap();
        assert_eq!(
            net.names(),
            [
                "0_linear",
                "0_neurons",
                "0_dropout",
                "1_linear",
                "1_neurons",
                "1_dropout",
                "out_linear",
                "out_neurons"
            ]
        );
        assert_eq!((net.size_in(), net.size_out()), (16, 3));
        // Column j of 0_linear is scaled by dt/τ_j: the scale of a Kaiming draw, whose bound
        // is √(6/16); the slow columns are smaller.
        let Some((_, Layer::Linear(l))) = net.iter().next() else {
            panic!("0_linear first")
        };
        let w: Vec<f32> = l.weight.val().into_data().try_to_vec().unwrap();
        let taus = c.tau_syn_of_layer(0);
        let bound = (6.0f64 / 16.0).sqrt();
        for (j, tau) in taus.iter().enumerate() {
            let col_max = (0..16)
                .map(|r| f64::from(w[r * 6 + j].abs()))
                .fold(0.0, f64::max);
            assert!(
                col_max <= bound * 1e-3 / tau + 1e-6,
                "column {j}: {col_max}"
            );
        }
        let vmem = SynNetConfig {
            output: LifOutput::Vmem,
            ..SynNetConfig::new(16, 3)
        };
        assert!(vmem.init(&dev).is_ok());
        let bad = SynNetConfig {
            time_constants_per_layer: vec![1, 2],
            ..SynNetConfig::new(16, 3)
        };
        assert!(
            bad.init(&dev)
                .unwrap_err()
                .to_string()
                .contains("time_constants_per_layer")
        );
    }
}
