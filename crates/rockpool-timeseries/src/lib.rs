//! Rockpool's time series in Rust: continuous signals ([`TsContinuous`], Rockpool's
//! `TSContinuous`) and events ([`TsEvent`], Rockpool's `TSEvent`).
//!
//! Times are `f64` seconds throughout; continuous samples are an [`ndarray::Array2`] of shape
//! `(T, C)` — one row per sample time, one column per channel.
//!
//! - [`TsContinuous`] interpolates between samples ([`Interp`]: previous / linear / nearest /
//!   cubic), can be periodic, and supports Rockpool's operations: sampling
//!   ([`sample`](TsContinuous::sample), Rockpool's `ts(t)`), `resample`, `clip`, `merge`,
//!   `append_t`, `append_c`, `to_clocked`/`from_clocked`, arithmetic and shifts in time.
//! - [`TsEvent`] holds spike times and channels, answers window queries
//!   ([`events_in`](TsEvent::events_in)), bins itself into rasters
//!   ([`raster`](TsEvent::raster) / [`raster_counts`](TsEvent::raster_counts)) and is built
//!   from rasters ([`from_raster`](TsEvent::from_raster)), with the same bin-edge arithmetic
//!   as Rockpool.
//! - Both save to and load from Rockpool's `.npz` layout ([`TsContinuous::save`],
//!   [`load_timeseries`]), so files travel between this crate and Python Rockpool 3.1.
//! - With the default `plot` feature, both draw themselves to PNG or SVG files
//!   (`TsContinuous::plot`, `TsEvent::plot`).
//!
//! Behaviour follows Rockpool 3.1.0 as observed from the installed package; the fixtures in
//! `tests/fixtures/` were made with it (see `make_fixtures.py`). Deliberate differences:
//! reversed windows (`t_start > t_stop`) are errors instead of being swapped or producing
//! inverted series; `raster` with `num_timesteps` returns exactly that many rows (Rockpool
//! can return one more when `t_start + n·dt` rounds up); negative channels and constructors
//! with `t_start` after the first sample are rejected; a single-sample series with a scalar
//! fill value gives the fill value away from its sample (Rockpool gives NaN);
//! `concatenate_t` keeps the first series' interpolation kind.
//!
//! Every fallible operation returns [`Result`] with a [`TimeSeriesError`] naming the values
//! involved; nothing panics on user input.

mod continuous;
mod error;
mod event;
mod interp;
mod io;
#[cfg(feature = "plot")]
mod plot;
mod util;

pub use continuous::{FillValue, Interp, Operand, TsContinuous};
pub use error::{Result, TimeSeriesError};
pub use event::TsEvent;
pub use io::{TimeSeries, load_timeseries};
