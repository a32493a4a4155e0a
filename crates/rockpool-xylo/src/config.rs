//! Xylo chip configurations in samna's JSON layout.
//!
//! SynSense's `samna` stores a configuration as a *cereal* JSON archive of its C++ struct: the
//! object sits under a root key `"value0"`, matrices are
//! `{"dimensions": {"value0": rows, "value1": cols}, "offsets": {"value0": cols, "value1": 1},
//! "values": [row-major]}`, optionals are `{"nullopt": true}` or
//! `{"nullopt": false, "data": v}`, and the text is indented by 4 spaces. [`XyloConfig`]
//! models that layout with serde.
//!
//! * **XyloAudio 2** ([`Xylo2Config`], samna `xyloCore2`): every field of a file written by
//!   samna itself is modelled, in its order and with its value types, so such a file
//!   round-trips byte for byte (tested on one). Note samna's own spelling:
//!   `input.syn2_weights` in snake_case but `reservoir.syn2Weights` in camelCase.
//! * **XyloAudio 3** ([`XyloAudio3Config`], samna `xyloAudio3`) and **XyloIMU**
//!   ([`XyloImuConfig`], samna `xyloImu`): **the JSON key names are unverified.** No
//!   samna-written file of these families was available; the keys are samna's Python
//!   attribute names (known from Rockpool) in the camelCase convention that XyloAudio 2's file
//!   shows (`hidden` instead of `reservoir`, `imuIfInputEnable`, …). Only the SNN-core fields
//!   are typed; any other key of a loaded file (front ends, clocks, debug) is kept in `extra`
//!   and written back unchanged.
//!
//! Values are held as `i32` (not the chip's `i8`/`i16`) so that a file or a specification
//! with out-of-range values loads and is reported by [`validate_config`](crate::validate_config)
//! instead of wrapping silently.
//!
//! Conversions: [`config_from_spec`] and [`spec_from_config`]. Files: [`XyloConfig::save`]
//! (atomic) and [`XyloConfig::load`].

use std::path::Path;

use ndarray::{Array2, Array3, ArrayView2, s};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::chips::XyloFamily;
use crate::error::{Result, XyloError};
use crate::spec::XyloSpec;
use crate::validate::{ValidationReport, config_structure_problems};

// ---------------------------------------------------------------------------------------------
// cereal building blocks
// ---------------------------------------------------------------------------------------------

/// A pair as cereal writes it: `{"value0": a, "value1": b}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pair {
    /// First element (rows, or the row stride).
    pub value0: i64,
    /// Second element (columns, or the column stride).
    pub value1: i64,
}

/// The most elements a configuration matrix may declare (2²⁴): far above any Xylo chip
/// (at most 1000 × 1000), low enough that a hostile file cannot make the reader allocate
/// gigabytes from a few bytes of dimensions.
pub const MAX_MATRIX_ELEMENTS: usize = 1 << 24;

/// A dense integer matrix as samna writes it: dimensions `(rows, cols)`, strides
/// `offsets = (cols, 1)` for row-major data, and the values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Matrix {
    /// `value0` = rows, `value1` = columns.
    pub dimensions: Pair,
    /// Element strides: element `(r, c)` is `values[r * value0 + c * value1]`.
    pub offsets: Pair,
    /// The elements.
    pub values: Vec<i32>,
}

impl Matrix {
    /// A row-major matrix holding `a`.
    pub fn from_array(a: ArrayView2<'_, i32>) -> Self {
        let (rows, cols) = a.dim();
        Matrix {
            dimensions: Pair {
                value0: rows as i64,
                value1: cols as i64,
            },
            offsets: Pair {
                value0: cols as i64,
                value1: 1,
            },
            values: a.iter().copied().collect(),
        }
    }

