//! `WaveSenseNet` (Weidel et al. 2021), Rockpool's spiking WaveNet: dilated temporal
//! convolutions replaced by LIF neurons whose synapses have different time constants, in
//! blocks with a residual path and a skip path whose outputs are summed over blocks.
//!
//! Architecture (names as in Rockpool; `B` batch, `T` steps, all layers LIF with subtractive
//! reset, spike counts between layers):
//!
//! ```text
//! x [B,T,n_channels_in] → lin1 → spk1 → h [B,T,n_channels_res]
//! for each dilation d (block "wave{i}"):
//!     a      = spk1(lin1(h))                 kernel_size synapses per neuron
//!     h      = spk2_res(lin2_res(a)) + h     residual path [B,T,n_channels_res]
//!     skip  += spk2_skip(lin2_skip(a))       skip path     [B,T,n_channels_skip]
//! y = spk_out(readout(spk2(hidden(skip))))   [B,T,n_classes]
//! ```
//!
//! Time constants (seconds): every LIF has `tau_mem` and `tau_syn = base_tau_syn`, except
//! a block's `spk1`, whose neuron `j` has `kernel_size` synapses with
//! `τ_k = max(k·d·base_tau_syn, base_tau_syn)`, `k = 0 … kernel_size − 1`, and
//! `tau_mem = max_k τ_k` (the synapses stand in for the taps of a dilated convolution), and
//! the read-out `spk_out`, with `tau_mem = tau_syn = tau_lp` and `threshold_out`. Input
//! channel `j·kernel_size + k` of a block's `spk1` feeds neuron `j`, synapse `k`. Every LIF
//! has `bias` and (but `spk_out`) `threshold`; time constants and thresholds are constant,
//! the bias too unless `train_bias`. Only the weights (no biases) of the `Linear` layers are
//! trained by default. Spikes use Rockpool's `PeriodicExponential` surrogate (window 0.5),
//! except the skip neurons `spk2_skip`, which use `StepPWL` (window 0.5), as in Rockpool.
//!
//! Initial weights are Kaiming-uniform, U(±√(6/size_in)), with each column scaled by
//! `dt/τ_syn` of its target neuron: `dt/base_tau_syn` for `lin1`, `lin2_res`, `lin2_skip`,
//! `hidden`; `dt/max_k τ_k` for a block's `lin1`; `dt/tau_lp` for `readout`.
//!
//! State and records are keyed like a [`Sequential`](crate::nn::Sequential)'s: per child
//! `name` its state / record, and (records) its output under `"{name}_output"`; a block's
//! entry `"wave{i}_output"` is its residual output. As in Rockpool, the read-out's output is
//! not recorded again (it is the network's output).

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{
    Evolution, Evolve, ModuleExt, ModuleView, StateTree, Tree, Value, auto_batch, empty_evolution,
};
use crate::nn::{Lif, LifConfig, Linear, LinearConfig, PerNeuron, Surrogate};

/// Hyper-parameters of a [`WaveSenseNet`] (TOML `type = "wave_sense_net"`), Rockpool's
/// argument names and defaults; times in seconds. `dilations` has no default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WaveSenseNetConfig {
    /// One dilation (≥ 1) per block, in order (required).
    pub dilations: Vec<usize>,
    /// Read-out neurons (default 2).
    pub n_classes: usize,
    /// Input channels (default 16).
    pub n_channels_in: usize,
    /// Channels of the residual path (default 16).
    pub n_channels_res: usize,
    /// Channels of the skip path (default 32).
    pub n_channels_skip: usize,
    /// Neurons of the hidden layer after the skip sum (default 32).
    pub n_hidden: usize,
    /// Synapses per neuron of a block's first layer: the taps of the dilated convolution
    /// (default 2).
    pub kernel_size: usize,
    /// Bias of every LIF layer (default 0).
    pub bias: f64,
    /// Train the biases (default false: Rockpool's `Constant(0)`; a bias given to Rockpool as
    /// a plain number is trainable).
    pub train_bias: bool,
    /// Accepted for compatibility; unused, as in Rockpool (default true).
    pub smooth_output: bool,
    /// Membrane time constant of every layer but a block's first and the read-out (default
    /// 20 ms).
    pub tau_mem: f64,
    /// The shortest synaptic time constant, of every layer but the read-out (default 20 ms).
    pub base_tau_syn: f64,
    /// Membrane and synaptic time constant of the read-out (default 20 ms).
    pub tau_lp: f64,
    /// Threshold of every layer but the read-out (default 1).
    pub threshold: f64,
    /// Threshold of the read-out (default 1).
    pub threshold_out: f64,
    /// Time step (default 1 ms).
    pub dt: f64,
}

