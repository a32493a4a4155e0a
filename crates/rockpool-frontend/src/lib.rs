//! Simulators of the SynSense Xylo front ends: what turns raw sound or motion into the spike
//! counts a Xylo core sees.
//!
//! * [`xa3`] — the XyloAudio 3 (`syns65302`) digital audio front end: external samples or the
//!   PDM-microphone path (or the AGC path), a 16-channel integer band-pass filter bank, divisive
//!   normalisation / spike generation and rasterisation. Integers in, integers out, bit-exact
//!   with Rockpool 3.1.0's integer path.
//! * [`imu`] — the XyloIMU (`syns63300`) interface: input quantiser, rotation removal (subspace
//!   tracking and a quantised Jacobi SVD), a 15-channel band-pass filter bank and spike encoders;
//!   bit-exact with Rockpool.
//! * [`xa2`] — the XyloAudio 2 (`syns61201`) analog front end (a behavioural model, with noise
//!   and mismatch drawn from a seed) and its divisive normalisation.
//!
//! Every simulator is a [`Block`]: built from Rockpool's constructor arguments (a JSON object
//! under Rockpool's names and units, see [`Params`]) by [`build`], it maps a [`Signal`]
//! `(T, channels)` to a [`Signal`]. Time runs along axis 0 at the block's input rate; the
//! output rate is [`Block::output_dt`].

mod error;
pub mod imu;
mod params;
pub mod resample;
mod signal;
pub mod wav;
pub mod xa2;
pub mod xa3;

pub use error::{Error, Result};
pub use params::Params;
pub use signal::Signal;

/// A front-end simulator (or one block of it): state, parameters and an evolution in time.
pub trait Block: Send {
    /// The Rockpool class this block simulates, e.g. `"AFESimExternal"`.
    fn name(&self) -> &str;

    /// Evolves the block over `input`, a `(T, channels)` signal sampled at `sample_rate` Hz
    /// (`None`: the block's own input rate, no resampling). Returns the output `(T', channels')`.
    ///
    /// Blocks whose state persists across calls in Rockpool (e.g. `AFESim`'s LIF state) keep it
    /// here too; [`Block::reset`] returns them to the initial state.
    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal>;

    /// The block's native input sample rate in Hz (the rate `run` expects when `sample_rate` is
    /// `None`).
    fn input_rate(&self) -> f64;

    /// The time step of the output rows in seconds.
    fn output_dt(&self) -> f64;

    /// The number of output channels.
    fn output_channels(&self) -> usize;

    /// Returns the state to its initial value.
    fn reset(&mut self);
}

/// The chip families whose front ends are simulated here, by SynSense part number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// XyloAudio 2 (`syns61201`): analog front end.
    Audio2,
    /// XyloAudio 3 (`syns65302`): digital audio front end.
    Audio3,
    /// XyloIMU (`syns63300`): IMU interface.
    Imu,
}

impl Family {
    /// The part number, e.g. `"syns65302"`.
    pub fn part_number(self) -> &'static str {
        match self {
            Family::Audio2 => "syns61201",
            Family::Audio3 => "syns65302",
            Family::Imu => "syns63300",
        }
    }

    /// The family of a name: the part number (`syns65302`), Rockpool's short name (`vA3`,
    /// `vA2`, `imu`) or the product name without spaces (`XyloAudio3`), in any case.
    pub fn from_name(name: &str) -> Option<Family> {
        let n = name
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '_', '-'], "");
        match n.as_str() {
            "syns61201" | "va2" | "xyloaudio2" => Some(Family::Audio2),
            "syns65302" | "va3" | "xyloaudio3" => Some(Family::Audio3),
            "syns63300" | "imu" | "xyloimu" => Some(Family::Imu),
            _ => None,
        }
    }

    /// The front-end modules this family offers, the full front end first (the default of
    /// [`build`]).
    pub fn modules(self) -> &'static [&'static str] {
        match self {
            Family::Audio2 => xa2::MODULES,
            Family::Audio3 => xa3::MODULES,
            Family::Imu => imu::MODULES,
        }
    }
}

/// Builds the front-end module `module` (a Rockpool class name; `None`: the family's full front
/// end) of `family` from Rockpool constructor arguments `params` (a JSON object; unknown names are
/// errors).
pub fn build(family: Family, module: Option<&str>, params: &Params) -> Result<Box<dyn Block>> {
    let name = module.unwrap_or(family.modules()[0]);
    let built = match family {
        Family::Audio2 => xa2::build(name, params),
        Family::Audio3 => xa3::build(name, params),
        Family::Imu => imu::build(name, params),
    };
    match built {
        Some(block) => block,
        None => Err(Error::UnknownModule {
            name: name.to_string(),
            family: family.part_number().to_string(),
            known: family.modules().join(", "),
        }),
    }
}
