//! [`TsContinuous`]: a continuous, multi-channel signal defined by samples at given times.

use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, concatenate};

use crate::error::{Result, TimeSeriesError, finite};
use crate::interp::interpolate;
use crate::util::{
    TOLERANCE_ABSOLUTE, TOLERANCE_RELATIVE, check_dt, check_times, check_window, median_interval,
    num_steps, snap, stable_order, tile_periodic, wrap_periodic,
};

/// How a [`TsContinuous`] is interpolated between samples (SciPy's `interp1d` kinds). Parses
/// from and prints as Rockpool's names (any case when parsing; [`rockpool_io::text_enum!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Interp {
    /// Zero-order hold: the value of the last sample at or before `t` (Rockpool's default).
    #[default]
    Previous,
    /// Straight lines between consecutive samples.
    Linear,
    /// The nearest sample; exactly half-way goes to the earlier one.
    Nearest,
    /// A not-a-knot cubic spline through the samples (needs at least 4 samples).
    Cubic,
}

rockpool_io::text_enum! {
    Interp("interpolation kind") {
        Previous => "previous",
        Linear => "linear",
        Nearest => "nearest",
        Cubic => "cubic",
    }
}

impl Interp {
    /// Rockpool's name of the kind: `"previous"`, `"linear"`, `"nearest"` or `"cubic"`.
    pub fn as_str(self) -> &'static str {
        rockpool_io::TextEnum::name(&self)
    }
}

/// What a [`TsContinuous`] gives between its last sample (or before its first) and its
/// limits, when sampled there with `beyond_range_exception` off (Rockpool's `fill_value`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FillValue {
    /// Continue the interpolation (`"extrapolate"`, the default). `Previous` gives NaN before
    /// the first sample.
    #[default]
    Extrapolate,
    /// This constant outside the sampled range.
    Value(f64),
}

/// A continuous time series: samples of shape `(T, C)` at `T` times (seconds), defined over
/// `[t_start, t_stop]` and interpolated in between.
///
/// # Definition and sampling rules
///
/// A series holds sample times (seconds, non-decreasing) and samples of shape `(T, C)`, plus
/// the interval `[t_start, t_stop]` over which it is defined. Between samples it is
/// interpolated ([`Interp`]); a periodic series repeats `[t_start, t_stop)` forever, mapping
/// `t → t_start + (t − t_start) mod (t_stop − t_start)`.
///
/// Sampling outside the defined range is an error by default
/// ([`TsContinuous::beyond_range_exception`]): before the first sample, or after `t_stop`
/// (`Previous` interpolation) or the last sample (other kinds). Requests within
/// `min(1e-9 s, 1e-6 · duration)` of those limits are snapped onto them
/// ([`TsContinuous::approx_limit_times`]) so rounding in a caller's time base does not fail.
/// With the exception turned off, times outside `[t_start, t_stop]` give NaN and times inside
/// but beyond the samples are extrapolated or filled according to [`FillValue`].
///
/// ```
/// use ndarray::array;
/// use rockpool_timeseries::{Interp, TsContinuous};
///
/// let ts = TsContinuous::new(vec![0.0, 1.0, 2.0], array![[0.0], [1.0], [4.0]])?
///     .with_interp(Interp::Linear)
///     .with_name("ramp");
/// assert_eq!(ts.sample(&[0.5, 1.5])?, array![[0.5], [2.5]]);
/// # Ok::<(), rockpool_timeseries::TimeSeriesError>(())
/// ```
#[doc(alias = "TSContinuous")]
#[derive(Debug, Clone, PartialEq)]
pub struct TsContinuous {
    times: Vec<f64>,
    samples: Array2<f64>,
    t_start: f64,
    t_stop: f64,
    periodic: bool,
    name: String,
    units: Option<String>,
    interp: Interp,
    fill_value: FillValue,
    beyond_range_exception: bool,
    approx_limit_times: bool,
}

/// The right-hand side of an arithmetic operation on a [`TsContinuous`].
#[derive(Debug, Clone, Copy)]
pub enum Operand<'a> {
    /// One number for every sample.
    Scalar(f64),
    /// One number per channel, shape `(C,)`.
    PerChannel(ArrayView1<'a, f64>),
    /// One number per sample, shape `(T, C)`, or `(T, 1)` broadcast over channels.
    Samples(ArrayView2<'a, f64>),
    /// Another series, sampled at this series' times (its range rules apply).
    Series(&'a TsContinuous),
}

impl From<f64> for Operand<'_> {
    fn from(value: f64) -> Self {
        Operand::Scalar(value)
    }
}

impl<'a> From<&'a TsContinuous> for Operand<'a> {
    fn from(series: &'a TsContinuous) -> Self {
        Operand::Series(series)
    }
}

impl<'a> From<ArrayView1<'a, f64>> for Operand<'a> {
    fn from(values: ArrayView1<'a, f64>) -> Self {
        Operand::PerChannel(values)
    }
}

