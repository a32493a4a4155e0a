//! The Xylo chip families and their hardware limits.
//!
//! Three families share one SNN core design (the bit-exact model in [`crate::sim`]) and differ
//! in sizes and in how the neurons are wired to the input and the readout:
//!
//! | | XyloAudio 2 (`syns61201`) | XyloAudio 3 (`syns65302`) | XyloIMU (`syns63300`) |
//! | --- | --- | --- | --- |
//! | input channels | 16 | 16 | 16 |
//! | hidden neurons | 1000 | 992 | 496 |
//! | output neurons | 8 | 32 | 16 |
//! | synapses per hidden neuron | 2 | 2 | 1 |
//! | input-expansion neurons (receive `weights_in`) | all 1000 | first 128 | first 128 |
//! | output-expansion neurons (drive `weights_out`) | all 1000 | last 128 | last 128 |
//! | recurrent synapses in total | 32 000 | 31 744 | 31 744 |
//! | recurrent fan-out per hidden neuron | 64 | 64 | 512 |
//! | weight bit shift | 0..=7 | 0..=15 | 0..=7 |
//!
//! Common to all: int8 weights; int16 thresholds, biases, membrane potentials and synaptic
//! currents; 4-bit decay shifts ("dash", 0..=15); at most 15 input events per channel, 31
//! events per hidden neuron and 1 event per output neuron in one time step; a hop delay of one
//! time step between a hidden neuron and its targets; one alias target per hidden neuron; a
//! 50 MHz default master clock.
//!
//! Sources and certainty: sizes, IEN/OEN counts and total synapse counts come from Rockpool
//! 3.1.0's mappers and the published RAM maps. Less certain, and taken as the conservative
//! reading: the fan-out limits (SynSense's documentation table), the XyloAudio 3 weight-shift width (4-bit
//! register fields) and the XyloIMU weight-shift width (assumed equal to XyloAudio 2). XyloAudio
//! 3's output count is 32 in Rockpool's mapper (its design-rule check warns above 16).
//!
//! **The XyloAudio 3 fan-out, settled at 64.** One source quotes 64 recurrent targets per
//! hidden neuron, another 1024. We keep 64: it is the value of SynSense's family table (the
//! same table whose other XyloAudio 3 entries check out against the RAM maps); neither Rockpool
//! 3.1.0's mapper nor its design-rule checks nor xylosim enforce any per-neuron limit, so
//! nothing in the software contradicts it; the recurrent synapse memory (31 744 entries for
//! 992 neurons, 32 per neuron on average) is sized for fan-outs of tens, not a thousand; and
//! the smaller limit is the safe one to be wrong about — a configuration that passes at 64
//! also loads if the chip allows 1024, while one accepted at 1024 might not load. A network
//! that needs more is refused with the neuron named, never silently truncated.

use crate::sim::{MAX_HIDDEN_SPIKES, MAX_INPUT_EVENTS, MAX_OUTPUT_SPIKES};

/// A Xylo chip family with an SNN core that rockpool can deploy to.
///
/// Parses (case-insensitively, ignoring `-`, `_` and spaces) from the part number
/// (`syns61201`), Rockpool's alias (`vA2`, `vA3`, `imu`) or a friendly name (`xylo-audio-2`,
/// `audio3`, `XyloIMU`, `xa2` …). Displays as the part number.
///
/// The names are declared once with [`rockpool_io::text_enum!`], which also gives serde (the
/// part number) and, with the `clap` feature, a clap argument type with the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum XyloFamily {
    /// XyloAudio 2, part `syns61201` (Rockpool `vA2`).
    #[doc(alias = "syns61201")]
    #[doc(alias = "vA2")]
    Audio2,
    /// XyloAudio 3, part `syns65302` (Rockpool `vA3`).
    #[doc(alias = "syns65302")]
    #[doc(alias = "vA3")]
    Audio3,
    /// XyloIMU, part `syns63300` (Rockpool `imu`).
    #[doc(alias = "syns63300")]
    Imu,
}

impl XyloFamily {
    /// All supported families.
    pub const ALL: [XyloFamily; 3] = [XyloFamily::Audio2, XyloFamily::Audio3, XyloFamily::Imu];

