//! Neuron and layer modules, their combinators, and the [`Layer`] enum of built-in kinds.
//!
//! One concept per file or folder. Small shared pieces sit below the models and the kernels:
//! [`defaults`] (default `dt`, time constants, spike cap, the τ floor, white noise),
//! [`per_neuron`] (scalar-or-vector config values), [`init`] (weight initialisers),
//! [`surrogate`] (surrogate gradients). The models: [`linear`], [`rate`], [`instant`],
//! [`delay`], [`lif`] (LIF with exponential synapses: config, typed state, leaks, reference),
//! [`alif`], [`lif_neuron`], [`exp_syn`], and for spiking convolutional networks [`conv`]
//! (`Conv1d`, `Conv2d` on flattened frames) and [`pool`] (sum and average pooling, `Flatten`);
//! [`dropout`] (unit and time-step dropout); [`front_end`] (the Xylo front-end simulators as a
//! module); [`synnet`] (Rockpool's `SynNet`, built from the
//! modules above, in `combinators`). [`combinators`] holds `Sequential`, `Residual` and
//! [`Layer`], the enum that lets containers and network files hold any built-in module, and
//! [`kernels`] the fused multi-step operations the models run on (they never import a model).

pub mod activation;
pub mod alif;
pub mod combinators;
pub mod conv;
pub mod defaults;
pub mod delay;
pub mod dropout;
pub mod exp_syn;
pub mod front_end;
pub mod init;
pub mod instant;
pub mod kernels;
pub mod lif;
pub mod lif_neuron;
pub mod linear;
pub mod per_neuron;
pub mod pool;
pub mod rate;
pub mod surrogate;
pub mod xylo_sim;

pub use activation::Activation;
pub use alif::{ALif, ALifConfig, ALifState};
pub use combinators::layer::{self, Layer, LayerConfig, NamedLayerConfig};
pub use combinators::synnet::{self, SynNetConfig};
pub use combinators::wavesense::{self, WaveSenseBlock, WaveSenseNet, WaveSenseNetConfig};
pub use combinators::{residual::Residual, sequential::Sequential};
pub use conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, Padding, PaddingName, Pair};
pub use defaults::white_noise;
pub use delay::{Delay, DelayConfig};
pub use dropout::{Dropout, DropoutConfig, DropoutKind};
pub use exp_syn::{ExpSyn, ExpSynConfig, ExpSynState};
pub use front_end::{FrontEnd, FrontEndConfig};
pub use init::WeightInit;
pub use instant::{Instant, InstantConfig, InstantFn};
pub use lif::{LeakMode, Lif, LifConfig, LifDynamics, LifOutput, LifState};
pub use lif_neuron::{LifNeuron, LifNeuronConfig, LifNeuronState};
pub use linear::{Linear, LinearConfig};
pub use per_neuron::PerNeuron;
pub use pool::{Flatten, FlattenConfig, Pool2d, Pool2dConfig, PoolMode};
pub use rate::{Rate, RateConfig, RateState};
pub use surrogate::Surrogate;
pub use xylo_sim::{XyloChip, XyloSimConfig};
