//! # rockpool
//!
//! Design, simulate and train spiking and other dynamical neural networks on
//! [Burn](https://burn.dev), and deploy them to SynSense Xylo chips — a Rust re-implementation
//! of the Python library Rockpool.
//!
//! Every module is a dynamical system: it has parameters, state and simulation parameters,
//! evolves over `[batch, time, channels]` inputs and returns `(output, new_state, record)`.
//!
//! ```no_run
//! use rockpool::prelude::*;
//!
//! let device = rockpool::device::default_device()?;
//! let mut rate = RateConfig::new(4).init(&device)?;
//! println!("{}", rate.describe()); // Rate with shape (4,)
//! let input = Tensor::<2>::random([100, 4], Distribution::Default, &device);
//! let ev = rate.evolve(input, false)?;
//! assert_eq!(ev.output.dims(), [1, 100, 4]);
//! # Ok::<(), rockpool::Error>(())
//! ```
//!
//! Layers (dependencies point one way): [`device`] ← [`module`] ← [`nn`] (its [`nn::kernels`]
//! below the models) ← ([`graph`], [`persist`], [`network`], [`timed`], [`data`]) ←
//! [`train`] beside ([`quant`], [`xylo`]) ← [`job`] ← the `rockpool` command; training never
//! imports Xylo. The map of every file, the rules and the invariants are in `ARCHITECTURE.md`;
//! the user guide is [`guide`].

pub mod data;
pub mod device;
pub mod error;
pub mod graph;
pub mod guide;
pub mod job;
pub mod mismatch;
pub mod module;
pub mod network;
pub mod nir;
pub mod nn;
pub mod persist;
pub mod quant;
pub mod rng;
pub mod timed;
pub mod train;
pub mod xylo;

pub use error::{Error, Result};
/// The Xylo front-end simulators (re-exported from `rockpool-frontend`).
pub use rockpool_frontend as frontend;
/// Plotting to PNG and SVG (re-exported from `rockpool-plot`).
pub use rockpool_plot as plot;
/// Training tasks and datasets (re-exported from `rockpool-tasks`).
pub use rockpool_tasks as tasks;
/// Time series (re-exported from `rockpool-timeseries`).
pub use rockpool_timeseries as timeseries;

#[cfg(test)]
mod test_util;

/// The names most programs need.
pub mod prelude {
    pub use crate::device::{Device, autodiff, default_device, seed};
    pub use crate::error::{Error, Result};
    pub use crate::module::{
        Attr, AttrKind, DynTensor, Evolution, Evolve, Family, ModuleExt, ModuleView, StateTree,
        Tree, Value, constant,
    };
    pub use crate::nn::{
        Activation, Instant, InstantConfig, InstantFn, Layer, LayerConfig, LeakMode, Lif,
        LifConfig, Linear, LinearConfig, Rate, RateConfig, Residual, Sequential, Surrogate,
        WeightInit,
    };
    pub use crate::timed::{Timed, TimedExt};
    pub use crate::timeseries::{TimeSeries, TsContinuous, TsEvent};
    pub use burn::module::{Module, Param};
    pub use burn::tensor::{Distribution, Tensor, TensorData};
}