impl Default for WaveSenseNetConfig {
    /// Rockpool's defaults, with no blocks (which [`WaveSenseNetConfig::init`] refuses: give
    /// `dilations`).
    fn default() -> Self {
        Self {
            dilations: Vec::new(),
            n_classes: 2,
            n_channels_in: 16,
            n_channels_res: 16,
            n_channels_skip: 32,
            n_hidden: 32,
            kernel_size: 2,
            bias: 0.0,
            train_bias: false,
            smooth_output: true,
            tau_mem: 20e-3,
            base_tau_syn: 20e-3,
            tau_lp: 20e-3,
            threshold: 1.0,
            threshold_out: 1.0,
            dt: 1e-3,
        }
    }
}

impl WaveSenseNetConfig {
    /// A network with one block per dilation, `n_channels_in` inputs and `n_classes`
    /// outputs, Rockpool's other defaults.
    pub fn new(dilations: Vec<usize>, n_channels_in: usize, n_classes: usize) -> Self {
        Self {
            dilations,
            n_channels_in,
            n_classes,
            ..Self::default()
        }
    }

    /// The synaptic time constants `(kernel_size,)` of the first layer of the block with
    /// `dilation`, seconds: `max(k·dilation·base_tau_syn, base_tau_syn)`.
    pub fn block_tau_syn(&self, dilation: usize) -> Vec<f64> {
        (0..self.kernel_size)
            .map(|k| ((k * dilation) as f64 * self.base_tau_syn).max(self.base_tau_syn))
            .collect()
    }