    /// A `(rows, cols)` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self::from_array(Array2::zeros((rows, cols)).view())
    }

    /// Rows and columns, as declared (not checked).
    pub fn dim(&self) -> (i64, i64) {
        (self.dimensions.value0, self.dimensions.value1)
    }

    /// Why the declared dimensions, strides and values do not fit together, if they do not.
    pub fn structure_error(&self) -> Option<String> {
        let (rows, cols) = self.dim();
        let (r_off, c_off) = (self.offsets.value0, self.offsets.value1);
        if rows < 0 || cols < 0 {
            return Some(format!("negative dimensions ({rows}, {cols})"));
        }
        if rows == 0 || cols == 0 {
            return None;
        }
        match rows.checked_mul(cols) {
            Some(n) if n <= MAX_MATRIX_ELEMENTS as i64 => {}
            _ => {
                return Some(format!(
                    "dimensions ({rows}, {cols}) exceed the limit of {MAX_MATRIX_ELEMENTS} \
                     elements (no Xylo chip comes near it)"
                ));
            }
        }
        if r_off < 0 || c_off < 0 {
            return Some(format!("negative offsets ({r_off}, {c_off})"));
        }
        let last = (rows - 1)
            .checked_mul(r_off)
            .and_then(|a| (cols - 1).checked_mul(c_off).and_then(|b| a.checked_add(b)));
        match last {
            Some(last) if (last as u64) < self.values.len() as u64 => None,
            _ => Some(format!(
                "dimensions ({rows}, {cols}) with offsets ({r_off}, {c_off}) need more than the {} values given",
                self.values.len()
            )),
        }
    }

    /// The matrix as a `(rows, cols)` array, honouring the offsets.
    ///
    /// # Errors
    /// [`XyloError::Value`] naming `field` if dimensions, offsets and values disagree.
    pub fn to_array(&self, field: &str) -> Result<Array2<i32>> {
        if let Some(e) = self.structure_error() {
            return Err(XyloError::value(field, format!("{:?}", self.dim()), e));
        }
        let (rows, cols) = (
            self.dimensions.value0 as usize,
            self.dimensions.value1 as usize,
        );
        let (ro, co) = (self.offsets.value0 as usize, self.offsets.value1 as usize);
        Ok(Array2::from_shape_fn((rows, cols), |(r, c)| {
            self.values[r * ro + c * co]
        }))
    }
}

/// `std::optional` as cereal writes it: `{"nullopt": true}` or `{"nullopt": false, "data": v}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CerealOptional<T>(pub Option<T>);

impl<T> From<Option<T>> for CerealOptional<T> {
    fn from(v: Option<T>) -> Self {
        CerealOptional(v)
    }
}

impl<T: Serialize> Serialize for CerealOptional<T> {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match &self.0 {
            None => {
                let mut st = ser.serialize_struct("optional", 1)?;
                st.serialize_field("nullopt", &true)?;
                st.end()
            }
            Some(v) => {
                let mut st = ser.serialize_struct("optional", 2)?;
                st.serialize_field("nullopt", &false)?;
                st.serialize_field("data", v)?;
                st.end()
            }
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for CerealOptional<T> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw<T> {
            nullopt: bool,
            #[serde(default = "none")]
            data: Option<T>,
        }
        fn none<T>() -> Option<T> {
            None
        }
        let raw = Raw::<T>::deserialize(de)?;
        match (raw.nullopt, raw.data) {
            (true, _) => Ok(CerealOptional(None)),
            (false, Some(v)) => Ok(CerealOptional(Some(v))),
            (false, None) => Err(serde::de::Error::missing_field("data")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SNN-core sections (shared by the families)
// ---------------------------------------------------------------------------------------------

/// The input-expansion weights (`input`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputConfig {
    /// Left shift applied to every input weight.
    pub weight_bit_shift: i32,
    /// Synapse-1 weights `(Nin, Nien)`.
    pub weights: Matrix,
    /// Synapse-2 weights `(Nin, Nien)`; samna spells this key `syn2_weights`. Absent on
    /// XyloIMU.
    #[serde(
        rename = "syn2_weights",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub syn2_weights: Option<Matrix>,
}

/// One hidden neuron (`reservoir.neurons[i]` / `hidden.neurons[i]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HiddenNeuronConfig {
    /// Firing threshold.
    pub threshold: i32,
    /// Membrane decay shift (`dash_mem`).
    pub v_mem_decay: i32,
    /// Synapse-1 decay shift (`dash_syn`).
    pub i_syn_decay: i32,
    /// Membrane bias (`bias`), used when `biasEnable` is set.
    pub v_mem_bias: i32,
    /// Synapse-2 decay shift (`dash_syn_2`); absent on XyloIMU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i_syn2_decay: Option<i32>,
    /// The hidden neuron that also emits this neuron's events (used when `aliasing` is set).
    pub alias_target: CerealOptional<i64>,
}

/// The hidden population (`reservoir` on XyloAudio 2, `hidden` on XyloAudio 3 / XyloIMU).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HiddenConfig {
    /// Left shift applied to every recurrent weight.
    pub weight_bit_shift: i32,
    /// Synapse-1 recurrent weights `(Nhid, Nhid)`, rows pre-synaptic.
    pub weights: Matrix,
    /// Synapse-2 recurrent weights `(Nhid, Nhid)`; absent on XyloIMU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn2_weights: Option<Matrix>,
    /// One entry per hidden neuron.
    pub neurons: Vec<HiddenNeuronConfig>,
    /// Whether alias targets are used.
    pub aliasing: bool,
}

/// One readout neuron (`readout.neurons[o]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputNeuronConfig {
    /// Firing threshold.
    pub threshold: i32,
    /// Membrane decay shift (`dash_mem_out`).
    pub v_mem_decay: i32,
    /// Synaptic decay shift (`dash_syn_out`).
    pub i_syn_decay: i32,
    /// Membrane bias (`bias_out`), used when `biasEnable` is set.
    pub v_mem_bias: i32,
}

