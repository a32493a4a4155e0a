//! [`Layer`]: one enum over every built-in module kind, so that containers built at run time
//! (from a network file) can hold any of them, and [`LayerConfig`], its serde (TOML) form.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Attr, Evolution, Evolve, ModuleExt, ModuleView, StateTree, Value};
use crate::nn::front_end::{FrontEnd, FrontEndConfig};
use crate::nn::{
    ALif, ALifConfig, Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, Delay, DelayConfig, Dropout,
    DropoutConfig, DropoutKind, ExpSyn, ExpSynConfig, Flatten, FlattenConfig, Instant,
    InstantConfig, Lif, LifConfig, LifNeuron, LifNeuronConfig, Linear, LinearConfig, Pool2d,
    Pool2dConfig, PoolMode, Rate, RateConfig, Residual, Sequential, SynNetConfig, WaveSenseNet,
    WaveSenseNetConfig, XyloChip, XyloSimConfig,
};

/// Any built-in module.
#[allow(clippy::large_enum_variant)] // one per layer; boxing would complicate Burn's derive
#[derive(Module, Debug)]
#[module(custom_display)]
pub enum Layer {
    /// A weight layer.
    Linear(Linear),
    /// Rate neurons.
    Rate(Rate),
    /// An element-wise function.
    Instant(Instant),
    /// Spiking LIF neurons.
    Lif(Lif),
    /// Adaptive LIF neurons (after-hyperpolarisation).
    ALif(ALif),
    /// A delay line.
    Delay(Delay),
    /// Unit or time-step dropout.
    Dropout(Dropout),
    /// Exponential synapses.
    ExpSyn(ExpSyn),
    /// LIF neurons without synapses.
    LifNeuron(LifNeuron),
    /// A 1-D convolution on flattened frames.
    Conv1d(Conv1d),
    /// A 2-D convolution on flattened frames.
    Conv2d(Conv2d),
    /// Sum or average pooling.
    Pool2d(Pool2d),
    /// The identity on flattened frames.
    Flatten(Flatten),
    /// A deployed Xylo configuration, simulated bit-exactly.
    XyloSim(XyloChip),
    /// A Xylo front end.
    FrontEnd(FrontEnd),
    /// A nested chain.
    Sequential(Sequential<Layer>),
    /// A residual block.
    Residual(Residual<Layer>),
    /// Rockpool's `WaveSenseNet`.
    WaveSenseNet(WaveSenseNet),
}

macro_rules! delegate {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            Layer::Linear($m) => $e,
            Layer::Rate($m) => $e,
            Layer::Instant($m) => $e,
            Layer::Lif($m) => $e,
            Layer::ALif($m) => $e,
            Layer::Delay($m) => $e,
            Layer::Dropout($m) => $e,
            Layer::ExpSyn($m) => $e,
            Layer::LifNeuron($m) => $e,
            Layer::Conv1d($m) => $e,
            Layer::Conv2d($m) => $e,
            Layer::Pool2d($m) => $e,
            Layer::Flatten($m) => $e,
            Layer::XyloSim($m) => $e,
            Layer::FrontEnd($m) => $e,
            Layer::Sequential($m) => $e,
            Layer::Residual($m) => $e,
            Layer::WaveSenseNet($m) => $e,
        }
    };
}

impl ModuleView for Layer {
    fn class_name(&self) -> String {
        delegate!(self, m => m.class_name())
    }
    fn shape(&self) -> Vec<usize> {
        delegate!(self, m => m.shape())
    }
    fn spiking_input(&self) -> bool {
        delegate!(self, m => m.spiking_input())
    }
    fn spiking_output(&self) -> bool {
        delegate!(self, m => m.spiking_output())
    }
    fn own_attributes(&self) -> Vec<(String, Attr)> {
        delegate!(self, m => m.own_attributes())
    }
    fn set_own_attribute(&mut self, name: &str, value: Value) -> Result<()> {
        delegate!(self, m => m.set_own_attribute(name, value))
    }
    fn check_own_attribute(&self, name: &str, value: &Value) -> Result<()> {
        delegate!(self, m => m.check_own_attribute(name, value))
    }
    fn submodules(&self) -> Vec<(String, &dyn ModuleView)> {
        delegate!(self, m => m.submodules())
    }
    fn submodules_mut(&mut self) -> Vec<(String, &mut dyn ModuleView)> {
        delegate!(self, m => m.submodules_mut())
    }
    fn reset_own_state(&mut self) {
        delegate!(self, m => m.reset_own_state())
    }
    fn reset_own_parameters(&mut self) {
        delegate!(self, m => m.reset_own_parameters())
    }
    fn time_ratio(&self) -> f64 {
        delegate!(self, m => m.time_ratio())
    }
}

impl Evolve for Layer {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        delegate!(self, m => m.evolve_with(input, state, record))
    }
}

impl burn::module::ModuleDisplay for Layer {
    fn format(&self, _settings: burn::module::DisplaySettings) -> String {
        self.describe()
    }
}

macro_rules! layer_from {
    ($($v:ident($t:ty)),*) => {$(
        impl From<$t> for Layer {
            fn from(m: $t) -> Self {
                Layer::$v(m)
            }
        }
    )*};
}
layer_from!(
    Linear(Linear),
    Rate(Rate),
    Instant(Instant),
    Lif(Lif),
    ALif(ALif),
    Delay(Delay),
    Dropout(Dropout),
    ExpSyn(ExpSyn),
    LifNeuron(LifNeuron),
    Conv1d(Conv1d),
    Conv2d(Conv2d),
    Pool2d(Pool2d),
    Flatten(Flatten),
    XyloSim(XyloChip),
    FrontEnd(FrontEnd),
    Sequential(Sequential<Layer>),
    Residual(Residual<Layer>),
    WaveSenseNet(WaveSenseNet)
);