impl<'a> From<&'a Array1<f64>> for Operand<'a> {
    fn from(values: &'a Array1<f64>) -> Self {
        Operand::PerChannel(values.view())
    }
}

impl<'a> From<ArrayView2<'a, f64>> for Operand<'a> {
    fn from(values: ArrayView2<'a, f64>) -> Self {
        Operand::Samples(values)
    }
}

impl<'a> From<&'a Array2<f64>> for Operand<'a> {
    fn from(values: &'a Array2<f64>) -> Self {
        Operand::Samples(values.view())
    }
}

impl TsContinuous {
    /// A series from sample times (seconds, non-decreasing, finite) and samples of shape
    /// `(T, C)`. `t_start`/`t_stop` default to the first/last sample time (0 when there are
    /// no samples); the series is non-periodic, named `"unnamed"`, with `Previous`
    /// interpolation and `Extrapolate` fill.
    ///
    /// # Errors
    /// If a time is not finite, the times decrease, or `samples` has not `times.len()` rows.
    pub fn new(times: Vec<f64>, samples: Array2<f64>) -> Result<Self> {
        check_times(&times)?;
        if samples.nrows() != times.len() {
            return Err(TimeSeriesError::LengthMismatch {
                what: format!("sample rows for {} times", times.len()),
                expected: times.len(),
                found: samples.nrows(),
            });
        }
        let t_start = times.first().copied().unwrap_or(0.0);
        let t_stop = times.last().copied().unwrap_or(0.0);
        Ok(TsContinuous {
            times,
            samples,
            t_start,
            t_stop,
            periodic: false,
            name: "unnamed".to_string(),
            units: None,
            interp: Interp::Previous,
            fill_value: FillValue::Extrapolate,
            beyond_range_exception: true,
            approx_limit_times: true,
        })
    }