    /// SynSense's part number, e.g. `"syns61201"` (also Rockpool's package name): the
    /// family's primary name.
    pub fn part_number(self) -> &'static str {
        rockpool_io::TextEnum::name(&self)
    }

    /// The product name, e.g. `"XyloAudio 2"`.
    pub fn product_name(self) -> &'static str {
        match self {
            XyloFamily::Audio2 => "XyloAudio 2",
            XyloFamily::Audio3 => "XyloAudio 3",
            XyloFamily::Imu => "XyloIMU",
        }
    }

    /// The hardware limits of this family.
    pub fn chip(self) -> &'static ChipSpec {
        match self {
            XyloFamily::Audio2 => &XYLO_AUDIO_2,
            XyloFamily::Audio3 => &XYLO_AUDIO_3,
            XyloFamily::Imu => &XYLO_IMU,
        }
    }
}

rockpool_io::text_enum! {
    XyloFamily("Xylo family", ignore = "-_ ") {
        Audio2 => "syns61201" | "vA2" | "a2" | "xa2" | "audio2" | "XyloAudio2" | "XyloA2" | "Xylo2",
        Audio3 => "syns65302" | "vA3" | "a3" | "xa3" | "audio3" | "XyloAudio3" | "XyloA3",
        Imu => "syns63300" | "imu" | "XyloIMU" | "ximu",
    }
}

/// The limits and fixed properties of one Xylo chip's SNN core.
///
/// Neuron indices ("hardware ids") run over the hidden population `0..hidden_neurons`; the
/// input-expansion neurons (IEN) are ids `0..input_expansion_neurons`, the output-expansion
/// neurons (OEN) the last `output_expansion_neurons` ids *of the network as deployed* (see
/// [`XyloSpec`](crate::XyloSpec)).
#[derive(Debug, Clone, PartialEq)]
pub struct ChipSpec {
    /// Which family these limits describe.
    pub family: XyloFamily,
    /// Event-based input channels.
    pub input_channels: usize,
    /// Hidden (recurrent-population) neurons.
    pub hidden_neurons: usize,
    /// Readout (output) neurons.
    pub output_neurons: usize,
    /// Synaptic currents per hidden neuron (1 or 2); readout neurons always have 1.
    pub synapses_per_neuron: usize,
    /// Hidden neurons that can receive input weights (IEN).
    pub input_expansion_neurons: usize,
    /// Hidden neurons that can drive readout weights (OEN).
    pub output_expansion_neurons: usize,
    /// Most non-zero recurrent weights leaving one hidden neuron (over both synapses).
    pub max_fan_out: usize,
    /// Most non-zero recurrent weights in the whole network (over both synapses).
    pub max_recurrent_synapses: usize,
    /// Most input events per channel per time step (more are clipped).
    pub max_input_events: u32,
    /// Most events a hidden neuron emits per time step.
    pub max_hidden_spikes: u32,
    /// Most events a readout neuron emits per time step.
    pub max_output_spikes: u32,
    /// Time steps between a hidden neuron's events and their arrival at the neurons they
    /// feed (the hop delay: events of step `t` are delivered at step `t + 1`).
    pub hop_delay_steps: usize,
    /// Width of the signed weights, in bits.
    pub weight_bits: u32,
    /// Width of the signed thresholds, in bits.
    pub threshold_bits: u32,
    /// Width of the signed membrane biases (`v_mem_bias`), in bits.
    pub bias_bits: u32,
    /// Width of the signed membrane potentials and synaptic currents, in bits.
    pub state_bits: u32,
    /// Width of the unsigned decay shifts (`dash_mem`, `dash_syn`), in bits.
    pub dash_bits: u32,
    /// Largest weight bit shift (`weight_shift_in/rec/out`), in bits.
    pub max_weight_shift: u32,
    /// Alias targets per hidden neuron.
    pub max_aliases: usize,
    /// The usual simulation time step, in seconds.
    pub default_dt: f64,
    /// The default master clock of the development kits, in Hz.
    pub default_clock_hz: f64,
}

impl ChipSpec {
    /// Smallest and largest weight (`-128..=127` for 8 bits).
    pub fn weight_range(&self) -> (i64, i64) {
        signed_range(self.weight_bits)
    }

    /// Smallest and largest threshold (`-32768..=32767` for 16 bits).
    pub fn threshold_range(&self) -> (i64, i64) {
        signed_range(self.threshold_bits)
    }

