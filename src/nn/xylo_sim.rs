//! `XyloSim` as a module: a deployed Xylo configuration simulated bit-exactly
//! ([`rockpool_xylo::XyloSim`]) inside a network, so `Sequential(…, XyloSim)` runs a chip
//! configuration on the output of other modules, and `.timed()` runs it on time series.
//!
//! Input `[B, T, N_in]`: events per channel and step, rounded to integers (negative values are
//! refused; the chip takes at most 15 events per channel and step). Output `[B, T, N_out]`:
//! readout events (0 or 1), or the readout membrane potentials or synaptic currents
//! (`output_mode`). Each sample of a batch starts from the chip's reset state; the module keeps
//! no state between calls. It has no parameters (a deployed configuration is integer and fixed)
//! and no gradient.

use std::path::PathBuf;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use ndarray::Array2;
use rockpool_xylo::{OutputMode, XyloConfig, XyloFamily, XyloSim, XyloSpec};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch};

/// Hyper-parameters of a [`XyloChip`] (TOML `type = "xylo_sim"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XyloSimConfig {
    /// The configuration (samna's JSON, as `rockpool xylo export` writes it).
    pub config: PathBuf,
    /// Its chip family (default `syns61201`, XyloAudio 2).
    #[serde(default = "audio2")]
    pub family: XyloFamily,
    /// What the module outputs (default readout events).
    #[serde(default)]
    pub output_mode: OutputMode,
    /// The chip's time step, seconds, for `.timed()` (default 1 ms).
    #[serde(default = "one_ms")]
    pub dt: f64,
}

fn audio2() -> XyloFamily {
    XyloFamily::Audio2
}

fn one_ms() -> f64 {
    crate::nn::defaults::DT
}

impl XyloSimConfig {
    /// Loads and checks the configuration and builds the module.
    ///
    /// # Errors
    /// [`Error::Value`] naming the file when it cannot be read or is not a valid configuration.
    pub fn init(&self) -> Result<XyloChip> {
        let file = self.config.display().to_string();
        let config = XyloConfig::load(&self.config, self.family)
            .map_err(|e| Error::value(file.clone(), e.to_string()))?;
        let spec = rockpool_xylo::spec_from_config(&config)
            .map_err(|e| Error::value(file, e.to_string()))?;
        XyloChip::from_spec(spec, self.output_mode, self.dt)
    }
}

/// A deployed Xylo network, simulated bit-exactly (see the [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct XyloChip {
    /// Input channels.
    pub n_in: usize,
    /// Readout neurons.
    pub n_out: usize,
    /// Time step, seconds.
    pub dt: f64,
    #[module(skip)]
    spec: Arc<XyloSpec<i32>>,
    #[module(skip)]
    output_mode: OutputMode,
}

impl XyloChip {
    /// The module of an integer specification (checked by building a simulator once).
    ///
    /// # Errors
    /// [`Error::Value`] when the specification cannot be simulated.
    pub fn from_spec(spec: XyloSpec<i32>, output_mode: OutputMode, dt: f64) -> Result<Self> {
        let sim = XyloSim::from_spec(&spec, output_mode)
            .map_err(|e| Error::value("XyloSim", e.to_string()))?;
        crate::nn::defaults::check_simulation("XyloSim", dt, 0.0, None)?;
        let dims = sim.dims();
        Ok(Self {
            n_in: dims.n_in,
            n_out: dims.n_out,
            dt,
            spec: Arc::new(spec),
            output_mode,
        })
    }
}

crate::module_view!(XyloChip {
    class: "XyloSim",
    shape: |s| vec![s.n_in, s.n_out],
    spiking: |_s| (true, true),
    parameters: {},
    simulation_parameters: { dt },
    state: {},
    submodules: {},
});

impl Evolve for XyloChip {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.n_in, "XyloSim")?;
        let [b, t, c] = input.dims();
        let device = input.device();
        let values: Vec<f32> = input
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| Error::Backend(format!("{e:?}")))?;
        if let Some(i) = values.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(Error::value(
                "XyloSim input",
                format!(
                    "element {i} is {}: events per channel and step must be finite and ≥ 0",
                    values[i]
                ),
            ));
        }
        let mut sim = XyloSim::from_spec(&self.spec, self.output_mode)
            .map_err(|e| Error::value("XyloSim", e.to_string()))?;
        let mut out = Vec::with_capacity(b * t * self.n_out);
        for s in 0..b {
            sim.reset_state();
            let raster = Array2::from_shape_fn((t, c), |(k, ch)| {
                values[(s * t + k) * c + ch].round().min(u32::MAX as f32) as u32
            });
            let y = sim
                .evolve(raster.view(), false)
                .map_err(|e| Error::value("XyloSim", e.to_string()))?
                .output;
            out.extend(y.iter().map(|v| *v as f32));
        }
        let output = Tensor::<3>::from_data(TensorData::new(out, [b, t, self.n_out]), &device);
        Ok(Evolution {
            output,
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}
