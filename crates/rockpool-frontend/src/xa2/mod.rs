//! The XyloAudio 2 (`syns61201`) front end: Rockpool 3.1.0's behavioural model of the analog
//! audio front end ([`AfeSim`], `AFESim`) and the digital divisive normalisation
//! ([`DivisiveNormalisation`], `DivisiveNormalisation` and `DivisiveNormalisationNoLFSR`).
//!
//! * [`afe`] — `AFESim`: volts at `fs` (≈110 kHz) → microphone and LNA nonlinearities, 16
//!   Butterworth band-pass filters, high-pass and full-wave rectification, LIF event encoders and
//!   a divide-by-4 counter → `(T, 16)` events at `fs`; optional noise and mismatch drawn from a
//!   seed. Matches Rockpool event for event with noise and mismatch off (see [`afe`]); matches
//!   its statistics with them on.
//! * [`dn`] — divisive normalisation: `(T, C)` event counts per 0.1 ms → normalised events;
//!   bit-exact with Rockpool.
//! * [`filters`] — scipy's Butterworth design, `sosfilt` and `filtfilt`, as the model uses them.
//! * [`noise`] — the `1/f`-shaped noise sources.
//! * [`lfsr`] — the LFSR code table dumped from Rockpool.

pub mod afe;
pub mod dn;
pub mod filters;
pub mod lfsr;
pub mod noise;

pub use afe::{AfeSim, AfeSimConfig, Mismatch};
pub use dn::{DivisiveNormalisation, DnConfig, DnState, LowPassMode};

use crate::{Block, Params, Result};

/// The front-end modules of this family (Rockpool class names), the full front end first.
pub const MODULES: &[&str] = &[afe::NAME, dn::NAME, dn::NAME_NO_LFSR];

/// Builds `name` from Rockpool constructor arguments; `None` if the name is not one of [`MODULES`].
pub fn build(name: &str, params: &Params) -> Option<Result<Box<dyn Block>>> {
    let built = match name {
        afe::NAME => AfeSimConfig::from_params(params)
            .and_then(AfeSim::new)
            .map(|b| Box::new(b) as Box<dyn Block>),
        dn::NAME | dn::NAME_NO_LFSR => DnConfig::from_params(name, params)
            .and_then(|c| DivisiveNormalisation::new(c, name == dn::NAME))
            .map(|b| Box::new(b) as Box<dyn Block>),
        _ => return None,
    };
    Some(built)
}