/// The readout layer (`readout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadoutConfig {
    /// Left shift applied to every readout weight.
    pub weight_bit_shift: i32,
    /// Readout weights. XyloAudio 2: `(rows <= Nhid, Nout)`, row `k` is hidden neuron `k`.
    /// XyloAudio 3 / XyloIMU: `(Noen, Nout)`, row `k` is hidden neuron `Nhid - Noen + k`.
    pub weights: Matrix,
    /// One entry per readout neuron.
    pub neurons: Vec<OutputNeuronConfig>,
}

// ---------------------------------------------------------------------------------------------
// XyloAudio 2
// ---------------------------------------------------------------------------------------------

/// samna's `debug.monitors` (four monitor selects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Monitors {
    /// Monitor 0 select.
    pub value0: i64,
    /// Monitor 1 select.
    pub value1: i64,
    /// Monitor 2 select.
    pub value2: i64,
    /// Monitor 3 select.
    pub value3: i64,
}

/// XyloAudio 2's `debug` section: clock and RAM-power enables, monitor selects and internal
/// timing selects. Defaults are those of a samna-written file with every SNN clock enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Xylo2Debug {
    pub keep_interrupt: bool,
    pub always_update_omp_stat: bool,
    pub enable_rst_pad_pull: bool,
    pub rst_pad_pull_select: bool,
    pub ram_wake_up_settle_time: i64,
    /// RAM power (Rockpool enables it).
    pub ram_power_enable: bool,
    pub monitors: Monitors,
    /// Synapse-1 current clock (Rockpool enables it).
    pub isyn_clock_enable: bool,
    /// Synapse-2 current clock (Rockpool enables it with two synapses).
    pub isyn2_clock_enable: bool,
    /// Alias clock (Rockpool enables it).
    pub ra_clock_enable: bool,
    /// Bias clock (Rockpool enables it when biases are used).
    pub bias_clock_enable: bool,
    /// Hibernation-mode clock (Rockpool enables it).
    pub hm_clock_enable: bool,
    pub input_write_select: i64,
    pub input_read_select: i64,
    pub input_select_enable: bool,
    pub ram_manual_sleep_control: i64,
    pub ram_auto_sleep_control: i64,
    pub ram_light_sleep: bool,
    pub ram_deep_sleep: bool,
    pub debug_status_update_enable: bool,
    pub monitor_debug_enable: bool,
    pub pe_internal_select: i64,
    pub pe_fsm_select: i64,
    pub pe_engine_select: i64,
    pub pe_access_ram_fsm_select: i64,
    pub mem_shell_ram_arbiter_select: i64,
    pub read_timing_select: i64,
    pub write_timing_select: i64,
    /// Neuron range whose membrane potential is monitored (payload layout unknown; kept as JSON).
    pub monitor_neuron_v_mem: CerealOptional<Value>,
    /// Neuron range whose synapse-1 current is monitored.
    pub monitor_neuron_i_syn: CerealOptional<Value>,
    /// Neuron range whose synapse-2 current is monitored.
    pub monitor_neuron_i_syn2: CerealOptional<Value>,
    /// Neuron range whose events are monitored.
    pub monitor_neuron_spike: CerealOptional<Value>,
}

impl Default for Xylo2Debug {
    fn default() -> Self {
        Xylo2Debug {
            keep_interrupt: false,
            always_update_omp_stat: false,
            enable_rst_pad_pull: true,
            rst_pad_pull_select: false,
            ram_wake_up_settle_time: 0,
            ram_power_enable: true,
            monitors: Monitors::default(),
            isyn_clock_enable: true,
            isyn2_clock_enable: true,
            ra_clock_enable: true,
            bias_clock_enable: true,
            hm_clock_enable: true,
            input_write_select: 0,
            input_read_select: 0,
            input_select_enable: false,
            ram_manual_sleep_control: 0,
            ram_auto_sleep_control: 0,
            ram_light_sleep: false,
            ram_deep_sleep: false,
            debug_status_update_enable: false,
            monitor_debug_enable: false,
            pe_internal_select: 3,
            pe_fsm_select: 7,
            pe_engine_select: 7,
            pe_access_ram_fsm_select: 31,
            mem_shell_ram_arbiter_select: 31,
            read_timing_select: 1,
            write_timing_select: 1,
            monitor_neuron_v_mem: CerealOptional(None),
            monitor_neuron_i_syn: CerealOptional(None),
            monitor_neuron_i_syn2: CerealOptional(None),
            monitor_neuron_spike: CerealOptional(None),
        }
    }
}

