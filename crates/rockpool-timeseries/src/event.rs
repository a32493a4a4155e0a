//! [`TsEvent`]: discrete events (spikes), each a time in seconds and a channel index.

use std::fmt;

use ndarray::{Array2, ArrayView2};

use crate::continuous::expand_offsets;
use crate::error::{Result, TimeSeriesError, finite};
use crate::util::{
    MAX_STEPS, TOLERANCE_ABSOLUTE, check_channel, check_dt, check_times, check_window, num_steps,
    stable_order, tile_periodic,
};

/// A series of events: times in seconds (non-decreasing) and the channel of each event,
/// over `[t_start, t_stop)` with `num_channels` channels.
///
/// # Limits and rasters
///
/// An event series covers `[t_start, t_stop)`: every event time must be strictly before
/// `t_stop`, which makes back-to-back series and rasters unambiguous. A periodic series
/// repeats its events every `t_stop − t_start` seconds.
///
/// Rasters bin events on a clock of step `dt` from `t_start`: bin `k` covers
/// `[t_start + k·dt, t_start + (k+1)·dt)`, an event at `t` falls in bin
/// `floor((t − t_start) / dt)` computed in floating point exactly as Rockpool does, and a
/// window `[t_start, t_stop)` has `ceil((t_stop − t_start) / dt)` bins. Because of rounding,
/// `0.3 / 0.1 = 2.9999999999999996`, so an event at 0.3 s lands in bin 2 of a 0.1 s clock
/// starting at 0 — the same bin Rockpool puts it in.
///
/// ```
/// use rockpool_timeseries::TsEvent;
///
/// let spikes = TsEvent::new(vec![0.0, 0.1, 0.3], vec![0, 2, 0], 0.4)?;
/// assert_eq!(spikes.num_channels(), 3);
/// let counts = spikes.raster_counts(0.1, None, None, None, None)?;
/// assert_eq!(counts.shape(), &[4, 3]);
/// assert_eq!(counts[[2, 0]], 1); // 0.3 / 0.1 rounds down to bin 2, as in Rockpool
/// # Ok::<(), rockpool_timeseries::TimeSeriesError>(())
/// ```
#[doc(alias = "TSEvent")]
#[derive(Debug, Clone, PartialEq)]
pub struct TsEvent {
    times: Vec<f64>,
    channels: Vec<usize>,
    t_start: f64,
    t_stop: f64,
    periodic: bool,
    name: String,
    num_channels: usize,
}

impl TsEvent {
    /// Events at `times` (seconds, non-decreasing, finite) on `channels` (one per event),
    /// ending at `t_stop` seconds, which must be strictly after the last event.
    /// `t_start` defaults to the first event time (0, or `t_stop` if negative, without
    /// events); `num_channels` to the highest channel + 1; non-periodic, named `"unnamed"`.
    ///
    /// # Errors
    /// If the times are not finite or decrease, the lengths differ, or `t_stop` is not after
    /// the last event.
    pub fn new(times: Vec<f64>, channels: Vec<usize>, t_stop: f64) -> Result<Self> {
        check_times(&times)?;
        finite("t_stop", t_stop)?;
        if channels.len() != times.len() {
            return Err(TimeSeriesError::LengthMismatch {
                what: format!("channels for {} event times", times.len()),
                expected: times.len(),
                found: channels.len(),
            });
        }
        if let Some(&last) = times.last()
            && t_stop <= last
        {
            return Err(TimeSeriesError::TStopNotAfterLastEvent { t_stop, last });
        }
        if let Some(&max_channel) = channels.iter().max() {
            check_channel(max_channel)?;
        }
        let t_start = times.first().copied().unwrap_or(t_stop.min(0.0));
        let num_channels = channels.iter().max().map_or(0, |&c| c + 1);
        Ok(TsEvent {
            times,
            channels,
            t_start,
            t_stop,
            periodic: false,
            name: "unnamed".to_string(),
            num_channels,
        })
    }

