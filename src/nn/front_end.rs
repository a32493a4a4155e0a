//! A Xylo front end as a module: the simulators of [`rockpool_frontend`] (XyloAudio 3 digital
//! audio front end, XyloIMU interface, XyloAudio 2 analog front end, or one of their blocks)
//! inside a network, so `Sequential(front end, XyloSim)` runs a deployed network from raw audio
//! or IMU samples to chip outputs, and `.timed()` runs it on time series.
//!
//! Input `[B, T, C_in]` at the module's input rate (`input_rate` Hz; default the front end's
//! own rate, e.g. 48828.125 Hz for XyloAudio 3; any other rate is resampled by Rockpool's rule).
//! Output `[B, T', C_out]`: what the Rockpool class returns, e.g. spike counts per 1.024 ms bin
//! for `AFESimExternal`, so `T' ≈ T / 50`. Each sample of a batch starts from the front end's
//! initial state; the module keeps no state between calls, has no parameters and no gradient
//! (the front end is fixed hardware). [`ModuleView::time_ratio`] is the output step over the
//! input step, so `.timed()` stamps the output on its own time base.

use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use ndarray::Array2;
use rockpool_frontend::{Block, Family, Params, Signal};
use rockpool_xylo::XyloFamily;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, ModuleView, StateTree, Tree, auto_batch};

/// Hyper-parameters of a [`FrontEnd`] (TOML `type = "front_end"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontEndConfig {
    /// The chip family whose front end this is (`syns65302`, `syns63300`, `syns61201`).
    pub family: XyloFamily,
    /// The Rockpool class or block (e.g. `AFESimExternal`, `AFESimPDM`, `IMUIFSim`,
    /// `Quantizer`, `AFESim`, `DivisiveNormalisation`); default the family's full front end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The class's constructor arguments under Rockpool's names and units (a TOML table; unknown
    /// names are errors).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub params: toml::Table,
    /// The sample rate of the input, Hz (default: the front end's own rate, no resampling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_rate: Option<f64>,
    /// Input channels (default 1 for the audio front ends, 3 for the IMU interface; set it for
    /// blocks that take several channels, e.g. a divisive normalisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_in: Option<usize>,
}

impl FrontEndConfig {
    /// The family's full front end with Rockpool's defaults.
    pub fn new(family: XyloFamily) -> Self {
        Self {
            family,
            module: None,
            params: toml::Table::new(),
            input_rate: None,
            size_in: None,
        }
    }

    /// Builds the module (the front end is built once to check the arguments).
    ///
    /// # Errors
    /// [`Error::Value`] naming the argument or the module when the front end cannot be built.
    pub fn init(&self) -> Result<FrontEnd> {
        let params = serde_json::to_value(&self.params)
            .map_err(|e| Error::value("front_end.params", e.to_string()))?;
        let params = Params::from_json(params).map_err(|e| Error::value("front_end.params", e))?;
        FrontEnd::new(
            self.family,
            self.module.as_deref(),
            params,
            self.input_rate,
            self.size_in,
        )
    }
}

/// The front-end family of a chip family.
pub fn frontend_family(family: XyloFamily) -> Family {
    match family {
        XyloFamily::Audio2 => Family::Audio2,
        XyloFamily::Audio3 => Family::Audio3,
        XyloFamily::Imu => Family::Imu,
    }
}

/// Rockpool classes whose output is spike counts (the others emit filtered signals or
/// quantised samples).
const SPIKING: &[&str] = &[
    "AFESimExternal",
    "AFESimPDM",
    "AFESimAGC",
    "DivisiveNormalization",
    "Raster",
    "IMUIFSim",
    "ScaleSpikeEncoder",
    "IAFSpikeEncoder",
    "AFESim",
    "DivisiveNormalisation",
    "DivisiveNormalisationNoLFSR",
];

/// What a [`FrontEnd`] rebuilds for each sample.
#[derive(Debug)]
struct Recipe {
    family: Family,
    module: String,
    params: Params,
    sample_rate: Option<f64>,
}

impl Recipe {
    fn build(&self) -> Result<Box<dyn Block>> {
        rockpool_frontend::build(self.family, Some(&self.module), &self.params)
            .map_err(|e| Error::value(format!("front end {}", self.module), e.to_string()))
    }
}

/// A Xylo front end (see the [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct FrontEnd {
    /// Input channels.
    pub n_in: usize,
    /// Output channels.
    pub n_out: usize,
    /// Input time step, seconds (1 / input rate).
    pub dt: f64,
    /// Output time step, seconds.
    pub out_dt: f64,
    #[module(skip)]
    recipe: Arc<Recipe>,
    #[module(skip)]
    class: String,
}