/// A XyloAudio 2 (`syns61201`, samna `xyloCore2`) configuration, field for field as samna
/// writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Xylo2Config {
    /// samna's operation mode enum (0 = the default mode; numbering otherwise unknown).
    pub operation_mode: i64,
    /// Whether the second synapse is used.
    pub synapse2_enable: bool,
    /// Whether membrane biases are used.
    pub bias_enable: bool,
    #[allow(missing_docs)]
    pub direct_fetch_state_ram: bool,
    #[allow(missing_docs)]
    pub enable_hibernation_mode: bool,
    #[allow(missing_docs)]
    pub clear_network_state: bool,
    /// Time-step length in master-clock cycles for real-time mode (0 = not set).
    pub time_resolution_wrap: i64,
    #[allow(missing_docs)]
    pub hibernation_mode_time_resolution_wrap: i64,
    /// Input weights.
    pub input: InputConfig,
    /// The hidden population.
    pub reservoir: HiddenConfig,
    /// The readout.
    pub readout: ReadoutConfig,
    /// Clocks, RAM power and monitors.
    pub debug: Xylo2Debug,
    /// Keys this model does not know (from newer samna versions), written back after the
    /// known ones.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// XyloAudio 3 and XyloIMU (key names unverified)
// ---------------------------------------------------------------------------------------------

/// A XyloAudio 3 (`syns65302`, samna `xyloAudio3`) configuration. **Key names unverified**
/// (see the [module docs](self)); only the SNN core is typed, everything else is in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct XyloAudio3Config {
    /// samna's operation mode enum (0 = default).
    pub operation_mode: i64,
    /// Whether the second synapse is used.
    pub synapse2_enable: bool,
    /// Whether membrane biases are used.
    pub bias_enable: bool,
    /// Input weights (first 128 hidden neurons at most).
    pub input: InputConfig,
    /// The hidden population.
    pub hidden: HiddenConfig,
    /// The readout (driven by the last 128 hidden neurons at most).
    pub readout: ReadoutConfig,
    /// Every other key (`inputSource`, `debug`, `digitalFrontend`, …), kept as loaded.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A XyloIMU (`syns63300`, samna `xyloImu`) configuration. **Key names unverified** (see the
/// [module docs](self)); only the SNN core is typed, everything else is in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct XyloImuConfig {
    /// samna's operation mode enum (0 = default).
    pub operation_mode: i64,
    /// Whether the IMU interface feeds the SNN (Rockpool disables it: events come from the host).
    pub imu_if_input_enable: bool,
    /// Whether membrane biases are used.
    pub bias_enable: bool,
    /// Input weights (synapse 1 only).
    pub input: InputConfig,
    /// The hidden population (one synapse).
    pub hidden: HiddenConfig,
    /// The readout.
    pub readout: ReadoutConfig,
    /// Every other key (`debug`, `inputInterface`, …), kept as loaded.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// The family-independent handle
// ---------------------------------------------------------------------------------------------

/// A configuration of one Xylo chip, in samna's JSON layout for its family.
// A configuration is built once per deployment; plain variants keep matching simple.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum XyloConfig {
    /// XyloAudio 2.
    Audio2(Xylo2Config),
    /// XyloAudio 3 (JSON keys unverified).
    Audio3(XyloAudio3Config),
    /// XyloIMU (JSON keys unverified).
    Imu(XyloImuConfig),
}

/// Borrowed SNN-core view of any [`XyloConfig`].
#[derive(Debug, Clone, Copy)]
pub struct CoreView<'a> {
    /// The family.
    pub family: XyloFamily,
    /// Whether membrane biases are used.
    pub bias_enable: bool,
    /// Whether the second synapse is used (always false on XyloIMU).
    pub synapse2_enable: bool,
    /// `input`.
    pub input: &'a InputConfig,
    /// `reservoir` / `hidden`.
    pub hidden: &'a HiddenConfig,
    /// `readout`.
    pub readout: &'a ReadoutConfig,
}

#[derive(Serialize, Deserialize)]
struct CerealRoot<T> {
    value0: T,
}

impl XyloConfig {
    /// The chip family this configuration is for.
    pub fn family(&self) -> XyloFamily {
        match self {
            XyloConfig::Audio2(_) => XyloFamily::Audio2,
            XyloConfig::Audio3(_) => XyloFamily::Audio3,
            XyloConfig::Imu(_) => XyloFamily::Imu,
        }
    }

