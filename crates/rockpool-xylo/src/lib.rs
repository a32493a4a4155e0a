//! Deployment to SynSense Xylo spiking-neural-network chips, in plain Rust.
//!
//! This crate is rockpool's Xylo path below the Burn models. It knows nothing about Burn: a
//! network exports itself as a [`rockpool_graph::Graph`], and everything after that lives here:
//!
//! ```text
//! Graph --map_graph--> MappedNetwork { XyloSpec<f64>, hardware ids, warnings }
//! XyloSpec<f64> --global_quantize / channel_quantize--> XyloSpec<i32>
//!     --validate_spec--> ValidationReport            (every chip limit, all problems at once)
//!     --config_from_spec--> XyloConfig --save--> samna-compatible JSON
//!     --XyloSim::from_spec / from_config--> bit-exact simulation
//!     --cycles_model / est_clock_freq--> clock requirement
//! ```
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`mapper`] | [`map_graph`]: design-rule checks, hardware-id allocation, graph → float [`XyloSpec`] |
//! | [`chips`] | [`XyloFamily`] (XyloAudio 2 / XyloAudio 3 / XyloIMU) and their [`ChipSpec`] limits |
//! | [`spec`] | [`XyloSpec`]: the weight matrices and neuron parameters of one network, float or integer |
//! | [`quantize`] | [`global_quantize`] and [`channel_quantize`] (float spec → integer spec) |
//! | [`validate`] | [`validate_spec`] / [`validate_config`]: every limit of a chip, reported together |
//! | [`config`] | [`XyloConfig`]: serde model of samna's JSON configurations; [`config_from_spec`], [`spec_from_config`] |
//! | [`sim`] | [`XyloSim`]: the bit-exact integer simulator of the Xylo SNN core |
//! | [`cycles`] | [`cycles_model`] and [`est_clock_freq`]: clock cycles per time step |
//!
//! Everything that can go wrong returns [`XyloError`] (mapping a graph: [`MapError`]); its
//! messages name the field or module, the value and the limit.
//!
//! ```
//! use ndarray::array;
//! use rockpool_xylo::{OutputMode, XyloSim, XyloSpec};
//!
//! // One input channel -> one hidden neuron -> one output neuron, one synapse each.
//! let mut spec = XyloSpec::<i32>::zeros(1, 1, 1, 1);
//! spec.weights_in[[0, 0, 0]] = 100;
//! spec.weights_out[[0, 0]] = 100;
//! spec.threshold.fill(50);
//! spec.threshold_out.fill(50);
//! let mut sim = XyloSim::from_spec(&spec, OutputMode::Spike).unwrap();
//! let raster = array![[1u32], [0], [0], [0]];
//! let out = sim.evolve(&raster, false).unwrap();
//! // The hidden neuron fires at step 0; its event reaches the readout one step later.
//! assert_eq!(out.output.column(0).to_vec(), vec![0, 1, 0, 0]);
//! ```

#![warn(missing_docs)]

pub mod chips;
pub mod config;
pub mod cycles;
mod error;
pub mod mapper;
pub mod quantize;
pub mod raster;
pub mod sim;
pub mod spec;
pub mod validate;

pub use chips::{ChipSpec, XyloFamily};
pub use config::{XyloConfig, config_from_spec, spec_from_config};
pub use cycles::{Activity, CycleEstimate, cycles_model, est_clock_freq};
pub use error::{Result, XyloError};
pub use mapper::{
    DesignRule, HardwareIds, MapError, MapWarning, MappedNetwork, NeuronClass, map_graph,
};
pub use quantize::{QuantizeOptions, channel_quantize, global_quantize, round_half_even};
pub use raster::{raster_from_npy, read_raster};
pub use sim::{OutputMode, SimOutput, SimRecord, SimState, XyloSim};
pub use spec::{SpecDims, SpecElement, XyloSpec};
pub use validate::{Problem, Severity, ValidationReport, validate_config, validate_spec};