    /// Smallest and largest membrane bias.
    pub fn bias_range(&self) -> (i64, i64) {
        signed_range(self.bias_bits)
    }

    /// Largest decay shift (15 for 4 bits).
    pub fn max_dash(&self) -> i64 {
        (1i64 << self.dash_bits) - 1
    }
}

/// `(-2^(bits-1), 2^(bits-1) - 1)`.
pub(crate) fn signed_range(bits: u32) -> (i64, i64) {
    let half = 1i64 << (bits - 1);
    (-half, half - 1)
}

const COMMON: ChipSpec = ChipSpec {
    family: XyloFamily::Audio2,
    input_channels: 16,
    hidden_neurons: 1000,
    output_neurons: 8,
    synapses_per_neuron: 2,
    input_expansion_neurons: 1000,
    output_expansion_neurons: 1000,
    max_fan_out: 64,
    max_recurrent_synapses: 32_000,
    max_input_events: MAX_INPUT_EVENTS,
    max_hidden_spikes: MAX_HIDDEN_SPIKES as u32,
    max_output_spikes: MAX_OUTPUT_SPIKES as u32,
    hop_delay_steps: 1,
    weight_bits: 8,
    threshold_bits: 16,
    bias_bits: 16,
    state_bits: 16,
    dash_bits: 4,
    max_weight_shift: 7,
    max_aliases: 1,
    default_dt: 1e-3,
    default_clock_hz: 50e6,
};

/// XyloAudio 2 (`syns61201`).
pub static XYLO_AUDIO_2: ChipSpec = COMMON;

/// XyloAudio 3 (`syns65302`).
pub static XYLO_AUDIO_3: ChipSpec = ChipSpec {
    family: XyloFamily::Audio3,
    hidden_neurons: 992,
    output_neurons: 32,
    input_expansion_neurons: 128,
    output_expansion_neurons: 128,
    max_recurrent_synapses: 31_744,
    max_weight_shift: 15,
    ..COMMON
};

/// XyloIMU (`syns63300`).
pub static XYLO_IMU: ChipSpec = ChipSpec {
    family: XyloFamily::Imu,
    hidden_neurons: 496,
    output_neurons: 16,
    synapses_per_neuron: 1,
    input_expansion_neurons: 128,
    output_expansion_neurons: 128,
    max_fan_out: 512,
    max_recurrent_synapses: 31_744,
    ..COMMON
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases() {
        for (s, f) in [
            ("syns61201", XyloFamily::Audio2),
            ("vA2", XyloFamily::Audio2),
            ("Xylo-Audio-2", XyloFamily::Audio2),
            ("xylo_audio 3", XyloFamily::Audio3),
            ("SYNS65302", XyloFamily::Audio3),
            ("imu", XyloFamily::Imu),
            ("XyloIMU", XyloFamily::Imu),
            ("syns63300", XyloFamily::Imu),
        ] {
            assert_eq!(s.parse::<XyloFamily>().unwrap(), f, "{s}");
        }
        let err = "syns65300".parse::<XyloFamily>().unwrap_err().to_string();
        assert!(
            err.contains("syns65300") && err.contains("syns61201"),
            "{err}"
        );
    }

    #[test]
    fn display_round_trips_and_limits() {
        for f in XyloFamily::ALL {
            assert_eq!(f.to_string().parse::<XyloFamily>().unwrap(), f);
            assert_eq!(f.chip().family, f);
            assert_eq!(f.chip().weight_range(), (-128, 127));
            assert_eq!(f.chip().threshold_range(), (-32768, 32767));
            assert_eq!(f.chip().max_dash(), 15);
            assert_eq!(f.chip().max_hidden_spikes, u32::from(MAX_HIDDEN_SPIKES));
            assert_eq!(f.chip().max_output_spikes, u32::from(MAX_OUTPUT_SPIKES));
            assert_eq!(f.chip().hop_delay_steps, 1);
        }
        assert_eq!(XyloFamily::Audio3.chip().hidden_neurons, 992);
        assert_eq!(XyloFamily::Imu.chip().synapses_per_neuron, 1);
        let json = serde_json::to_string(&XyloFamily::Imu).unwrap();
        assert_eq!(json, "\"syns63300\"");
        assert_eq!(
            serde_json::from_str::<XyloFamily>("\"vA3\"").unwrap(),
            XyloFamily::Audio3
        );
    }
}
