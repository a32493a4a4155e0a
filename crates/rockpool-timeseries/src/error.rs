//! [`TimeSeriesError`]: everything a user can get wrong with a time series.

use std::path::PathBuf;

/// Shorthand for results whose error is a [`TimeSeriesError`].
pub type Result<T, E = TimeSeriesError> = std::result::Result<T, E>;

/// An error from building, sampling, combining, saving or loading a time series.
///
/// Every message names the offending value and the limit it broke, with times in seconds,
/// e.g. `series 'input': sample time 1.2 s is after t_stop 1 s`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimeSeriesError {
    /// A time (sample or event time, `t_start`, `t_stop`, an offset) is NaN or infinite.
    #[error("{what} must be a finite number of seconds, got {value}")]
    NonFinite {
        /// Which quantity, e.g. `"t_start"` or `"time at index 3"`.
        what: String,
        /// The offending value.
        value: f64,
    },
    /// Sample or event times decrease somewhere.
    #[error(
        "times must be non-decreasing: time {time} s at index {index} comes after {previous} s"
    )]
    UnsortedTimes {
        /// Index of the first time that is smaller than its predecessor.
        index: usize,
        /// The predecessor, in seconds.
        previous: f64,
        /// The offending time, in seconds.
        time: f64,
    },
    /// Two arrays that must have matching lengths do not.
    #[error("{what}: expected {expected}, found {found}")]
    LengthMismatch {
        /// What was compared, e.g. `"sample rows for 3 times"`.
        what: String,
        /// The required length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// `t_start` is after the first sample or event.
    #[error("t_start {t_start} s is after the first sample at {first} s")]
    TStartAfterFirst {
        /// Requested `t_start`, in seconds.
        t_start: f64,
        /// Time of the first sample or event, in seconds.
        first: f64,
    },
    /// `t_stop` of a continuous series is before its last sample.
    #[error("t_stop {t_stop} s is before the last sample at {last} s")]
    TStopBeforeLast {
        /// Requested `t_stop`, in seconds.
        t_stop: f64,
        /// Time of the last sample, in seconds.
        last: f64,
    },
    /// `t_stop` of an event series is not strictly after its last event.
    #[error("t_stop {t_stop} s must be strictly after the last event at {last} s")]
    TStopNotAfterLastEvent {
        /// Requested `t_stop`, in seconds.
        t_stop: f64,
        /// Time of the last event, in seconds.
        last: f64,
    },
    /// A time window whose start is after its end.
    #[error("t_start {t_start} s is after t_stop {t_stop} s")]
    TStartAfterTStop {
        /// Start of the window, in seconds.
        t_start: f64,
        /// End of the window, in seconds.
        t_stop: f64,
    },
    /// A time step that is not a positive finite number of seconds.
    #[error("time step dt must be positive and finite, got {dt} s")]
    InvalidDt {
        /// The offending time step, in seconds.
        dt: f64,
    },
    /// Sampling a continuous series before its first sample.
    #[error(
        "series '{name}': sample time {time} s is before the first sample at {first} s \
         (sample inside the series, or turn `beyond_range_exception` off to get NaN/fill values)"
    )]
    SampleBeforeStart {
        /// Name of the series.
        name: String,
        /// Requested time, in seconds.
        time: f64,
        /// Time of the first sample, in seconds.
        first: f64,
    },
    /// Sampling a continuous series after its last defined point.
    #[error(
        "series '{name}': sample time {time} s is after {limit_name} {limit} s \
         (sample inside the series, or turn `beyond_range_exception` off to get NaN/fill values)"
    )]
    SampleAfterEnd {
        /// Name of the series.
        name: String,
        /// Requested time, in seconds.
        time: f64,
        /// `"t_stop"` for `previous` interpolation, `"the last sample at"` otherwise.
        limit_name: &'static str,
        /// The limit, in seconds.
        limit: f64,
    },
    /// Sampling a continuous series that has no samples.
    #[error("series '{name}' has no samples to interpolate")]
    NoSamples {
        /// Name of the series.
        name: String,
    },
    /// A periodic series whose duration is zero cannot be wrapped.
    #[error("series '{name}' is periodic but has zero duration (t_start = t_stop = {t_start} s)")]
    ZeroPeriod {
        /// Name of the series.
        name: String,
        /// Its `t_start` (= `t_stop`), in seconds.
        t_start: f64,
    },
    /// A channel index at or beyond the number of channels.
    #[error("channel {channel} is out of range for a series with {num_channels} channels")]
    ChannelOutOfRange {
        /// The offending channel index.
        channel: usize,
        /// Number of channels of the series.
        num_channels: usize,
    },
    /// A channel index or count beyond what a series may hold (2³² − 1).
    #[error("channel index {channel} is too large (at most {limit})")]
    ChannelTooLarge {
        /// The offending channel index or count.
        channel: usize,
        /// The largest allowed value.
        limit: usize,
    },
    /// An explicit number of channels smaller than the highest channel used.
    #[error("num_channels {num_channels} is too small: channel {max_channel} has events")]
    NumChannelsTooSmall {
        /// Requested number of channels.
        num_channels: usize,
        /// Highest channel index with an event.
        max_channel: usize,
    },
    /// Combining series whose channel counts differ.
    #[error(
        "series '{name}': other series number {index} has {found} channels, this one has {expected}"
    )]
    ChannelCountMismatch {
        /// Name of this series.
        name: String,
        /// Position of the other series in the argument list.
        index: usize,
        /// Channels of this series.
        expected: usize,
        /// Channels of the other series.
        found: usize,
    },
    /// An operand whose shape cannot be broadcast onto the samples.
    #[error(
        "series '{name}': operand of shape {found:?} cannot be broadcast to samples of shape {expected:?}"
    )]
    ShapeMismatch {
        /// Name of the series.
        name: String,
        /// Shape of the samples `(T, C)`.
        expected: Vec<usize>,
        /// Shape of the operand.
        found: Vec<usize>,
    },
    /// `raster` was given both `t_stop` and `num_timesteps`.
    #[error("give at most one of t_stop ({t_stop} s) and num_timesteps ({num_timesteps})")]
    TStopAndNumTimesteps {
        /// The `t_stop` given, in seconds.
        t_stop: f64,
        /// The `num_timesteps` given.
        num_timesteps: usize,
    },
    /// A raster or clocked grid with an unreasonable number of time steps or cells.
    #[error("{steps} time steps of {dt} s over {duration} s is too many (limit {limit})")]
    TooManySteps {
        /// Number of steps that would be made.
        steps: f64,
        /// Time step, in seconds.
        dt: f64,
        /// Duration covered, in seconds.
        duration: f64,
        /// The largest number of steps allowed.
        limit: usize,
    },
    /// A raster with more cells (time steps × channels) than allowed.
    #[error(
        "a raster of {steps} time steps × {channels} channels = {} cells is too many (limit {limit})",
        *steps as u128 * *channels as u128
    )]
    TooManyCells {
        /// Number of time steps.
        steps: usize,
        /// Number of channels (columns).
        channels: usize,
        /// The largest number of cells allowed.
        limit: usize,
    },
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] rockpool_io::IoError),
    /// A plot could not be drawn or written.
    #[cfg(feature = "plot")]
    #[error(transparent)]
    Plot(#[from] rockpool_plot::PlotError),
    /// A file that carries no time-series type key.
    #[error(
        "{}: not a Rockpool time series (no `type_TSContinuous` / `type_TSEvent` key; keys: {keys:?})",
        .path.display()
    )]
    NotATimeSeries {
        /// The file.
        path: PathBuf,
        /// The keys it does contain.
        keys: Vec<String>,
    },
    /// A time-series file of a kind this crate does not know.
    #[error("{}: unsupported time-series type '{found}' (expected TSContinuous or TSEvent)", .path.display())]
    UnknownType {
        /// The file.
        path: PathBuf,
        /// The type named in the file.
        found: String,
    },
    /// A time-series file of the other kind than requested.
    #[error("{}: holds a {found}, not a {expected}", .path.display())]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The type asked for.
        expected: &'static str,
        /// The type found.
        found: String,
    },
    /// A time-series file without a required key.
    #[error("{}: missing key '{key}'", .path.display())]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The missing key.
        key: &'static str,
    },
    /// A time-series file whose array has the wrong shape or values.
    #[error("{}: key '{key}': {problem}", .path.display())]
    BadArray {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A name that is not one of an enum's names, e.g. an interpolation kind this crate
    /// does not implement.
    #[error(transparent)]
    UnknownName(#[from] rockpool_io::UnknownName),
    /// A file whose arrays do not form a valid series (e.g. `t_stop` before the last sample).
    #[error("{}: not a valid time series: {source}", .path.display())]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with the series it holds.
        source: Box<TimeSeriesError>,
    },
}

/// Checks that `value` is finite, naming it `what` in the error.
pub(crate) fn finite(what: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TimeSeriesError::NonFinite {
            what: what.to_string(),
            value,
        })
    }
}