    /// The SNN-core sections, whatever the family.
    pub fn core(&self) -> CoreView<'_> {
        match self {
            XyloConfig::Audio2(c) => CoreView {
                family: XyloFamily::Audio2,
                bias_enable: c.bias_enable,
                synapse2_enable: c.synapse2_enable,
                input: &c.input,
                hidden: &c.reservoir,
                readout: &c.readout,
            },
            XyloConfig::Audio3(c) => CoreView {
                family: XyloFamily::Audio3,
                bias_enable: c.bias_enable,
                synapse2_enable: c.synapse2_enable,
                input: &c.input,
                hidden: &c.hidden,
                readout: &c.readout,
            },
            XyloConfig::Imu(c) => CoreView {
                family: XyloFamily::Imu,
                bias_enable: c.bias_enable,
                synapse2_enable: false,
                input: &c.input,
                hidden: &c.hidden,
                readout: &c.readout,
            },
        }
    }

    /// The JSON key of the hidden population (`reservoir` or `hidden`).
    pub fn hidden_key(&self) -> &'static str {
        match self {
            XyloConfig::Audio2(_) => "reservoir",
            _ => "hidden",
        }
    }

    /// The configuration as samna's JSON text (cereal archive, 4-space indent, no trailing
    /// newline).
    pub fn to_json(&self) -> String {
        match self {
            XyloConfig::Audio2(c) => cereal_json(c),
            XyloConfig::Audio3(c) => cereal_json(c),
            XyloConfig::Imu(c) => cereal_json(c),
        }
    }

    /// Parses samna's JSON text for `family`.
    ///
    /// # Errors
    /// [`XyloError::Json`] with line and column if the text is not JSON or misses a field of
    /// the family's layout.
    pub fn from_json(text: &str, family: XyloFamily) -> Result<Self> {
        Self::parse(text, family, "<string>")
    }

    fn parse(text: &str, family: XyloFamily, location: &str) -> Result<Self> {
        fn go<T: DeserializeOwned>(text: &str, family: XyloFamily, location: &str) -> Result<T> {
            serde_json::from_str::<CerealRoot<T>>(text)
                .map(|r| r.value0)
                .map_err(|source| XyloError::Json {
                    location: location.to_string(),
                    family: format!("{} ({})", family.product_name(), family.part_number()),
                    source,
                })
        }
        Ok(match family {
            XyloFamily::Audio2 => XyloConfig::Audio2(go(text, family, location)?),
            XyloFamily::Audio3 => XyloConfig::Audio3(go(text, family, location)?),
            XyloFamily::Imu => XyloConfig::Imu(go(text, family, location)?),
        })
    }

    /// Writes [`to_json`](Self::to_json) to `path` atomically (temporary file, sync, rename):
    /// an existing file is either fully replaced or left untouched.
    ///
    /// # Errors
    /// [`XyloError::File`] naming the path.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        rockpool_io::write_atomic(path, self.to_json().as_bytes())?;
        Ok(())
    }

    /// Reads a configuration file for `family` (as written by samna or by [`save`](Self::save)).
    ///
    /// # Errors
    /// [`XyloError::File`] if the file cannot be read, [`XyloError::Json`] if it is not in
    /// the family's layout.
    pub fn load(path: impl AsRef<Path>, family: XyloFamily) -> Result<Self> {
        let path = path.as_ref();
        let text = rockpool_io::read_text(path)?;
        Self::parse(&text, family, &path.display().to_string())
    }
}