    /// A single-channel series from times (seconds) and one value per time.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_values(times: Vec<f64>, values: Vec<f64>) -> Result<Self> {
        let n = values.len();
        let samples = Array2::from_shape_vec((n, 1), values).expect("(n, 1) holds n values");
        Self::new(times, samples)
    }

    /// An empty series (no samples) with `num_channels` channels over `[t_start, t_stop]`.
    ///
    /// # Errors
    /// If the limits are not finite or `t_start > t_stop`.
    pub fn empty(num_channels: usize, t_start: f64, t_stop: f64) -> Result<Self> {
        check_window(t_start, t_stop)?;
        let mut ts = Self::new(Vec::new(), Array2::zeros((0, num_channels)))?;
        ts.t_start = t_start;
        ts.t_stop = t_stop;
        Ok(ts)
    }

    /// A series from samples on a regular clock: sample `k` at `t_start + k·dt` seconds,
    /// `t_stop` one step after the last sample (Rockpool's `TSContinuous.from_clocked`).
    /// `samples` has shape `(T, C)`.
    ///
    /// # Errors
    /// If `dt` is not positive and finite or `t_start` is not finite.
    pub fn from_clocked(
        samples: Array2<f64>,
        dt: f64,
        t_start: f64,
        periodic: bool,
        name: &str,
        interp: Interp,
    ) -> Result<Self> {
        check_dt(dt)?;
        finite("t_start", t_start)?;
        let times: Vec<f64> = (0..samples.nrows())
            .map(|k| k as f64 * dt + t_start)
            .collect();
        let t_stop = times.last().map_or(t_start, |&last| last + dt);
        let mut ts = Self::new(times, samples)?;
        ts.t_start = t_start;
        ts.t_stop = t_stop;
        ts.periodic = periodic;
        ts.name = name.to_string();
        ts.interp = interp;
        Ok(ts)
    }

    // ----------------------------------------------------------------------------------------
    // Builders and setters

    /// Sets `t_start` (seconds); see [`set_t_start`](Self::set_t_start).
    ///
    /// # Errors
    /// As [`set_t_start`](Self::set_t_start).
    pub fn with_t_start(mut self, t_start: f64) -> Result<Self> {
        self.set_t_start(t_start)?;
        Ok(self)
    }

    /// Sets `t_stop` (seconds); see [`set_t_stop`](Self::set_t_stop).
    ///
    /// # Errors
    /// As [`set_t_stop`](Self::set_t_stop).
    pub fn with_t_stop(mut self, t_stop: f64) -> Result<Self> {
        self.set_t_stop(t_stop)?;
        Ok(self)
    }

    /// Makes the series periodic (or not).
    pub fn with_periodic(mut self, periodic: bool) -> Self {
        self.periodic = periodic;
        self
    }

    /// Names the series.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the units of the samples (e.g. `"V"`); informational only, not saved to files.
    pub fn with_units(mut self, units: impl Into<String>) -> Self {
        self.units = Some(units.into());
        self
    }

    /// Sets the interpolation kind.
    pub fn with_interp(mut self, interp: Interp) -> Self {
        self.interp = interp;
        self
    }

    /// Sets what sampling beyond the samples gives (see [`FillValue`]).
    pub fn with_fill_value(mut self, fill_value: FillValue) -> Self {
        self.fill_value = fill_value;
        self
    }

    /// Sets whether sampling outside the defined range is an error (default `true`); when
    /// `false`, such times give NaN (outside `[t_start, t_stop]`) or the fill value.
    pub fn with_beyond_range_exception(mut self, on: bool) -> Self {
        self.beyond_range_exception = on;
        self
    }

    /// Sets whether sample times within `min(1e-9 s, 1e-6 · duration)` outside the limits are
    /// snapped onto them (default `true`).
    pub fn with_approx_limit_times(mut self, on: bool) -> Self {
        self.approx_limit_times = on;
        self
    }

    /// Sets both limits (seconds) at once; see [`set_limits`](Self::set_limits).
    ///
    /// # Errors
    /// As [`set_limits`](Self::set_limits).
    pub fn with_limits(mut self, t_start: f64, t_stop: f64) -> Result<Self> {
        self.set_limits(t_start, t_stop)?;
        Ok(self)
    }

    /// Sets `t_start` (seconds), keeping `t_stop`; see [`set_limits`](Self::set_limits).
    ///
    /// # Errors
    /// As [`set_limits`](Self::set_limits).
    pub fn set_t_start(&mut self, t_start: f64) -> Result<()> {
        self.set_limits(t_start, self.t_stop)
    }

    /// Sets `t_stop` (seconds), keeping `t_start`; see [`set_limits`](Self::set_limits).
    ///
    /// # Errors
    /// As [`set_limits`](Self::set_limits).
    pub fn set_t_stop(&mut self, t_stop: f64) -> Result<()> {
        self.set_limits(self.t_start, t_stop)
    }

    /// Sets `t_start` and `t_stop` (seconds). `t_start` may not be after the first sample nor
    /// `t_stop` before the last; values within 1e-9 s on the wrong side snap onto the sample
    /// time.
    ///
    /// # Errors
    /// If a limit is not finite, `t_start` is after the first sample, `t_stop` before the last
    /// sample, or (without samples) `t_start > t_stop`.
    pub fn set_limits(&mut self, t_start: f64, t_stop: f64) -> Result<()> {
        let mut t_start = finite("t_start", t_start)?;
        let mut t_stop = finite("t_stop", t_stop)?;
        if let (Some(&first), Some(&last)) = (self.times.first(), self.times.last()) {
            if t_start > first {
                if t_start - first > TOLERANCE_ABSOLUTE {
                    return Err(TimeSeriesError::TStartAfterFirst { t_start, first });
                }
                t_start = first;
            }
            if t_stop < last {
                if last - t_stop > TOLERANCE_ABSOLUTE {
                    return Err(TimeSeriesError::TStopBeforeLast { t_stop, last });
                }
                t_stop = last;
            }
        }
        check_window(t_start, t_stop)?;
        self.t_start = t_start;
        self.t_stop = t_stop;
        Ok(())
    }

    /// Renames the series.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Sets [`periodic`](Self::periodic).
    pub fn set_periodic(&mut self, periodic: bool) {
        self.periodic = periodic;
    }

    /// Sets the interpolation kind.
    pub fn set_interp(&mut self, interp: Interp) {
        self.interp = interp;
    }

    /// Sets the fill value.
    pub fn set_fill_value(&mut self, fill_value: FillValue) {
        self.fill_value = fill_value;
    }

    /// Sets [`beyond_range_exception`](Self::beyond_range_exception).
    pub fn set_beyond_range_exception(&mut self, on: bool) {
        self.beyond_range_exception = on;
    }

    /// Sets [`approx_limit_times`](Self::approx_limit_times).
    pub fn set_approx_limit_times(&mut self, on: bool) {
        self.approx_limit_times = on;
    }

    /// Sets or clears the units.
    pub fn set_units(&mut self, units: Option<String>) {
        self.units = units;
    }

    /// Replaces the samples (same shape `(T, C')` row count as the times; the channel count
    /// may change).
    ///
    /// # Errors
    /// If `samples` has not [`len`](Self::len) rows.
    pub fn set_samples(&mut self, samples: Array2<f64>) -> Result<()> {
        if samples.nrows() != self.times.len() {
            return Err(TimeSeriesError::LengthMismatch {
                what: format!("sample rows for {} times", self.times.len()),
                expected: self.times.len(),
                found: samples.nrows(),
            });
        }
        self.samples = samples;
        Ok(())
    }

    // ----------------------------------------------------------------------------------------
    // Accessors

    /// Sample times in seconds, non-decreasing, length `T`.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Samples, shape `(T, C)`.
    pub fn samples(&self) -> &Array2<f64> {
        &self.samples
    }

    /// Start of the series in seconds (at or before the first sample).
    pub fn t_start(&self) -> f64 {
        self.t_start
    }

    /// End of the series in seconds (at or after the last sample).
    pub fn t_stop(&self) -> f64 {
        self.t_stop
    }

    /// `t_stop − t_start`, in seconds (the period of a periodic series).
    pub fn duration(&self) -> f64 {
        self.t_stop - self.t_start
    }

    /// Whether the series repeats `[t_start, t_stop)` forever.
    pub fn periodic(&self) -> bool {
        self.periodic
    }

    /// Name of the series (`"unnamed"` by default).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Units of the samples, if set.
    pub fn units(&self) -> Option<&str> {
        self.units.as_deref()
    }

    /// Interpolation kind.
    pub fn interp(&self) -> Interp {
        self.interp
    }

    /// Fill value used beyond the samples when the range exception is off.
    pub fn fill_value(&self) -> FillValue {
        self.fill_value
    }

    /// Whether sampling outside the defined range is an error (default `true`).
    pub fn beyond_range_exception(&self) -> bool {
        self.beyond_range_exception
    }

    /// Whether times just outside the limits are snapped onto them (default `true`).
    pub fn approx_limit_times(&self) -> bool {
        self.approx_limit_times
    }

    /// Number of channels `C`.
    pub fn num_channels(&self) -> usize {
        self.samples.ncols()
    }

    /// Number of samples `T`.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether the series has no samples (Rockpool's `isempty()`).
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Smallest sample, ignoring NaN; `None` when there is none.
    pub fn min(&self) -> Option<f64> {
        self.samples
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .reduce(f64::min)
    }

    /// Largest sample, ignoring NaN; `None` when there is none.
    pub fn max(&self) -> Option<f64> {
        self.samples
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .reduce(f64::max)
    }

    /// Whether every time (seconds) lies in `[t_start, t_stop]`; always true when periodic.
    pub fn contains(&self, times: &[f64]) -> bool {
        self.periodic || times.iter().all(|&t| t >= self.t_start && t <= self.t_stop)
    }

    /// Iterates over `(time, sample row)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (f64, ArrayView1<'_, f64>)> {
        self.times.iter().copied().zip(self.samples.rows())
    }

    // ----------------------------------------------------------------------------------------
    // Sampling

    /// Values at the given times (seconds), shape `(times.len(), C)` — Rockpool's `ts(t)`.
    ///
    /// Periodic series wrap each time into `[t_start, t_stop)` first. See the
    /// [type docs](TsContinuous) for the range rules.
    ///
    /// # Errors
    /// [`SampleBeforeStart`](TimeSeriesError::SampleBeforeStart) /
    /// [`SampleAfterEnd`](TimeSeriesError::SampleAfterEnd) for times outside the range (with
    /// the exception on), [`NoSamples`](TimeSeriesError::NoSamples) if the series has channels
    /// but no samples, [`ZeroPeriod`](TimeSeriesError::ZeroPeriod) for a periodic series of
    /// zero duration, and an error for `Cubic` with fewer than 4 samples.
    pub fn sample(&self, times: &[f64]) -> Result<Array2<f64>> {
        let channels = self.num_channels();
        if self.times.is_empty() {
            if channels == 0 {
                return Ok(Array2::zeros((times.len(), 0)));
            }
            return Err(TimeSeriesError::NoSamples {
                name: self.name.clone(),
            });
        }
        if self.interp == Interp::Cubic && self.times.len() < 4 {
            return Err(TimeSeriesError::LengthMismatch {
                what: format!(
                    "series '{}': cubic interpolation needs at least 4 samples",
                    self.name
                ),
                expected: 4,
                found: self.times.len(),
            });
        }
        let mut at = times.to_vec();
        if self.periodic {
            let period = self.duration();
            if period <= 0.0 {
                return Err(TimeSeriesError::ZeroPeriod {
                    name: self.name.clone(),
                    t_start: self.t_start,
                });
            }
            for t in &mut at {
                *t = wrap_periodic(*t, self.t_start, period);
            }
        }
        let first = self.times[0];
        let (last, limit_name) = match self.interp {
            Interp::Previous => (self.t_stop, "t_stop"),
            _ => (self.times[self.times.len() - 1], "the last sample at"),
        };
        if self.approx_limit_times {
            let tolerance = TOLERANCE_ABSOLUTE.min(TOLERANCE_RELATIVE * self.duration());
            for t in &mut at {
                *t = snap(*t, first, last, tolerance);
            }
        }
        if self.beyond_range_exception {
            for &t in &at {
                if t < first {
                    return Err(TimeSeriesError::SampleBeforeStart {
                        name: self.name.clone(),
                        time: t,
                        first,
                    });
                }
                if t > last {
                    return Err(TimeSeriesError::SampleAfterEnd {
                        name: self.name.clone(),
                        time: t,
                        limit_name,
                        limit: last,
                    });
                }
            }
        }
        let mut values = interpolate(
            &self.times,
            self.samples.view(),
            self.interp,
            self.fill_value,
            &at,
        );
        for (row, &t) in at.iter().enumerate() {
            if t < self.t_start || t > self.t_stop {
                values.row_mut(row).fill(f64::NAN);
            }
        }
        Ok(values)
    }

    /// Values on a regular clock: at `t_start + k·dt` for `k < ceil(duration / dt)`, shape
    /// `(K, C)` (Rockpool's `to_clocked`).
    ///
    /// # Errors
    /// If `dt` is not positive and finite, or as [`sample`](Self::sample).
    pub fn to_clocked(&self, dt: f64) -> Result<Array2<f64>> {
        check_dt(dt)?;
        let steps = num_steps(self.duration(), dt)?;
        let times: Vec<f64> = (0..steps).map(|k| k as f64 * dt + self.t_start).collect();
        self.sample(&times)
    }

    /// A new series sampled at `times` (seconds, non-decreasing), keeping only `channels`
    /// (all when `None`), with `t_start`/`t_stop` at the first/last new time. Other settings
    /// (periodic, name, interpolation) are kept.
    ///
    /// # Errors
    /// If the times are not sorted and finite, a channel is out of range, or as
    /// [`sample`](Self::sample).
    pub fn resample(&self, times: &[f64], channels: Option<&[usize]>) -> Result<Self> {
        check_times(times)?;
        let samples = self.select_columns(self.sample(times)?, channels)?;
        let mut out = self.with_data(times.to_vec(), samples);
        out.t_start = times.first().copied().unwrap_or(self.t_start);
        out.t_stop = times.last().copied().unwrap_or(self.t_start);
        Ok(out)
    }

    /// A copy with only the given channels, in the given order.
    ///
    /// # Errors
    /// If a channel is out of range.
    pub fn select_channels(&self, channels: &[usize]) -> Result<Self> {
        let samples = self.select_columns(self.samples.clone(), Some(channels))?;
        Ok(self.with_data(self.times.clone(), samples))
    }

    /// The part of the series in `[t_start, t_stop]` (`[t_start, t_stop)` unless
    /// `include_stop`), optionally only `channels`.
    ///
    /// Limits default to the series' own. A periodic series is repeated to cover the window.
    /// With `sample_limits`, interpolated samples are inserted exactly at `t_start` and (with
    /// `include_stop`) at `t_stop` unless samples already sit there. The result has the new
    /// limits.
    ///
    /// # Errors
    /// If `t_start > t_stop`, a limit is not finite, a channel is out of range, or sampling
    /// at the limits fails (see [`sample`](Self::sample)).
    pub fn clip(
        &self,
        t_start: Option<f64>,
        t_stop: Option<f64>,
        channels: Option<&[usize]>,
        include_stop: bool,
        sample_limits: bool,
    ) -> Result<Self> {
        let t_start = t_start.unwrap_or(self.t_start);
        let t_stop = t_stop.unwrap_or(self.t_stop);
        check_window(t_start, t_stop)?;
        let (mut times, mut samples) = if self.periodic && self.duration() > 0.0 {
            let tiled: Vec<f64> = tile_periodic(
                &self.times,
                self.t_start,
                self.duration(),
                t_start,
                t_stop,
                include_stop,
            )
            .into_iter()
            .map(|(t, _)| t)
            .collect();
            let values = self.sample(&tiled)?;
            (tiled, values)
        } else {
            let keep: Vec<usize> = (0..self.times.len())
                .filter(|&i| {
                    let t = self.times[i];
                    t >= t_start && (t < t_stop || (include_stop && t == t_stop))
                })
                .collect();
            let times = keep.iter().map(|&i| self.times[i]).collect();
            (times, self.samples.select(Axis(0), &keep))
        };
        if sample_limits {
            if times.first() != Some(&t_start) {
                let row = self.sample(&[t_start])?;
                times.insert(0, t_start);
                samples = concatenate![Axis(0), row, samples];
            }
            if include_stop && times.last() != Some(&t_stop) {
                let row = self.sample(&[t_stop])?;
                times.push(t_stop);
                samples = concatenate![Axis(0), samples, row];
            }
        }
        let samples = self.select_columns(samples, channels)?;
        let mut out = self.with_data(times, samples);
        out.t_start = t_start;
        out.t_stop = t_stop;
        Ok(out)
    }

    /// Interleaves the samples of other series (same channel count) with this one, in time
    /// order; limits become the union of all limits. With `remove_duplicates`, samples of a
    /// later series at a time already present are dropped (earlier series win). Other
    /// settings come from `self`.
    ///
    /// # Errors
    /// If a series has a different channel count.
    pub fn merge(&self, others: &[&TsContinuous], remove_duplicates: bool) -> Result<Self> {
        let mut out = self.clone();
        for (index, other) in others.iter().enumerate() {
            self.check_same_channels(other, index)?;
            let keep: Vec<usize> = (0..other.times.len())
                .filter(|&i| !remove_duplicates || !out.times.iter().any(|&t| t == other.times[i]))
                .collect();
            let mut times = out.times.clone();
            times.extend(keep.iter().map(|&i| other.times[i]));
            let stacked = concatenate![Axis(0), out.samples, other.samples.select(Axis(0), &keep)];
            let order = stable_order(&times);
            out.times = order.iter().map(|&i| times[i]).collect();
            out.samples = stacked.select(Axis(0), &order);
            out.t_start = out.t_start.min(other.t_start);
            out.t_stop = out.t_stop.max(other.t_stop);
        }
        Ok(out)
    }

    /// Appends another series (same channel count) after this one in time: its `t_start` is
    /// moved to `self.t_stop + offset`. `offset` (seconds) defaults to the median interval
    /// between this series' samples. The result ends at the moved `t_stop` of `other`.
    ///
    /// # Errors
    /// If the channel counts differ or `offset` is not finite.
    pub fn append_t(&self, other: &TsContinuous, offset: Option<f64>) -> Result<Self> {
        self.append_t_many(&[other], &[offset])
    }

    /// Appends several series in turn; see [`append_t`](Self::append_t). `offsets` is empty
    /// (all default) or has one entry per series; a `None` offset is the median sample
    /// interval of the series just before it.
    ///
    /// # Errors
    /// If `offsets` has the wrong length, a channel count differs or an offset is not finite.
    pub fn append_t_many(&self, others: &[&TsContinuous], offsets: &[Option<f64>]) -> Result<Self> {
        let offsets = expand_offsets(offsets, others.len())?;
        let mut out = self.clone();
        let mut previous_times: &[f64] = &self.times;
        for (index, (other, offset)) in others.iter().zip(offsets).enumerate() {
            // An empty series (no samples, no channels) accepts any channel count.
            if !(out.times.is_empty() && out.num_channels() == 0) {
                out.check_same_channels(other, index)?;
            }
            let offset = match offset {
                Some(offset) => finite("offset", offset)?,
                None => median_interval(previous_times),
            };
            let delay = out.t_stop + offset - other.t_start;
            let mut times = std::mem::take(&mut out.times);
            times.extend(other.times.iter().map(|&t| t + delay));
            let samples = if out.samples.nrows() == 0 {
                other.samples.clone()
            } else {
                concatenate![Axis(0), out.samples, other.samples]
            };
            out.times = times;
            out.samples = samples;
            out.t_stop = other.t_stop + delay;
            if let Some(&first) = out.times.first() {
                out.t_start = out.t_start.min(first);
            }
            previous_times = &other.times;
        }
        Ok(out)
    }

    /// Concatenates series in time (Rockpool's `TimeSeries.concatenate_t`): starts from an
    /// empty series at the first series' `t_start` and appends each in turn (see
    /// [`append_t_many`](Self::append_t_many)). The result is non-periodic, named
    /// `"unnamed"`, with the first series' interpolation.
    ///
    /// # Errors
    /// If `series` is empty, or as [`append_t_many`](Self::append_t_many).
    pub fn concatenate_t(series: &[&TsContinuous], offsets: &[Option<f64>]) -> Result<Self> {
        let first = series
            .first()
            .ok_or_else(|| TimeSeriesError::LengthMismatch {
                what: "series to concatenate".to_string(),
                expected: 1,
                found: 0,
            })?;
        let start = TsContinuous::empty(0, first.t_start, first.t_start)?.with_interp(first.interp);
        start.append_t_many(series, offsets)
    }

    /// Adds the channels of another series, sampled at this series' times.
    ///
    /// # Errors
    /// If `other` cannot be sampled at these times (see [`sample`](Self::sample)).
    pub fn append_c(&self, other: &TsContinuous) -> Result<Self> {
        let extra = other.sample(&self.times)?;
        let samples = concatenate![Axis(1), self.samples, extra];
        Ok(self.with_data(self.times.clone(), samples))
    }

    /// The series shifted by `offset` seconds (times and limits).
    ///
    /// # Errors
    /// If `offset` is not finite.
    pub fn delay(&self, offset: f64) -> Result<Self> {
        Ok(self.shifted(finite("offset", offset)?))
    }

    /// The series shifted so that it starts at `t_start` seconds.
    ///
    /// # Errors
    /// If `t_start` is not finite.
    pub fn start_at(&self, t_start: f64) -> Result<Self> {
        self.delay(finite("t_start", t_start)? - self.t_start)
    }

    /// The series shifted so that it starts at 0 s.
    pub fn start_at_zero(&self) -> Self {
        self.shifted(-self.t_start)
    }

    /// The series with times and limits moved by `offset` seconds.
    fn shifted(&self, offset: f64) -> Self {
        let mut out = self.clone();
        out.times.iter_mut().for_each(|t| *t += offset);
        out.t_start += offset;
        out.t_stop += offset;
        out
    }

    // ----------------------------------------------------------------------------------------
    // Arithmetic

    /// `self + rhs`; NaN in either operand counts as 0. See [`Operand`] for broadcasting.
    ///
    /// # Errors
    /// If the operand's shape does not broadcast or an operand series cannot be sampled.
    pub fn try_add<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), |a, b| nan_to_zero(a) + nan_to_zero(b))
    }

    /// `self − rhs`; NaN in either operand counts as 0.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_sub<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), |a, b| nan_to_zero(a) - nan_to_zero(b))
    }

    /// `rhs − self` (Rockpool's `other - ts`); NaN in either operand counts as 0.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_rsub<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), |a, b| nan_to_zero(b) - nan_to_zero(a))
    }

    /// `self · rhs` (NaN propagates).
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_mul<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), |a, b| a * b)
    }

    /// `self / rhs` (division by zero gives ±inf or NaN, as NumPy).
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_div<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), |a, b| a / b)
    }

    /// `rhs / self`.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_rdiv<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), |a, b| b / a)
    }

    /// `self // rhs`: NumPy's floor division (`floor_divide`).
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_floor_div<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), floor_divide)
    }

    /// `self ** rhs`.
    ///
    /// # Errors
    /// As [`try_add`](Self::try_add).
    pub fn try_pow<'a>(&self, rhs: impl Into<Operand<'a>>) -> Result<Self> {
        self.binary(rhs.into(), f64::powf)
    }

    /// `self @ matrix`: samples `(T, C)` times `matrix` `(C, K)` gives a `(T, K)` series.
    ///
    /// # Errors
    /// If `matrix` has not `C` rows.
    pub fn matmul(&self, matrix: ArrayView2<'_, f64>) -> Result<Self> {
        if matrix.nrows() != self.num_channels() {
            return Err(TimeSeriesError::ShapeMismatch {
                name: self.name.clone(),
                expected: vec![self.num_channels(), matrix.ncols()],
                found: matrix.shape().to_vec(),
            });
        }
        Ok(self.with_data(self.times.clone(), self.samples.dot(&matrix)))
    }

    /// Absolute values of the samples.
    pub fn abs(&self) -> Self {
        self.map(f64::abs)
    }

    /// Applies `f` to every sample.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        self.with_data(self.times.clone(), self.samples.mapv(f))
    }

    // ----------------------------------------------------------------------------------------
    // Internals

    /// A copy with new times and samples and every other setting kept.
    fn with_data(&self, times: Vec<f64>, samples: Array2<f64>) -> Self {
        TsContinuous {
            times,
            samples,
            t_start: self.t_start,
            t_stop: self.t_stop,
            periodic: self.periodic,
            name: self.name.clone(),
            units: self.units.clone(),
            interp: self.interp,
            fill_value: self.fill_value,
            beyond_range_exception: self.beyond_range_exception,
            approx_limit_times: self.approx_limit_times,
        }
    }

    fn select_columns(
        &self,
        samples: Array2<f64>,
        channels: Option<&[usize]>,
    ) -> Result<Array2<f64>> {
        match channels {
            None => Ok(samples),
            Some(channels) => {
                if let Some(&channel) = channels.iter().find(|&&c| c >= self.num_channels()) {
                    return Err(TimeSeriesError::ChannelOutOfRange {
                        channel,
                        num_channels: self.num_channels(),
                    });
                }
                Ok(samples.select(Axis(1), channels))
            }
        }
    }

    fn check_same_channels(&self, other: &TsContinuous, index: usize) -> Result<()> {
        if other.num_channels() != self.num_channels() {
            return Err(TimeSeriesError::ChannelCountMismatch {
                name: self.name.clone(),
                index,
                expected: self.num_channels(),
                found: other.num_channels(),
            });
        }
        Ok(())
    }

    /// Applies `op(sample, operand)` element-wise after broadcasting the operand to `(T, C)`.
    fn binary(&self, rhs: Operand<'_>, op: impl Fn(f64, f64) -> f64) -> Result<Self> {
        let shape = (self.len(), self.num_channels());
        let mismatch = |found: &[usize]| TimeSeriesError::ShapeMismatch {
            name: self.name.clone(),
            expected: vec![shape.0, shape.1],
            found: found.to_vec(),
        };
        let other: Array2<f64> = match rhs {
            Operand::Scalar(v) => Array2::from_elem(shape, v),
            Operand::PerChannel(values) => {
                if values.len() != shape.1 && values.len() != 1 {
                    return Err(mismatch(values.shape()));
                }
                values
                    .broadcast(shape)
                    .ok_or_else(|| mismatch(values.shape()))?
                    .to_owned()
            }
            Operand::Samples(values) => {
                broadcast_rows(values, shape).ok_or_else(|| mismatch(values.shape()))?
            }
            Operand::Series(series) => {
                let values = series.sample(&self.times)?;
                broadcast_rows(values.view(), shape).ok_or_else(|| mismatch(values.shape()))?
            }
        };
        let mut samples = self.samples.clone();
        samples.zip_mut_with(&other, |a, &b| *a = op(*a, b));
        Ok(self.with_data(self.times.clone(), samples))
    }
}