    fn check(&self) -> Result<()> {
        let field = |name: &str, m: String| Err(Error::value(format!("WaveSenseNet.{name}"), m));
        if self.dilations.is_empty() {
            return field(
                "dilations",
                "is required: one dilation per block, e.g. dilations = [2, 4]".into(),
            );
        }
        if let Some(i) = self.dilations.iter().position(|&d| d == 0) {
            return field(
                "dilations",
                format!("entry {i} is 0; dilations must be ≥ 1"),
            );
        }
        for (name, v) in [
            ("n_classes", self.n_classes),
            ("n_channels_in", self.n_channels_in),
            ("n_channels_res", self.n_channels_res),
            ("n_channels_skip", self.n_channels_skip),
            ("n_hidden", self.n_hidden),
            ("kernel_size", self.kernel_size),
        ] {
            if v == 0 {
                return field(name, "must be positive, got 0".into());
            }
        }
        for (name, v) in [
            ("tau_mem", self.tau_mem),
            ("base_tau_syn", self.base_tau_syn),
            ("tau_lp", self.tau_lp),
            ("threshold", self.threshold),
            ("threshold_out", self.threshold_out),
            ("dt", self.dt),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return field(name, format!("must be positive and finite, got {v}"));
            }
        }
        if !self.bias.is_finite() {
            return field("bias", format!("must be finite, got {}", self.bias));
        }
        let longest = self.dilations.iter().max().copied().unwrap_or(1);
        let tau_max = self.block_tau_syn(longest).into_iter().fold(0.0, f64::max);
        if !tau_max.is_finite() {
            return field(
                "dilations",
                format!(
                    "the longest synaptic time constant (kernel_size − 1)·{longest}·base_tau_syn \
                     overflows"
                ),
            );
        }
        let (res, skip) = (self.n_channels_res, self.n_channels_skip);
        for (what, dims) in [
            ("lin1", [self.n_channels_in, res, 1]),
            ("block lin1", [res, res, self.kernel_size]),
            ("block lin2_skip", [res, skip, 1]),
            ("hidden", [skip, self.n_hidden, 1]),
            ("readout", [self.n_hidden, self.n_classes, 1]),
        ] {
            crate::nn::defaults::check_elements(&format!("WaveSenseNet {what} weights"), &dims)?;
        }
        Ok(())
    }

    /// A LIF layer of `n` neurons with `tau_syn` (one per neuron, or per synapse when
    /// `n_syn > 1`), all parameters constant but the bias when `train_bias`.
    fn lif(&self, n: usize, n_syn: usize, tau_mem: f64, tau_syn: PerNeuron) -> LifConfig {
        let mut constant: Vec<String> = ["tau_mem", "tau_syn", "threshold"]
            .map(String::from)
            .to_vec();
        if !self.train_bias {
            constant.push("bias".into());
        }
        LifConfig {
            n_syn,
            tau_mem: PerNeuron::Scalar(tau_mem),
            tau_syn,
            threshold: PerNeuron::Scalar(self.threshold),
            bias: PerNeuron::Scalar(self.bias),
            dt: self.dt,
            surrogate: Surrogate::PeriodicExponential { window: 0.5 },
            constant,
            ..LifConfig::new(n)
        }
    }

    /// A LIF layer with `tau_mem` and `base_tau_syn`.
    fn plain_lif(&self, n: usize) -> LifConfig {
        self.lif(n, 1, self.tau_mem, PerNeuron::Scalar(self.base_tau_syn))
    }

    /// A `Linear(n_in → n_out)` without bias, its initial weights scaled by `dt/tau`.
    fn linear(&self, n_in: usize, n_out: usize, tau: f64, device: &Device) -> Result<Linear> {
        let mut c = LinearConfig::new(n_in, n_out);
        c.column_scale = Some(vec![self.dt / tau; n_out]);
        c.try_init(device)
    }

    fn block(&self, dilation: usize, device: &Device) -> Result<WaveSenseBlock> {
        let (res, k) = (self.n_channels_res, self.kernel_size);
        let taus = self.block_tau_syn(dilation);
        let tau_max = taus.iter().copied().fold(0.0, f64::max);
        let per_synapse: Vec<f64> = (0..res).flat_map(|_| taus.iter().copied()).collect();
        let mut skip = self.plain_lif(self.n_channels_skip);
        skip.surrogate = Surrogate::StepPwl { window: 0.5 };
        Ok(WaveSenseBlock {
            lin1: self.linear(res, res * k, tau_max, device)?,
            spk1: self
                .lif(res, k, tau_max, PerNeuron::Vector(per_synapse))
                .init(device)?,
            lin2_res: self.linear(res, res, self.base_tau_syn, device)?,
            spk2_res: self.plain_lif(res).init(device)?,
            lin2_skip: self.linear(res, self.n_channels_skip, self.base_tau_syn, device)?,
            spk2_skip: skip.init(device)?,
            dilation,
        })
    }

    /// Checks the hyper-parameters and builds the network on `device`, drawing its weights.
    ///
    /// # Errors
    /// [`Error::Value`] naming the field (`WaveSenseNet.dilations`, `…kernel_size`, …) when
    /// a hyper-parameter is invalid.
    pub fn init(&self, device: &Device) -> Result<WaveSenseNet> {
        self.check()?;
        let res = self.n_channels_res;
        let mut out_lif = self.lif(
            self.n_classes,
            1,
            self.tau_lp,
            PerNeuron::Scalar(self.tau_lp),
        );
        out_lif.threshold = PerNeuron::Scalar(self.threshold_out);
        Ok(WaveSenseNet {
            lin1: self.linear(self.n_channels_in, res, self.base_tau_syn, device)?,
            spk1: self.plain_lif(res).init(device)?,
            blocks: self
                .dilations
                .iter()
                .map(|&d| self.block(d, device))
                .collect::<Result<_>>()?,
            hidden: self.linear(
                self.n_channels_skip,
                self.n_hidden,
                self.base_tau_syn,
                device,
            )?,
            spk2: self.plain_lif(self.n_hidden).init(device)?,
            readout: self.linear(self.n_hidden, self.n_classes, self.tau_lp, device)?,
            spk_out: out_lif.init(device)?,
        })
    }
}

/// One WaveSense block (Rockpool's `WaveSenseBlock`): input and residual output
/// `[B, T, n_channels_res]`, skip output `[B, T, n_channels_skip]` (spike counts).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct WaveSenseBlock {
    /// `(n_channels_res, n_channels_res·kernel_size)`: into the synapses of `spk1`.
    pub lin1: Linear,
    /// `n_channels_res` neurons with `kernel_size` synapses each (the dilated taps).
    pub spk1: Lif,
    /// `(n_channels_res, n_channels_res)`: the residual path.
    pub lin2_res: Linear,
    /// `n_channels_res` neurons of the residual path.
    pub spk2_res: Lif,
    /// `(n_channels_res, n_channels_skip)`: the skip path.
    pub lin2_skip: Linear,
    /// `n_channels_skip` neurons of the skip path.
    pub spk2_skip: Lif,
    /// The dilation this block's synaptic time constants were built for.
    pub dilation: usize,
}

crate::module_view!(WaveSenseBlock {
    class: "WaveSenseBlock",
    shape: |s| vec![s.spk2_res.n(), s.spk2_res.n()],
    spiking: |s| (true, true),
    parameters: {},
    simulation_parameters: {},
    state: {},
    submodules: { lin1, spk1, lin2_res, spk2_res, lin2_skip, spk2_skip },
});