fn cereal_json<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    CerealRoot { value0: value }
        .serialize(&mut ser)
        .expect("a configuration always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

// ---------------------------------------------------------------------------------------------
// spec <-> config
// ---------------------------------------------------------------------------------------------

/// Builds the configuration of `family` that runs `spec`.
///
/// - `biasEnable` is set when any hidden or readout bias is non-zero; `synapse2Enable` when
///   `Nsyn = 2`; `aliasing` when any neuron has an alias target.
/// - XyloAudio 2: `input.weights` is `(Nin, Nhid)` and `readout.weights` `(Nhid, Nout)` (the
///   spec's input-expansion columns and output-expansion rows are placed at their hidden ids,
///   the rest is zero); the debug clocks are enabled as Rockpool does.
/// - XyloAudio 3 / XyloIMU: `input.weights` is `(Nin, Nien)`, `readout.weights` `(Noen, Nout)`.
///
/// Values are copied unchanged; whether they fit the chip is [`validate_config`]'s or
/// [`validate_spec`]'s business (use them before deploying).
///
/// Differences from Rockpool's `config_from_specification`, all deliberate: hidden biases are
/// taken from `spec.bias` (Rockpool expects a `bias_hidden` argument, so the documented call
/// with `**spec` silently drops them); out-of-range weights are kept and reported by the
/// validator instead of being wrapped into int8 (Rockpool: 200 becomes -56); `aliasing` is
/// only set when an alias exists (Rockpool sets it for any alias list, even all empty);
/// XyloAudio 3 / XyloIMU input and readout matrices are never silently truncated to 128
/// columns / rows (the validator reports the excess).
///
/// # Errors
/// Shape errors of the spec ([`XyloSpec::dims`]); [`XyloError::Value`] if a hidden neuron has
/// more than one alias target (a configuration holds one) or, on XyloIMU, if `Nsyn = 2`.
///
/// [`validate_config`]: crate::validate_config
/// [`validate_spec`]: crate::validate_spec
pub fn config_from_spec(spec: &XyloSpec<i32>, family: XyloFamily) -> Result<XyloConfig> {
    let dims = spec.dims()?;
    let two = dims.n_syn == 2;
    if family == XyloFamily::Imu && two {
        return Err(XyloError::value(
            "Nsyn",
            2,
            "XyloIMU neurons have one synapse; train with one synapse per neuron",
        ));
    }
    if let Some((i, a)) = spec.aliases.iter().enumerate().find(|(_, a)| a.len() > 1) {
        return Err(XyloError::value(
            format!("aliases[{i}]"),
            format!("{a:?}"),
            "a Xylo hidden neuron has at most one alias target",
        ));
    }
    let bias_enable = spec.bias.iter().chain(&spec.bias_out).any(|&b| b != 0);
    let aliasing = spec.aliases.iter().any(|a| !a.is_empty());

    // Input and readout matrices in the family's layout.
    let (w_in, w_in2, w_out) = if family == XyloFamily::Audio2 {
        let mut w_in = Array3::<i32>::zeros((dims.n_in, dims.n_hidden, dims.n_syn));
        w_in.slice_mut(s![.., ..dims.n_ien, ..])
            .assign(&spec.weights_in);
        let mut w_out = Array2::<i32>::zeros((dims.n_hidden, dims.n_out));
        w_out
            .slice_mut(s![dims.oen_offset().., ..])
            .assign(&spec.weights_out);
        (
            w_in.index_axis(ndarray::Axis(2), 0).to_owned(),
            two.then(|| w_in.index_axis(ndarray::Axis(2), 1).to_owned()),
            w_out,
        )
    } else {
        (
            spec.weights_in.index_axis(ndarray::Axis(2), 0).to_owned(),
            two.then(|| spec.weights_in.index_axis(ndarray::Axis(2), 1).to_owned()),
            spec.weights_out.clone(),
        )
    };
    let syn1 = |a: &Array3<i32>| Matrix::from_array(a.index_axis(ndarray::Axis(2), 0));
    let syn2 = |a: &Array3<i32>| Matrix::from_array(a.index_axis(ndarray::Axis(2), 1));

    let has_syn2_field = family != XyloFamily::Imu;
    let input = InputConfig {
        weight_bit_shift: spec.weight_shift_in,
        weights: Matrix::from_array(w_in.view()),
        // An unused second synapse is an empty (0×0) matrix, as Rockpool's pipeline writes it.
        syn2_weights: has_syn2_field.then(|| match &w_in2 {
            Some(w) => Matrix::from_array(w.view()),
            None => Matrix::zeros(0, 0),
        }),
    };
    let neurons = (0..dims.n_hidden)
        .map(|i| HiddenNeuronConfig {
            threshold: spec.threshold[i],
            v_mem_decay: spec.dash_mem[i],
            i_syn_decay: spec.dash_syn[i],
            v_mem_bias: spec.bias[i],
            i_syn2_decay: has_syn2_field.then_some(spec.dash_syn_2[i]),
            alias_target: CerealOptional(spec.aliases[i].first().map(|&a| a as i64)),
        })
        .collect();
    let hidden = HiddenConfig {
        weight_bit_shift: spec.weight_shift_rec,
        weights: syn1(&spec.weights_rec),
        syn2_weights: has_syn2_field.then(|| {
            if two {
                syn2(&spec.weights_rec)
            } else {
                Matrix::zeros(0, 0)
            }
        }),
        neurons,
        aliasing,
    };
    let readout = ReadoutConfig {
        weight_bit_shift: spec.weight_shift_out,
        weights: Matrix::from_array(w_out.view()),
        neurons: (0..dims.n_out)
            .map(|o| OutputNeuronConfig {
                threshold: spec.threshold_out[o],
                v_mem_decay: spec.dash_mem_out[o],
                i_syn_decay: spec.dash_syn_out[o],
                v_mem_bias: spec.bias_out[o],
            })
            .collect(),
    };

    Ok(match family {
        XyloFamily::Audio2 => XyloConfig::Audio2(Xylo2Config {
            operation_mode: 0,
            synapse2_enable: two,
            bias_enable,
            direct_fetch_state_ram: false,
            enable_hibernation_mode: false,
            clear_network_state: false,
            time_resolution_wrap: 0,
            hibernation_mode_time_resolution_wrap: 0,
            input,
            reservoir: hidden,
            readout,
            debug: Xylo2Debug {
                isyn2_clock_enable: two,
                bias_clock_enable: bias_enable,
                ..Xylo2Debug::default()
            },
            extra: Map::new(),
        }),
        XyloFamily::Audio3 => XyloConfig::Audio3(XyloAudio3Config {
            operation_mode: 0,
            synapse2_enable: two,
            bias_enable,
            input,
            hidden,
            readout,
            extra: Map::new(),
        }),
        XyloFamily::Imu => {
            let mut extra = Map::new();
            extra.insert(
                "debug".into(),
                serde_json::json!({ "alwaysUpdateOmpStat": true }),
            );
            XyloConfig::Imu(XyloImuConfig {
                operation_mode: 0,
                imu_if_input_enable: false,
                bias_enable,
                input,
                hidden,
                readout,
                extra,
            })
        }
    })
}

/// The integer specification a configuration runs.
///
/// - Biases read as 0 when `biasEnable` is false; the second synapse is dropped (`Nsyn = 1`)
///   when `synapse2Enable` is false (always on XyloIMU); alias targets count only when
///   `aliasing` is set.
/// - XyloAudio 2: readout row `k` is hidden neuron `k` (`weights_out` is padded to
///   `(Nhid, Nout)`, so `Noen = Nhid`). XyloAudio 3 / XyloIMU: the readout rows are the last
///   `Noen` hidden neurons.
/// - `dt` is the family's default (1 ms): a configuration does not hold it.
///
/// Values are copied unchanged (see [`validate_config`](crate::validate_config)).
///
/// # Errors
/// [`XyloError::Invalid`] listing every structural inconsistency (matrix sizes that disagree
/// with each other or with the neuron lists, malformed matrices, alias targets that are not
/// hidden neurons).
pub fn spec_from_config(config: &XyloConfig) -> Result<XyloSpec<i32>> {
    let problems = config_structure_problems(config);
    if !problems.is_empty() {
        return Err(XyloError::Invalid(ValidationReport {
            target: format!("{} configuration", config.family().product_name()),
            problems,
        }));
    }
    let core = config.core();
    let family = core.family;
    let n_hidden = core.hidden.neurons.len();
    let n_out = core.readout.neurons.len();
    let two = core.synapse2_enable;
    let n_syn = if two { 2 } else { 1 };

    let w_in1 = core.input.weights.to_array("input.weights")?;
    let (n_in, n_ien) = w_in1.dim();
    let mut weights_in = Array3::<i32>::zeros((n_in, n_ien, n_syn));
    weights_in
        .index_axis_mut(ndarray::Axis(2), 0)
        .assign(&w_in1);
    let mut weights_rec = Array3::<i32>::zeros((n_hidden, n_hidden, n_syn));
    weights_rec
        .index_axis_mut(ndarray::Axis(2), 0)
        .assign(&core.hidden.weights.to_array("hidden.weights")?);
    if two {
        if let Some(m) = &core.input.syn2_weights {
            weights_in
                .index_axis_mut(ndarray::Axis(2), 1)
                .assign(&m.to_array("input.syn2_weights")?);
        }
        if let Some(m) = &core.hidden.syn2_weights {
            weights_rec
                .index_axis_mut(ndarray::Axis(2), 1)
                .assign(&m.to_array("hidden.syn2Weights")?);
        }
    }
    let w_out = core.readout.weights.to_array("readout.weights")?;
    let weights_out = if family == XyloFamily::Audio2 {
        let mut padded = Array2::<i32>::zeros((n_hidden, n_out));
        padded.slice_mut(s![..w_out.nrows(), ..]).assign(&w_out);
        padded
    } else {
        w_out
    };

    let hn = &core.hidden.neurons;
    let on = &core.readout.neurons;
    let bias_on = core.bias_enable;
    let col =
        |f: &dyn Fn(&HiddenNeuronConfig) -> i32| hn.iter().map(f).collect::<ndarray::Array1<i32>>();
    let ocol =
        |f: &dyn Fn(&OutputNeuronConfig) -> i32| on.iter().map(f).collect::<ndarray::Array1<i32>>();
    let aliases = hn
        .iter()
        .map(|n| match (core.hidden.aliasing, n.alias_target.0) {
            (true, Some(a)) => vec![a as usize],
            _ => Vec::new(),
        })
        .collect();

    let spec = XyloSpec {
        weights_in,
        weights_rec,
        weights_out,
        dash_mem: col(&|n| n.v_mem_decay),
        dash_syn: col(&|n| n.i_syn_decay),
        dash_syn_2: col(&|n| n.i_syn2_decay.unwrap_or(0)),
        dash_mem_out: ocol(&|n| n.v_mem_decay),
        dash_syn_out: ocol(&|n| n.i_syn_decay),
        threshold: col(&|n| n.threshold),
        threshold_out: ocol(&|n| n.threshold),
        bias: col(&|n| if bias_on { n.v_mem_bias } else { 0 }),
        bias_out: ocol(&|n| if bias_on { n.v_mem_bias } else { 0 }),
        weight_shift_in: core.input.weight_bit_shift,
        weight_shift_rec: core.hidden.weight_bit_shift,
        weight_shift_out: core.readout.weight_bit_shift,
        aliases,
        dt: family.chip().default_dt,
    };
    spec.dims()?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cereal_optional_forms() {
        let none: CerealOptional<i64> = CerealOptional(None);
        assert_eq!(serde_json::to_string(&none).unwrap(), r#"{"nullopt":true}"#);
        let some = CerealOptional(Some(3i64));
        assert_eq!(
            serde_json::to_string(&some).unwrap(),
            r#"{"nullopt":false,"data":3}"#
        );
        let back: CerealOptional<i64> =
            serde_json::from_str(r#"{"nullopt":false,"data":3}"#).unwrap();
        assert_eq!(back, some);
        let back: CerealOptional<i64> = serde_json::from_str(r#"{"nullopt":true}"#).unwrap();
        assert_eq!(back, none);
        assert!(serde_json::from_str::<CerealOptional<i64>>(r#"{"nullopt":false}"#).is_err());
    }

    #[test]
    fn matrix_honours_offsets() {
        let m = Matrix {
            dimensions: Pair {
                value0: 2,
                value1: 3,
            },
            offsets: Pair {
                value0: 1,
                value1: 2,
            },
            values: vec![1, 2, 3, 4, 5, 6],
        };
        assert_eq!(
            m.to_array("m").unwrap(),
            ndarray::array![[1, 3, 5], [2, 4, 6]]
        );
        let bad = Matrix {
            values: vec![1, 2],
            ..m
        };
        assert!(bad.structure_error().is_some());
        assert!(
            bad.to_array("x.weights")
                .unwrap_err()
                .to_string()
                .contains("x.weights")
        );
    }

    #[test]
    fn spec_round_trips_through_each_family() {
        for family in XyloFamily::ALL {
            let n_syn = family.chip().synapses_per_neuron;
            let (n_ien, n_oen) = if family == XyloFamily::Audio2 {
                (4, 4)
            } else {
                (3, 2)
            };
            let mut spec = XyloSpec::<i32>::zeros_with_expansion(2, 4, 2, n_syn, n_ien, n_oen);
            spec.weights_in[[1, 2, n_syn - 1]] = -7;
            spec.weights_rec[[3, 0, 0]] = 9;
            spec.weights_out[[1, 1]] = 5;
            spec.threshold.assign(&ndarray::array![10, 20, 30, 40]);
            spec.bias[2] = -3;
            spec.dash_syn_2.fill(if n_syn == 2 { 4 } else { 0 });
            spec.aliases[1] = vec![3];
            spec.weight_shift_out = 2;
            let config = config_from_spec(&spec, family).unwrap();
            assert_eq!(config.family(), family);
            let text = config.to_json();
            let back = XyloConfig::from_json(&text, family).unwrap();
            assert_eq!(back, config);
            let spec2 = spec_from_config(&back).unwrap();
            assert_eq!(spec2, spec, "{family}");
        }
    }

    #[test]
    fn config_from_spec_refuses_what_it_cannot_hold() {
        let mut spec = XyloSpec::<i32>::zeros(1, 3, 1, 1);
        spec.aliases[0] = vec![1, 2];
        let e = config_from_spec(&spec, XyloFamily::Audio2)
            .unwrap_err()
            .to_string();
        assert!(e.contains("aliases[0]"), "{e}");
        let spec = XyloSpec::<i32>::zeros(1, 3, 1, 2);
        assert!(config_from_spec(&spec, XyloFamily::Imu).is_err());
    }

    #[test]
    fn matrices_declaring_more_elements_than_the_limit_are_malformed() {
        // One value, offsets 0: every element reads it, so only the size guard refuses it.
        let bomb = Matrix {
            dimensions: Pair {
                value0: 1 << 40,
                value1: 5,
            },
            offsets: Pair::default(),
            values: vec![1],
        };
        let e = bomb.structure_error().unwrap();
        assert!(e.contains("1099511627776") && e.contains("limit"), "{e}");
        assert!(bomb.to_array("input.weights").is_err());
        let overflow = Matrix {
            dimensions: Pair {
                value0: i64::MAX,
                value1: i64::MAX,
            },
            ..bomb.clone()
        };
        assert!(overflow.structure_error().unwrap().contains("limit"));
        let fine = Matrix {
            dimensions: Pair {
                value0: 3,
                value1: 2,
            },
            ..bomb
        };
        assert_eq!(fine.structure_error(), None);
        assert_eq!(
            fine.to_array("m").unwrap(),
            ndarray::Array2::from_elem((3, 2), 1)
        );
    }
}