/// Broadcasts `(T, C)` or `(T, 1)` values onto `shape`; `None` if impossible.
fn broadcast_rows(values: ArrayView2<'_, f64>, shape: (usize, usize)) -> Option<Array2<f64>> {
    if values.nrows() != shape.0 || (values.ncols() != shape.1 && values.ncols() != 1) {
        return None;
    }
    values.broadcast(shape).map(|v| v.to_owned())
}

fn nan_to_zero(v: f64) -> f64 {
    if v.is_nan() { 0.0 } else { v }
}

/// NumPy's `floor_divide` for floats: the quotient of `divmod`, which differs from
/// `floor(a / b)` when `a / b` rounds up to an integer (e.g. `1 // 0.1 == 9`).
fn floor_divide(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a / b;
    }
    let modulo = a % b;
    let mut div = (a - modulo) / b;
    if modulo != 0.0 && ((b < 0.0) != (modulo < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let floor = div.floor();
        if div - floor > 0.5 {
            floor + 1.0
        } else {
            floor
        }
    } else {
        0.0f64.copysign(a / b)
    }
}

/// Expands an offsets list to one entry per series (an empty list means all defaults).
pub(crate) fn expand_offsets<T: Copy>(
    offsets: &[Option<T>],
    count: usize,
) -> Result<Vec<Option<T>>> {
    if offsets.is_empty() {
        return Ok(vec![None; count]);
    }
    if offsets.len() != count {
        return Err(TimeSeriesError::LengthMismatch {
            what: "offsets, one per appended series".to_string(),
            expected: count,
            found: offsets.len(),
        });
    }
    Ok(offsets.to_vec())
}