/// What an evolution writes: the incoming state (taken apart child by child), the new state,
/// and the records when asked for.
struct Trees {
    state: StateTree,
    new_state: StateTree,
    record: Option<StateTree>,
}

impl Trees {
    fn new(state: StateTree, record: bool) -> Self {
        Self {
            state,
            new_state: Tree::new(),
            record: record.then(Tree::new),
        }
    }

    /// Evolves child `name` on `x` from its part of the state; keeps its new state, its
    /// record and (with `keep_output`) its output `"{name}_output"`.
    fn step(
        &mut self,
        name: &str,
        m: &dyn Evolve,
        x: Tensor<3>,
        keep_output: bool,
    ) -> Result<Tensor<3>> {
        let sub = self.state.take_branch(name);
        let ev = m.evolve_with(x, sub, self.record.is_some())?;
        self.new_state.insert_branch(name, ev.state);
        if let Some(rec) = &mut self.record {
            rec.insert_branch(name, ev.record);
            if keep_output {
                rec.insert(format!("{name}_output"), ev.output.clone().into());
            }
        }
        Ok(ev.output)
    }

    fn finish(self, output: Tensor<3>) -> Evolution {
        Evolution {
            output,
            state: self.new_state,
            record: self.record.unwrap_or_default(),
        }
    }
}

impl WaveSenseBlock {
    /// Evolves the block on `input` `[B, T, n_channels_res]` (spike counts) from `state`
    /// (keyed `spk1`, `spk2_res`, `spk2_skip`). Returns the evolution whose output is the
    /// residual output `spk2_res(…) + input` `[B, T, n_channels_res]`, and the skip output
    /// `[B, T, n_channels_skip]`.
    pub fn evolve_block(
        &self,
        input: Tensor<3>,
        state: StateTree,
        record: bool,
    ) -> Result<(Evolution, Tensor<3>)> {
        let mut t = Trees::new(state, record);
        let x = t.step("lin1", &self.lin1, input.clone(), true)?;
        let a = t.step("spk1", &self.spk1, x, true)?;
        let r = t.step("lin2_res", &self.lin2_res, a.clone(), true)?;
        let r = t.step("spk2_res", &self.spk2_res, r, true)?;
        let s = t.step("lin2_skip", &self.lin2_skip, a, true)?;
        let skip = t.step("spk2_skip", &self.spk2_skip, s, true)?;
        Ok((t.finish(r + input), skip))
    }
}

impl Evolve for WaveSenseBlock {
    /// The residual output; the skip output is in the record (`spk2_skip_output`) only.
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.spk2_res.n(), "WaveSenseBlock")?;
        if let Some(ev) = empty_evolution(&input, self.spk2_res.n(), &state) {
            return Ok(ev);
        }
        self.evolve_block(input, state, record).map(|(ev, _)| ev)
    }
}

/// Rockpool's `WaveSenseNet`: input `[B, T, n_channels_in]`, output `[B, T, n_classes]`
/// (spike counts per step; see the [module docs](self) for the architecture). Build it with
/// [`WaveSenseNetConfig::init`].
#[doc(alias = "WaveSense")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct WaveSenseNet {
    /// `(n_channels_in, n_channels_res)`.
    pub lin1: Linear,
    /// `n_channels_res` neurons.
    pub spk1: Lif,
    /// The blocks `wave0`, `wave1`, … in order.
    pub blocks: Vec<WaveSenseBlock>,
    /// `(n_channels_skip, n_hidden)`: from the summed skip outputs.
    pub hidden: Linear,
    /// `n_hidden` neurons.
    pub spk2: Lif,
    /// `(n_hidden, n_classes)`.
    pub readout: Linear,
    /// `n_classes` read-out neurons.
    pub spk_out: Lif,
}

impl WaveSenseNet {
    /// The dilations of the blocks, in order.
    pub fn dilations(&self) -> Vec<usize> {
        self.blocks.iter().map(|b| b.dilation).collect()
    }
}