impl FrontEnd {
    /// The front end `module` (default the full one) of `family` with Rockpool constructor
    /// arguments `params`, fed at `input_rate` Hz (default its own rate) with `size_in` channels
    /// (default 1 for audio, 3 for IMU).
    ///
    /// # Errors
    /// [`Error::Value`] for unknown modules or arguments, or a non-positive input rate.
    pub fn new(
        family: XyloFamily,
        module: Option<&str>,
        params: Params,
        input_rate: Option<f64>,
        size_in: Option<usize>,
    ) -> Result<Self> {
        let fam = frontend_family(family);
        let name = module.unwrap_or(fam.modules()[0]).to_string();
        if let Some(r) = input_rate
            && !(r.is_finite() && r > 0.0)
        {
            return Err(Error::value(
                "front_end.input_rate",
                format!("must be a positive number of Hz, got {r}"),
            ));
        }
        let recipe = Recipe {
            family: fam,
            module: name.clone(),
            params,
            sample_rate: input_rate,
        };
        let block = recipe.build()?;
        recipe
            .params
            .finish(&name)
            .map_err(|e| Error::value("front_end.params", e.to_string()))?;
        let rate = input_rate.unwrap_or(block.input_rate());
        let n_in = size_in.unwrap_or(if fam == Family::Imu { 3 } else { 1 });
        if n_in == 0 {
            return Err(Error::value("front_end.size_in", "must be at least 1"));
        }
        Ok(Self {
            n_in,
            n_out: block.output_channels(),
            dt: 1.0 / rate,
            out_dt: block.output_dt(),
            class: block.name().to_string(),
            recipe: Arc::new(recipe),
        })
    }

    /// Runs the front end on one recording `(T, C_in)` at the module's input rate.
    ///
    /// # Errors
    /// [`Error::Value`] when the front end refuses the input (range, shape, overflow).
    pub fn process(&self, input: &Signal) -> Result<Signal> {
        let mut block = self.recipe.build()?;
        block
            .run(input, self.recipe.sample_rate)
            .map_err(|e| Error::value(format!("front end {}", self.class), e.to_string()))
    }
}

impl ModuleView for FrontEnd {
    fn class_name(&self) -> String {
        self.class.clone()
    }
    fn shape(&self) -> Vec<usize> {
        vec![self.n_in, self.n_out]
    }
    fn spiking_input(&self) -> bool {
        false
    }
    fn spiking_output(&self) -> bool {
        SPIKING.contains(&self.class.as_str())
    }
    fn own_attributes(&self) -> Vec<(String, crate::module::Attr)> {
        vec![(
            "dt".to_string(),
            crate::module::Attr {
                kind: crate::module::AttrKind::SimulationParameter,
                family: None,
                value: crate::module::Value::Float(self.dt),
            },
        )]
    }
    fn set_own_attribute(&mut self, name: &str, _value: crate::module::Value) -> Result<()> {
        Err(Error::value(
            format!("{}.{name}", self.class),
            "a front end's attributes are fixed at construction (rebuild it with new params)",
        ))
    }
    fn time_ratio(&self) -> f64 {
        self.out_dt / self.dt
    }
}

impl burn::module::ModuleDisplay for FrontEnd {
    fn format(&self, _settings: burn::module::DisplaySettings) -> String {
        crate::module::ModuleExt::describe(self)
    }
}

impl Evolve for FrontEnd {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.n_in, &self.class)?;
        let [b, t, c] = input.dims();
        let device = input.device();
        let values: Vec<f32> = input
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map_err(|e| Error::Backend(format!("{e:?}")))?;
        let mut out = Vec::new();
        let mut steps = None;
        for s in 0..b {
            let x =
                Array2::from_shape_fn((t, c), |(k, ch)| f64::from(values[(s * t + k) * c + ch]));
            // Integer-valued inputs (quantised samples, counts) stay integers for the blocks
            // that take integers.
            let signal = match Signal::Float(x.clone()).to_i64() {
                Some(ints) if !self.takes_floats() => Signal::Int(ints),
                _ => Signal::Float(x),
            };
            let y = self.process(&signal)?.to_f64();
            let (rows, cols) = y.dim();
            if cols != self.n_out {
                return Err(Error::value(
                    &self.class,
                    format!("returned {cols} channels, expected {}", self.n_out),
                ));
            }
            if *steps.get_or_insert(rows) != rows {
                return Err(Error::value(
                    &self.class,
                    "samples of one batch gave outputs of different lengths",
                ));
            }
            out.extend(y.iter().map(|v| *v as f32));
        }
        let steps = steps.unwrap_or(0);
        let output = Tensor::<3>::from_data(TensorData::new(out, [b, steps, self.n_out]), &device);
        Ok(Evolution {
            output,
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}

impl FrontEnd {
    /// Whether the block takes real values (audio in volts or in [-1, 1]) rather than integers.
    fn takes_floats(&self) -> bool {
        matches!(
            self.class.as_str(),
            "AFESimExternal"
                | "AFESimPDM"
                | "AFESimAGC"
                | "AudioQuantizer"
                | "PDMADC"
                | "MicrophonePDM"
                | "AFESim"
                | "Quantizer"
        )
    }
}