    /// A series without events over `[t_start, t_stop)` with `num_channels` channels.
    ///
    /// # Errors
    /// If the limits are not finite or `t_start > t_stop`.
    pub fn empty(t_start: f64, t_stop: f64, num_channels: usize) -> Result<Self> {
        check_window(t_start, t_stop)?;
        Ok(TsEvent {
            times: Vec::new(),
            channels: Vec::new(),
            t_start,
            t_stop,
            periodic: false,
            name: "unnamed".to_string(),
            num_channels,
        })
    }

    /// Events from a raster of shape `(T, C)` with step `dt` seconds (Rockpool's
    /// `TSEvent.from_raster`): a count `n` (or `true`) in bin `k`, channel `c` gives `n`
    /// events on channel `c` at `t_start + k·dt + dt/2` (or at `t_start + k·dt` with
    /// `spikes_at_bin_start`). Events are ordered by bin, then channel. `t_stop` defaults to
    /// `t_start + T·dt`, `num_channels` to `C`.
    ///
    /// # Errors
    /// If `dt` is not positive, `t_stop` is not after the last event, or `num_channels` is
    /// smaller than the highest channel with an event + 1.
    #[allow(clippy::too_many_arguments)]
    pub fn from_raster<A: Copy + Into<u32>>(
        raster: ArrayView2<'_, A>,
        dt: f64,
        t_start: f64,
        t_stop: Option<f64>,
        name: &str,
        periodic: bool,
        num_channels: Option<usize>,
        spikes_at_bin_start: bool,
    ) -> Result<Self> {
        check_dt(dt)?;
        finite("t_start", t_start)?;
        let (steps, width) = raster.dim();
        let mut times = Vec::new();
        let mut channels = Vec::new();
        for (k, row) in raster.rows().into_iter().enumerate() {
            let bin_start = t_start + k as f64 * dt;
            let time = if spikes_at_bin_start {
                bin_start
            } else {
                bin_start + dt / 2.0
            };
            for (c, &count) in row.iter().enumerate() {
                for _ in 0..count.into() {
                    times.push(time);
                    channels.push(c);
                }
            }
        }
        let t_stop = match t_stop {
            Some(t_stop) => t_stop,
            None => t_start + steps as f64 * dt,
        };
        let mut out = TsEvent::new(times, channels, t_stop)?;
        out.set_t_start(t_start)?;
        out.set_num_channels(num_channels.unwrap_or(width))?;
        out.periodic = periodic;
        out.name = name.to_string();
        Ok(out)
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

    /// Sets the number of channels; see [`set_num_channels`](Self::set_num_channels).
    ///
    /// # Errors
    /// As [`set_num_channels`](Self::set_num_channels).
    pub fn with_num_channels(mut self, num_channels: usize) -> Result<Self> {
        self.set_num_channels(num_channels)?;
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

    /// Sets `t_start` (seconds): at most the first event time (a value at most 1e-9 s after
    /// it snaps onto it) and at most `t_stop`.
    ///
    /// # Errors
    /// If `t_start` is not finite, after the first event, or after `t_stop`.
    pub fn set_t_start(&mut self, t_start: f64) -> Result<()> {
        finite("t_start", t_start)?;
        let mut t_start = t_start;
        if let Some(&first) = self.times.first()
            && t_start > first
        {
            if t_start - first > TOLERANCE_ABSOLUTE {
                return Err(TimeSeriesError::TStartAfterFirst { t_start, first });
            }
            t_start = first;
        }
        check_window(t_start, self.t_stop)?;
        self.t_start = t_start;
        Ok(())
    }

    /// Sets `t_stop` (seconds): strictly after the last event, and at least `t_start`.
    ///
    /// # Errors
    /// If `t_stop` is not finite, not after the last event, or before `t_start`.
    pub fn set_t_stop(&mut self, t_stop: f64) -> Result<()> {
        finite("t_stop", t_stop)?;
        if let Some(&last) = self.times.last()
            && t_stop <= last
        {
            return Err(TimeSeriesError::TStopNotAfterLastEvent { t_stop, last });
        }
        check_window(self.t_start, t_stop)?;
        self.t_stop = t_stop;
        Ok(())
    }

    /// Sets the number of channels; it may not be smaller than the highest channel + 1.
    ///
    /// # Errors
    /// [`NumChannelsTooSmall`](TimeSeriesError::NumChannelsTooSmall), or
    /// [`ChannelTooLarge`](TimeSeriesError::ChannelTooLarge) beyond 2³² − 1.
    pub fn set_num_channels(&mut self, num_channels: usize) -> Result<()> {
        check_channel(num_channels)?;
        if let Some(&max_channel) = self.channels.iter().max()
            && num_channels <= max_channel
        {
            return Err(TimeSeriesError::NumChannelsTooSmall {
                num_channels,
                max_channel,
            });
        }
        self.num_channels = num_channels;
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

    // ----------------------------------------------------------------------------------------
    // Accessors

    /// Event times in seconds, non-decreasing.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Channel of each event.
    pub fn channels(&self) -> &[usize] {
        &self.channels
    }

    /// Start of the series in seconds (at or before the first event).
    pub fn t_start(&self) -> f64 {
        self.t_start
    }

    /// End of the series in seconds (strictly after the last event).
    pub fn t_stop(&self) -> f64 {
        self.t_stop
    }

    /// `t_stop − t_start`, in seconds (the period of a periodic series).
    pub fn duration(&self) -> f64 {
        self.t_stop - self.t_start
    }

    /// Whether the events repeat every [`duration`](Self::duration) seconds.
    pub fn periodic(&self) -> bool {
        self.periodic
    }

    /// Name of the series (`"unnamed"` by default).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of channels (at least the highest channel + 1).
    pub fn num_channels(&self) -> usize {
        self.num_channels
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether there are no events (Rockpool's `isempty()`).
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Whether every time (seconds) lies in `[t_start, t_stop]`; always true when periodic.
    pub fn contains(&self, times: &[f64]) -> bool {
        self.periodic || times.iter().all(|&t| t >= self.t_start && t <= self.t_stop)
    }

    /// Iterates over `(time, channel)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (f64, usize)> + '_ {
        self.times
            .iter()
            .copied()
            .zip(self.channels.iter().copied())
    }

    // ----------------------------------------------------------------------------------------
    // Queries

    /// Events in `[t_start, t_stop)` seconds (defaults: the series' limits), optionally only
    /// on `channels`, as `(times, channels)` in time order (Rockpool's `ts(t_start, t_stop,
    /// channels)`). A periodic series is repeated to cover the window.
    ///
    /// # Errors
    /// If a limit is not finite or `t_start > t_stop`.
    pub fn events_in(
        &self,
        t_start: Option<f64>,
        t_stop: Option<f64>,
        channels: Option<&[usize]>,
    ) -> Result<(Vec<f64>, Vec<usize>)> {
        let from = t_start.unwrap_or(self.t_start);
        let to = t_stop.unwrap_or(self.t_stop);
        check_window(from, to)?;
        let wanted = |c: usize| channels.is_none_or(|list| list.contains(&c));
        let mut times = Vec::new();
        let mut chans = Vec::new();
        if self.periodic && self.duration() > 0.0 {
            for (t, i) in tile_periodic(&self.times, self.t_start, self.duration(), from, to, false)
            {
                if wanted(self.channels[i]) {
                    times.push(t);
                    chans.push(self.channels[i]);
                }
            }
        } else {
            for (t, c) in self.iter() {
                if t >= from && t < to && wanted(c) {
                    times.push(t);
                    chans.push(c);
                }
            }
        }
        Ok((times, chans))
    }

    /// Boolean raster, shape `(bins, channels)`: whether any event falls in each bin
    /// (Rockpool's `raster(..., add_events=False)`). See [`raster_counts`](Self::raster_counts).
    ///
    /// # Errors
    /// As [`raster_counts`](Self::raster_counts).
    pub fn raster(
        &self,
        dt: f64,
        t_start: Option<f64>,
        t_stop: Option<f64>,
        num_timesteps: Option<usize>,
        channels: Option<&[usize]>,
    ) -> Result<Array2<bool>> {
        Ok(self
            .raster_counts(dt, t_start, t_stop, num_timesteps, channels)?
            .mapv(|n| n > 0))
    }

    /// Event counts per bin, shape `(bins, channels)` (Rockpool's `raster(...,
    /// add_events=True)`).
    ///
    /// Bins have width `dt` seconds from `t_start` (default: the series' `t_start`). Either
    /// `t_stop` (default: the series' `t_stop`) gives `ceil((t_stop − t_start) / dt)` bins
    /// over `[t_start, t_stop)`, or `num_timesteps` gives exactly that many bins. Events in
    /// the window go to bin `floor((t − t_start) / dt)` (an event whose index rounds to the
    /// bin count is dropped). Column `j` counts channel `channels[j]` (default: every channel
    /// in order); channels without events, even beyond `num_channels`, give zero columns.
    ///
    /// # Errors
    /// If `dt` is not positive, both `t_stop` and `num_timesteps` are given, `t_stop <
    /// t_start`, or the raster would have more than 2³² rows.
    pub fn raster_counts(
        &self,
        dt: f64,
        t_start: Option<f64>,
        t_stop: Option<f64>,
        num_timesteps: Option<usize>,
        channels: Option<&[usize]>,
    ) -> Result<Array2<u32>> {
        check_dt(dt)?;
        let from = finite("t_start", t_start.unwrap_or(self.t_start))?;
        let (to, steps) = match (t_stop, num_timesteps) {
            (Some(t_stop), Some(num_timesteps)) => {
                return Err(TimeSeriesError::TStopAndNumTimesteps {
                    t_stop,
                    num_timesteps,
                });
            }
            (None, Some(steps)) => {
                if steps > MAX_STEPS {
                    // The user's numbers: `steps` steps of their `dt`.
                    return Err(TimeSeriesError::TooManySteps {
                        steps: steps as f64,
                        dt,
                        duration: steps as f64 * dt,
                        limit: MAX_STEPS,
                    });
                }
                (from + steps as f64 * dt, steps)
            }
            (t_stop, None) => {
                let to = t_stop.unwrap_or(self.t_stop);
                check_window(from, to)?;
                (to, num_steps(to - from, dt)?)
            }
        };
        let width = channels.map_or(self.num_channels, <[usize]>::len);
        if steps.max(1).saturating_mul(width) > MAX_STEPS {
            return Err(TimeSeriesError::TooManyCells {
                steps,
                channels: width,
                limit: MAX_STEPS,
            });
        }
        let columns: Vec<usize> = match channels {
            Some(list) => list.to_vec(),
            None => (0..self.num_channels).collect(),
        };
        // Channel -> the columns that count it (a channel may be listed twice); channels
        // without events (at or beyond num_channels) need no entry.
        let mut columns_of: Vec<Vec<usize>> = vec![Vec::new(); self.num_channels];
        for (j, &c) in columns.iter().enumerate() {
            if let Some(cols) = columns_of.get_mut(c) {
                cols.push(j);
            }
        }
        let mut raster = Array2::<u32>::zeros((steps, columns.len()));
        let (times, chans) = self.events_in(Some(from), Some(to), None)?;
        for (t, c) in times.into_iter().zip(chans) {
            let bin = ((t - from) / dt).floor();
            if !(bin >= 0.0 && bin < steps as f64) {
                continue;
            }
            if let Some(cols) = columns_of.get(c) {
                for &j in cols {
                    raster[[bin as usize, j]] += 1;
                }
            }
        }
        Ok(raster)
    }

    // ----------------------------------------------------------------------------------------
    // Transformations

    /// The events in `[t_start, t_stop)` (defaults: the series' limits), optionally only on
    /// `channels`; the result has the new limits. With `remap_channels`, the kept channels
    /// (sorted, duplicates removed) are renumbered `0, 1, …` and become the channel count.
    ///
    /// # Errors
    /// If a limit is not finite or `t_start > t_stop`.
    pub fn clip(
        &self,
        t_start: Option<f64>,
        t_stop: Option<f64>,
        channels: Option<&[usize]>,
        remap_channels: bool,
    ) -> Result<Self> {
        let from = t_start.unwrap_or(self.t_start);
        let to = t_stop.unwrap_or(self.t_stop);
        let (times, mut chans) = self.events_in(Some(from), Some(to), channels)?;
        let mut num_channels = self.num_channels;
        if remap_channels {
            let mut kept: Vec<usize> = match channels {
                Some(list) => list.to_vec(),
                None => (0..self.num_channels).collect(),
            };
            kept.sort_unstable();
            kept.dedup();
            for c in &mut chans {
                *c = kept
                    .binary_search(c)
                    .expect("kept channels include every event channel");
            }
            num_channels = kept.len();
        }
        Ok(TsEvent {
            times,
            channels: chans,
            t_start: from,
            t_stop: to,
            periodic: self.periodic,
            name: self.name.clone(),
            num_channels,
        })
    }

    /// Renames channels: an event on channel `c` moves to `channel_map[c]`. The map has one
    /// entry per channel; the channel count grows if needed.
    ///
    /// # Errors
    /// If `channel_map` has not [`num_channels`](Self::num_channels) entries or maps to a
    /// channel beyond 2³² − 1.
    pub fn remap_channels(&self, channel_map: &[usize]) -> Result<Self> {
        if channel_map.len() != self.num_channels {
            return Err(TimeSeriesError::LengthMismatch {
                what: format!("channel_map entries for series '{}'", self.name),
                expected: self.num_channels,
                found: channel_map.len(),
            });
        }
        if let Some(&max_channel) = channel_map.iter().max() {
            check_channel(max_channel)?;
        }
        let mut out = self.clone();
        out.channels = self.channels.iter().map(|&c| channel_map[c]).collect();
        out.num_channels = out
            .channels
            .iter()
            .map(|&c| c + 1)
            .max()
            .unwrap_or(0)
            .max(self.num_channels);
        Ok(out)
    }

    /// Adds the channels of another series after this one's: its channel `c` becomes
    /// `self.num_channels + c`. Events are interleaved in time; limits become the union.
    pub fn append_c(&self, other: &TsEvent) -> Self {
        self.append_c_many(&[other])
    }

    /// Adds the channels of several series in turn; see [`append_c`](Self::append_c).
    pub fn append_c_many(&self, others: &[&TsEvent]) -> Self {
        let mut out = self.clone();
        for other in others {
            let shift = out.num_channels;
            out.times.extend_from_slice(&other.times);
            out.channels
                .extend(other.channels.iter().map(|&c| c + shift));
            out.num_channels += other.num_channels;
            out.t_start = out.t_start.min(other.t_start);
            out.t_stop = out.t_stop.max(other.t_stop);
        }
        out.sort_events(false);
        out
    }

    /// Appends another series after this one in time: its `t_start` moves to
    /// `self.t_stop + offset` seconds. The channel count becomes the larger one. With
    /// `remove_duplicates`, repeated `(time, channel)` events are kept once and the events
    /// are ordered by time, then channel.
    ///
    /// # Errors
    /// If `offset` is not finite.
    pub fn append_t(&self, other: &TsEvent, offset: f64, remove_duplicates: bool) -> Result<Self> {
        self.append_t_many(&[other], &[offset], remove_duplicates)
    }

    /// Appends several series in turn; see [`append_t`](Self::append_t). `offsets` is empty
    /// (all 0 s) or has one entry per series.
    ///
    /// # Errors
    /// If `offsets` has the wrong length or an offset is not finite.
    pub fn append_t_many(
        &self,
        others: &[&TsEvent],
        offsets: &[f64],
        remove_duplicates: bool,
    ) -> Result<Self> {
        let offsets: Vec<Option<f64>> = offsets.iter().copied().map(Some).collect();
        let offsets = expand_offsets(&offsets, others.len())?;
        let mut out = self.clone();
        for (other, offset) in others.iter().zip(offsets) {
            let offset = finite("offset", offset.unwrap_or(0.0))?;
            let delay = out.t_stop + offset - other.t_start;
            out.times.extend(other.times.iter().map(|&t| t + delay));
            out.channels.extend_from_slice(&other.channels);
            out.num_channels = out.num_channels.max(other.num_channels);
            out.t_stop = other.t_stop + delay;
        }
        out.sort_events(remove_duplicates);
        if let Some(&first) = out.times.first() {
            out.t_start = out.t_start.min(first);
        }
        Ok(out)
    }

    /// Concatenates series in time (Rockpool's `TimeSeries.concatenate_t`): starts from an
    /// empty series at the first series' `t_start` and appends each in turn with the given
    /// offsets (empty = all 0 s). The result is non-periodic and named `"unnamed"`.
    ///
    /// # Errors
    /// If `series` is empty, or as [`append_t_many`](Self::append_t_many).
    pub fn concatenate_t(series: &[&TsEvent], offsets: &[f64]) -> Result<Self> {
        let first = series
            .first()
            .ok_or_else(|| TimeSeriesError::LengthMismatch {
                what: "series to concatenate".to_string(),
                expected: 1,
                found: 0,
            })?;
        TsEvent::empty(first.t_start, first.t_start, 0)?.append_t_many(series, offsets, false)
    }

    /// Overlays other series, each delayed by `delays[i]` seconds (empty = no delay), on this
    /// one. The channel count is the largest; limits become the union. With
    /// `remove_duplicates`, repeated `(time, channel)` events are kept once and ordered by
    /// time, then channel.
    ///
    /// # Errors
    /// If `delays` has the wrong length or a delay is not finite.
    pub fn merge(
        &self,
        others: &[&TsEvent],
        delays: &[f64],
        remove_duplicates: bool,
    ) -> Result<Self> {
        let delays: Vec<Option<f64>> = delays.iter().copied().map(Some).collect();
        let delays = expand_offsets(&delays, others.len())?;
        let mut out = self.clone();
        for (other, delay) in others.iter().zip(delays) {
            let delay = finite("delay", delay.unwrap_or(0.0))?;
            out.times.extend(other.times.iter().map(|&t| t + delay));
            out.channels.extend_from_slice(&other.channels);
            out.num_channels = out.num_channels.max(other.num_channels);
            out.t_start = out.t_start.min(other.t_start + delay);
            out.t_stop = out.t_stop.max(other.t_stop + delay);
        }
        out.sort_events(remove_duplicates);
        Ok(out)
    }

    /// The series shifted by `offset` seconds (events and limits).
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

    /// Sorts events by time (stable), or by `(time, channel)` without repeats.
    fn sort_events(&mut self, remove_duplicates: bool) {
        let mut order = stable_order(&self.times);
        if remove_duplicates {
            order.sort_by(|&a, &b| {
                self.times[a]
                    .total_cmp(&self.times[b])
                    .then(self.channels[a].cmp(&self.channels[b]))
            });
            order.dedup_by(|a, b| {
                self.times[*a] == self.times[*b] && self.channels[*a] == self.channels[*b]
            });
        }
        self.times = order.iter().map(|&i| self.times[i]).collect();
        self.channels = order.iter().map(|&i| self.channels[i]).collect();
    }
}

impl fmt::Display for TsEvent {
    /// A one-line summary, e.g.
    /// ``non-periodic TSEvent object `spikes` from t=0 to 1. Channels: 3. Events: 6``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} TSEvent object `{}` from t={} to {}. Channels: {}. Events: {}",
            if self.periodic {
                "periodic"
            } else {
                "non-periodic"
            },
            self.name,
            self.t_start,
            self.t_stop,
            self.num_channels,
            self.len()
        )
    }
}