impl ModuleView for WaveSenseNet {
    fn class_name(&self) -> String {
        "WaveSenseNet".into()
    }
    fn shape(&self) -> Vec<usize> {
        vec![self.lin1.size_in(), self.spk_out.n()]
    }
    fn spiking_input(&self) -> bool {
        true
    }
    fn spiking_output(&self) -> bool {
        true
    }
    fn own_attributes(&self) -> Vec<(String, crate::module::Attr)> {
        Vec::new()
    }
    fn set_own_attribute(&mut self, name: &str, _value: Value) -> Result<()> {
        Err(self.unknown_attribute(name))
    }
    fn submodules(&self) -> Vec<(String, &dyn ModuleView)> {
        let mut v: Vec<(String, &dyn ModuleView)> =
            vec![("lin1".into(), &self.lin1), ("spk1".into(), &self.spk1)];
        for (i, b) in self.blocks.iter().enumerate() {
            v.push((format!("wave{i}"), b));
        }
        v.push(("hidden".into(), &self.hidden));
        v.push(("spk2".into(), &self.spk2));
        v.push(("readout".into(), &self.readout));
        v.push(("spk_out".into(), &self.spk_out));
        v
    }
    fn submodules_mut(&mut self) -> Vec<(String, &mut dyn ModuleView)> {
        let mut v: Vec<(String, &mut dyn ModuleView)> = vec![
            ("lin1".into(), &mut self.lin1),
            ("spk1".into(), &mut self.spk1),
        ];
        for (i, b) in self.blocks.iter_mut().enumerate() {
            v.push((format!("wave{i}"), b));
        }
        v.push(("hidden".into(), &mut self.hidden));
        v.push(("spk2".into(), &mut self.spk2));
        v.push(("readout".into(), &mut self.readout));
        v.push(("spk_out".into(), &mut self.spk_out));
        v
    }
}

impl burn::module::ModuleDisplay for WaveSenseNet {
    fn format(&self, _settings: burn::module::DisplaySettings) -> String {
        self.describe()
    }
}

impl Evolve for WaveSenseNet {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.size_in(), "WaveSenseNet")?;
        if let Some(ev) = empty_evolution(&input, self.size_out(), &state) {
            return Ok(ev);
        }
        let mut t = Trees::new(state, record);
        let x = t.step("lin1", &self.lin1, input, true)?;
        let mut h = t.step("spk1", &self.spk1, x, true)?;
        let mut skip: Option<Tensor<3>> = None;
        for (i, block) in self.blocks.iter().enumerate() {
            let name = format!("wave{i}");
            let sub = t.state.take_branch(&name);
            let (ev, s) = block.evolve_block(h, sub, record)?;
            t.new_state.insert_branch(name.clone(), ev.state);
            if let Some(rec) = &mut t.record {
                rec.insert_branch(name.clone(), ev.record);
                rec.insert(format!("{name}_output"), ev.output.clone().into());
            }
            h = ev.output;
            skip = Some(match skip {
                Some(sum) => sum + s,
                None => s,
            });
        }
        let skip = skip.expect("a WaveSenseNet has at least one block");
        let x = t.step("hidden", &self.hidden, skip, true)?;
        let x = t.step("spk2", &self.spk2, x, true)?;
        let x = t.step("readout", &self.readout, x, true)?;
        let y = t.step("spk_out", &self.spk_out, x, false)?;
        Ok(t.finish(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::device;

    #[test]
    fn block_time_constants_and_weight_scales_follow_rockpool() {
        let c = WaveSenseNetConfig {
            kernel_size: 3,
            base_tau_syn: 5e-3,
            ..WaveSenseNetConfig::new(vec![2, 4], 4, 2)
        };
        // [0, d, 2d]·base, the first raised to base.
        assert_eq!(c.block_tau_syn(2), [5e-3, 10e-3, 20e-3]);
        assert_eq!(c.block_tau_syn(4), [5e-3, 20e-3, 40e-3]);
        let dev = device();
        let net = c.init(&dev).unwrap();
        assert_eq!(net.dilations(), [2, 4]);
        let b = &net.blocks[1];
        assert_eq!((b.spk1.n(), b.spk1.n_syn()), (16, 3));
        let tau_mem: Vec<f32> = b
            .spk1
            .tau_mem
            .as_ref()
            .unwrap()
            .val()
            .into_data()
            .try_to_vec()
            .unwrap();
        assert!(tau_mem.iter().all(|&t| (t - 40e-3).abs() < 1e-9));
        // Kaiming bound √(6/16) scaled by dt/40 ms.
        let w: Vec<f32> = b.lin1.weight.val().into_data().try_to_vec().unwrap();
        let max = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(max <= (6.0f32 / 16.0).sqrt() / 40.0 + 1e-6, "{max}");
        // Only the weights are trained by default.
        let trained = net.parameters(()).leaves().len();
        assert_eq!(trained, 3 + 3 * 2, "{}", net.parameters(()));
        assert_eq!(b.spk2_skip.surrogate, Surrogate::StepPwl { window: 0.5 });
        assert_eq!(
            net.spk_out.surrogate,
            Surrogate::PeriodicExponential { window: 0.5 }
        );
    }
}