macro_rules! scalar_ops {
    ($($trait:ident $method:ident $op:expr),*) => {$(
        impl $trait<f64> for &TsContinuous {
            type Output = TsContinuous;
            /// Element-wise with a scalar (NaN counts as 0 for `+` and `−`).
            fn $method(self, rhs: f64) -> TsContinuous {
                let op: fn(f64, f64) -> f64 = $op;
                self.map(|a| op(a, rhs))
            }
        }
        impl $trait<f64> for TsContinuous {
            type Output = TsContinuous;
            /// Element-wise with a scalar (NaN counts as 0 for `+` and `−`).
            fn $method(self, rhs: f64) -> TsContinuous {
                (&self).$method(rhs)
            }
        }
    )*};
}

scalar_ops!(
    Add add |a, b| nan_to_zero(a) + nan_to_zero(b),
    Sub sub |a, b| nan_to_zero(a) - nan_to_zero(b),
    Mul mul |a, b| a * b,
    Div div |a, b| a / b
);

macro_rules! reverse_scalar_ops {
    ($($trait:ident $method:ident $op:expr),*) => {$(
        impl $trait<&TsContinuous> for f64 {
            type Output = TsContinuous;
            /// Element-wise, scalar on the left (NaN counts as 0 for `+` and `−`).
            fn $method(self, rhs: &TsContinuous) -> TsContinuous {
                let op: fn(f64, f64) -> f64 = $op;
                rhs.map(|b| op(self, b))
            }
        }
        impl $trait<TsContinuous> for f64 {
            type Output = TsContinuous;
            /// Element-wise, scalar on the left (NaN counts as 0 for `+` and `−`).
            fn $method(self, rhs: TsContinuous) -> TsContinuous {
                self.$method(&rhs)
            }
        }
    )*};
}

reverse_scalar_ops!(
    Add add |a, b| nan_to_zero(a) + nan_to_zero(b),
    Sub sub |a, b| nan_to_zero(a) - nan_to_zero(b),
    Mul mul |a, b| a * b,
    Div div |a, b| a / b
);

impl Neg for &TsContinuous {
    type Output = TsContinuous;
    /// Negated samples.
    fn neg(self) -> TsContinuous {
        self.map(|a| -a)
    }
}

impl Neg for TsContinuous {
    type Output = TsContinuous;
    /// Negated samples.
    fn neg(self) -> TsContinuous {
        -&self
    }
}

impl fmt::Display for TsContinuous {
    /// Rockpool's one-line summary, e.g.
    /// ``non-periodic TSContinuous object `x` from t=0 to 1. Samples: 3. Channels: 2``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} TSContinuous object `{}` from t={} to {}. Samples: {}. Channels: {}",
            if self.periodic {
                "periodic"
            } else {
                "non-periodic"
            },
            self.name,
            self.t_start,
            self.t_stop,
            self.len(),
            self.num_channels()
        )
    }
}