/// The configuration of one built-in module, tagged by `type` in TOML:
///
/// ```toml
/// [[layers]]
/// type = "linear"
/// size_in = 2
/// size_out = 8
///
/// [[layers]]
/// type = "rate"
/// n = 8
/// tau = 0.05
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerConfig {
    /// [`Linear`].
    Linear(LinearConfig),
    /// [`Rate`].
    Rate(RateConfig),
    /// [`Instant`].
    Instant(InstantConfig),
    /// [`Lif`].
    Lif(LifConfig),
    /// [`ALif`] (TOML `type = "alif"`).
    #[serde(rename = "alif")]
    ALif(ALifConfig),
    /// [`Delay`].
    Delay(DelayConfig),
    /// [`Dropout`] of whole neurons per sample (Rockpool's `UnitDropout`).
    UnitDropout(DropoutConfig),
    /// [`Dropout`] of single events (Rockpool's `TimeStepDropout`).
    TimeStepDropout(DropoutConfig),
    /// [`ExpSyn`].
    ExpSyn(ExpSynConfig),
    /// [`LifNeuron`].
    LifNeuron(LifNeuronConfig),
    /// [`Conv1d`].
    Conv1d(Conv1dConfig),
    /// [`Conv2d`].
    Conv2d(Conv2dConfig),
    /// [`Pool2d`] summing its windows (NIR's `SumPool2d`).
    SumPool2d(Pool2dConfig),
    /// [`Pool2d`] averaging its windows (NIR's `AvgPool2d`).
    AvgPool2d(Pool2dConfig),
    /// [`Flatten`].
    Flatten(FlattenConfig),
    /// [`XyloChip`]: a deployed configuration (TOML `type = "xylo_sim"`).
    XyloSim(XyloSimConfig),
    /// [`FrontEnd`]: a Xylo front-end simulator (TOML `type = "front_end"`).
    FrontEnd(FrontEndConfig),
    /// A nested [`Sequential`].
    Sequential(ChainConfig),
    /// A [`Residual`] block.
    Residual(ChainConfig),
    /// Rockpool's `SynNet` (TOML `type = "syn_net"`), built as a nested [`Sequential`].
    SynNet(SynNetConfig),
    /// Rockpool's `WaveSenseNet` (TOML `type = "wave_sense_net"`).
    WaveSenseNet(WaveSenseNetConfig),
}

/// The layers of a chain (`Sequential` or `Residual`). Unknown keys are refused (`layerz`
/// used to build an empty block); a chain without layers is refused when built.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// Modules in order.
    #[serde(default)]
    pub layers: Vec<NamedLayerConfig>,
}

/// A module configuration with an optional name inside a chain.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NamedLayerConfig {
    /// Name in the chain (default `"{index}_{Class}"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The module.
    #[serde(flatten)]
    pub layer: LayerConfig,
}

impl ChainConfig {
    /// Builds the chain on `device`; errors name the offending entry by its position.
    pub fn init_sequential(&self, device: &Device) -> Result<Sequential<Layer>> {
        if self.layers.is_empty() {
            return Err(Error::value(
                "sequential/residual block",
                "has no layers (give them as [[layers.layers]] tables)",
            ));
        }
        let mut seq = Sequential::new();
        for (i, entry) in self.layers.iter().enumerate() {
            let layer = entry
                .layer
                .init(device)
                .map_err(|e| at_entry(i, &entry.name, e))?;
            seq.append(layer, entry.name.clone())
                .map_err(|e| at_entry(i, &entry.name, e))?;
        }
        Ok(seq)
    }
}

fn at_entry(i: usize, name: &Option<String>, e: Error) -> Error {
    let label = match name {
        Some(n) => format!("layer {i} ('{n}')"),
        None => format!("layer {i}"),
    };
    Error::value(label, e.to_string())
}

impl LayerConfig {
    /// Builds the module on `device`.
    pub fn init(&self, device: &Device) -> Result<Layer> {
        Ok(match self {
            LayerConfig::Linear(c) => c.try_init(device)?.into(),
            LayerConfig::Rate(c) => c.init(device)?.into(),
            LayerConfig::Instant(c) => c.init()?.into(),
            LayerConfig::Lif(c) => c.init(device)?.into(),
            LayerConfig::ALif(c) => c.init(device)?.into(),
            LayerConfig::Delay(c) => c.init()?.into(),
            LayerConfig::UnitDropout(c) => c.init(DropoutKind::Unit)?.into(),
            LayerConfig::TimeStepDropout(c) => c.init(DropoutKind::TimeStep)?.into(),
            LayerConfig::ExpSyn(c) => c.init(device)?.into(),
            LayerConfig::LifNeuron(c) => c.init(device)?.into(),
            LayerConfig::Conv1d(c) => c.init(device)?.into(),
            LayerConfig::Conv2d(c) => c.init(device)?.into(),
            LayerConfig::SumPool2d(c) => c.init(PoolMode::Sum)?.into(),
            LayerConfig::AvgPool2d(c) => c.init(PoolMode::Avg)?.into(),
            LayerConfig::Flatten(c) => c.init()?.into(),
            LayerConfig::XyloSim(c) => c.init()?.into(),
            LayerConfig::FrontEnd(c) => c.init()?.into(),
            LayerConfig::Sequential(c) => c.init_sequential(device)?.into(),
            LayerConfig::Residual(c) => Residual::new(c.init_sequential(device)?)?.into(),
            LayerConfig::SynNet(c) => c.init(device)?.into(),
            LayerConfig::WaveSenseNet(c) => c.init(device)?.into(),
        })
    }
}

impl Layer {
    /// Size of the input.
    pub fn n_in(&self) -> usize {
        self.size_in()
    }
}
