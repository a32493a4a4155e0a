//! [`ToFrame`]: events binned into a raster of counts, and [`EventPipeline`]: transforms then
//! binning, as one TOML-configurable step.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{EventError, Result};
use crate::stream::{EventStream, SensorSize};
use crate::transform::{Compose, check_inside};

/// Bins events into a raster `[T, channels]` of counts (`f32`).
///
/// Bin `k` holds the events with `k · dt <= t < (k + 1) · dt` (products computed in `f64`);
/// event `(x, y, p)` counts in channel `x + W · y + W · H · p` for a sensor `W × H × P` (for
/// SHD/SSC that is the unit). With `bins` set, the raster has exactly that many rows: later
/// events are dropped and short samples padded with zero rows (pad/crop to a length); without,
/// `T = ⌊t_last / dt⌋ + 1` (0 for an empty stream). Events with negative times are ignored.
#[doc(alias = "binning")]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToFrame {
    /// Bin width (s), `> 0`.
    pub dt: f64,
    /// Rows `T` of the raster; `None`: up to the last event.
    #[serde(default)]
    pub bins: Option<usize>,
}

impl ToFrame {
    /// Bins of width `dt` seconds up to the last event.
    pub fn new(dt: f64) -> Result<Self> {
        let f = ToFrame { dt, bins: None };
        f.check()?;
        Ok(f)
    }

    /// Exactly `bins` rows (pad with zeros or drop later events).
    pub fn with_bins(mut self, bins: usize) -> Self {
        self.bins = Some(bins);
        self
    }

    /// Checks `dt`.
    pub fn check(&self) -> Result<()> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(EventError::parameter(
                "to_frame",
                "dt",
                self.dt,
                "must be finite and > 0",
            ));
        }
        Ok(())
    }

    /// The bin of time `t` (s): the `k` with `k · dt <= t < (k + 1) · dt`, or `None` for
    /// `t < 0` or non-finite `t`.
    pub fn bin_of(&self, t: f64) -> Option<u64> {
        if !(t.is_finite() && t >= 0.0) {
            return None;
        }
        let mut k = (t / self.dt).floor();
        // Division rounds; settle on the bin whose f64 bounds hold t.
        if k * self.dt > t {
            k -= 1.0;
        } else if (k + 1.0) * self.dt <= t {
            k += 1.0;
        }
        Some(k.max(0.0) as u64)
    }

    /// Rows of the raster for `events`.
    pub fn num_bins(&self, events: &EventStream) -> u64 {
        match self.bins {
            Some(b) => b as u64,
            None => events
                .t
                .iter()
                .filter_map(|&t| self.bin_of(t))
                .max()
                .map_or(0, |k| k + 1),
        }
    }

    /// The raster `[T, W · H · P]` of `events` from `sensor` (see the type's docs). Errors
    /// when an event lies outside the sensor or the raster would exceed
    /// [`rockpool_io::max_array_bytes`].
    pub fn apply(&self, events: &EventStream, sensor: SensorSize) -> Result<Array2<f32>> {
        self.check()?;
        check_inside(events, sensor, "to_frame")?;
        let rows = self.num_bins(events);
        let channels = sensor.channels();
        let bytes = rows.saturating_mul(channels as u64).saturating_mul(4);
        let limit = rockpool_io::max_array_bytes()?;
        if bytes > limit {
            return Err(EventError::parameter(
                "to_frame",
                "bins",
                rows,
                format!(
                    "a raster of {rows} × {channels} f32 needs {bytes} bytes, over the limit of \
                     {limit} (raise dt or set bins)"
                ),
            ));
        }
        let mut frame = Array2::<f32>::zeros((rows as usize, channels));
        let (w, h) = (sensor.width, sensor.height);
        for i in 0..events.len() {
            if let Some(k) = self.bin_of(events.t[i]).filter(|&k| k < rows) {
                let c =
                    events.x[i] as usize + w * events.y[i] as usize + w * h * events.p[i] as usize;
                frame[[k as usize, c]] += 1.0;
            }
        }
        Ok(frame)
    }
}

/// Transforms then binning: what a training loader does to each sample.
///
/// ```
/// use rockpool_events::{EventPipeline, EventStream, SensorSize};
///
/// let p: EventPipeline = toml::from_str(r#"
///     transforms = [{ kind = "crop_time", max = 2e-3 }]
///     frame = { dt = 1e-3, bins = 10 }
/// "#).unwrap();
/// let ev = EventStream::from_channels(vec![0.0, 0.0015, 0.002], vec![0, 1, 699]).unwrap();
/// let raster = p.apply(ev, SensorSize::SHD, 7).unwrap();
/// assert_eq!(raster.shape(), &[10, 700]);
/// assert_eq!((raster[[0, 0]], raster[[1, 1]], raster.sum()), (1.0, 1.0, 2.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPipeline {
    /// Event transforms, applied first (default: none).
    #[serde(default)]
    pub transforms: Compose,
    /// The binning.
    pub frame: ToFrame,
}

impl EventPipeline {
    /// Channels of the rasters for events from `sensor` (after the transforms).
    pub fn channels(&self, sensor: SensorSize) -> Result<usize> {
        Ok(self.transforms.output_sensor(sensor)?.channels())
    }

    /// Transforms `events` with `seed` (see [`Compose::apply`]) and bins them: `[T, channels]`.
    pub fn apply(&self, events: EventStream, sensor: SensorSize, seed: u64) -> Result<Array2<f32>> {
        let (ev, s) = self.transforms.apply(events, sensor, seed)?;
        self.frame.apply(&ev, s)
    }
}
