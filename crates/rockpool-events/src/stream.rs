//! [`EventStream`] (one sample's events), [`SensorSize`], and the [`EventDataset`] trait every
//! reader implements.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{EventError, Location, Result};

/// The events of one sample, as four columns of equal length `E`.
///
/// - `t`: event times in **seconds** (`f64`), sorted ascending (ties allowed) in every stream a
///   reader returns; transforms keep them sorted.
/// - `x`: column (camera data) or channel/unit index (audio data such as SHD/SSC), `< width`.
/// - `y`: row, `< height` (always 0 for audio data).
/// - `p`: polarity, `< polarities` (always 0 for audio data; 0 = OFF, 1 = ON for cameras).
///
/// Four columns instead of a vector of event structs: binning, jitter and crops touch one or
/// two columns, and the columns map one-to-one onto the files' arrays.
#[doc(alias = "events")]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventStream {
    /// Event times (s), sorted ascending, `[E]`.
    pub t: Vec<f64>,
    /// Columns or channel indices, `[E]`.
    pub x: Vec<u16>,
    /// Rows, `[E]` (0 for one-row sensors).
    pub y: Vec<u16>,
    /// Polarities, `[E]` (0 for one-polarity sensors).
    pub p: Vec<u8>,
}

impl EventStream {
    /// A stream from its four columns (`t` in seconds); they must have equal lengths.
    /// Ranges and order are checked by [`validate`](Self::validate).
    pub fn new(t: Vec<f64>, x: Vec<u16>, y: Vec<u16>, p: Vec<u8>) -> Result<Self> {
        let n = t.len();
        for (field, len) in [("x", x.len()), ("y", y.len()), ("p", p.len())] {
            if len != n {
                return Err(EventError::parameter(
                    "EventStream::new",
                    "columns",
                    format!("`{field}` has {len} entries"),
                    format!("every column must have as many entries as `t` ({n})"),
                ));
            }
        }
        Ok(EventStream { t, x, y, p })
    }

    /// A stream of one-dimensional events (audio: SHD/SSC): times `t` (s) and channel indices
    /// `channels`, both `[E]`; `y` and `p` are 0.
    pub fn from_channels(t: Vec<f64>, channels: Vec<u16>) -> Result<Self> {
        let n = channels.len();
        Self::new(t, channels, vec![0; n], vec![0; n])
    }

    /// An empty stream with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventStream {
            t: Vec::with_capacity(capacity),
            x: Vec::with_capacity(capacity),
            y: Vec::with_capacity(capacity),
            p: Vec::with_capacity(capacity),
        }
    }

    /// Appends one event (`t` in seconds).
    pub fn push(&mut self, t: f64, x: u16, y: u16, p: u8) {
        self.t.push(t);
        self.x.push(x);
        self.y.push(y);
        self.p.push(p);
    }

    /// Number of events `E`.
    pub fn len(&self) -> usize {
        self.t.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Time of the last event (s), or `None` when empty.
    pub fn last_time(&self) -> Option<f64> {
        self.t.last().copied()
    }

    /// Keeps the events for which `keep(index)` is true, in order.
    pub fn retain_indices(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mut w = 0;
        for r in 0..self.len() {
            if keep(r) {
                self.t[w] = self.t[r];
                self.x[w] = self.x[r];
                self.y[w] = self.y[r];
                self.p[w] = self.p[r];
                w += 1;
            }
        }
        self.t.truncate(w);
        self.x.truncate(w);
        self.y.truncate(w);
        self.p.truncate(w);
    }

    /// Sorts the events by time (stable: events with equal times keep their order).
    pub fn sort_by_time(&mut self) {
        if self.t.windows(2).all(|w| w[0] <= w[1]) {
            return;
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by(|&a, &b| self.t[a].total_cmp(&self.t[b]));
        self.t = order.iter().map(|&i| self.t[i]).collect();
        self.x = order.iter().map(|&i| self.x[i]).collect();
        self.y = order.iter().map(|&i| self.y[i]).collect();
        self.p = order.iter().map(|&i| self.p[i]).collect();
    }

    /// Checks a stream read from `at`: equal column lengths, `x < width`, `y < height`,
    /// `p < polarities`, times finite and `>= 0`, and times sorted ascending (or sorts them when
    /// `order` is [`TimeOrder::Sort`]). Errors name `at`'s file and sample and the column.
    pub fn validate(&mut self, sensor: SensorSize, order: TimeOrder, at: &Location) -> Result<()> {
        self.validate_named(sensor, order, at, ["t", "x", "y", "p"])
    }

    /// [`validate`](Self::validate) with the file's names for the columns `t`, `x`, `y`, `p`
    /// (e.g. `spikes/times`, `spikes/units`).
    pub(crate) fn validate_named(
        &mut self,
        sensor: SensorSize,
        order: TimeOrder,
        at: &Location,
        names: [&str; 4],
    ) -> Result<()> {
        let n = self.t.len();
        for (field, len) in [
            (names[1], self.x.len()),
            (names[2], self.y.len()),
            (names[3], self.p.len()),
        ] {
            if len != n {
                return Err(EventError::format(
                    &at.field(field),
                    format!("{len} entries, but the times have {n}"),
                ));
            }
        }
        check_column(&self.x, sensor.width, &at.field(names[1]), "width")?;
        check_column(&self.y, sensor.height, &at.field(names[2]), "height")?;
        check_column(
            &self.p,
            sensor.polarities,
            &at.field(names[3]),
            "polarities",
        )?;
        let t_at = at.field(names[0]);
        for (i, &t) in self.t.iter().enumerate() {
            if !t.is_finite() || t < 0.0 {
                return Err(EventError::OutOfRange {
                    at: t_at,
                    event: i,
                    value: format!("{t} s"),
                    allowed: "times must be finite and >= 0".into(),
                });
            }
        }
        if let Some(i) = (1..n).find(|&i| self.t[i] < self.t[i - 1]) {
            match order {
                TimeOrder::Require => {
                    return Err(EventError::Unsorted {
                        at: t_at,
                        event: i,
                        time: self.t[i],
                        previous: self.t[i - 1],
                    });
                }
                TimeOrder::Sort => self.sort_by_time(),
            }
        }
        Ok(())
    }
}

fn check_column<T: Copy + Into<u64> + fmt::Display>(
    column: &[T],
    size: usize,
    at: &Location,
    what: &str,
) -> Result<()> {
    if let Some((i, &v)) = column
        .iter()
        .enumerate()
        .find(|(_, v)| (**v).into() >= size as u64)
    {
        return Err(EventError::OutOfRange {
            at: at.clone(),
            event: i,
            value: v.to_string(),
            allowed: format!("must be < {size}, the sensor's {what}"),
        });
    }
    Ok(())
}

/// What a reader does with a sample whose times are not sorted ascending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeOrder {
    /// Refuse the sample with [`EventError::Unsorted`] (the default: every published file is
    /// sorted, so disorder means a damaged or foreign file).
    #[default]
    Require,
    /// Sort the events by time (stable).
    Sort,
}

/// The shape of the sensor that produced the events: `x < width`, `y < height`,
/// `p < polarities`. A raster has `width · height · polarities` channels.
///
/// | dataset | width | height | polarities |
/// |---|---|---|---|
/// | SHD, SSC | 700 | 1 | 1 |
/// | N-MNIST | 34 | 34 | 2 |
/// | DVS Gesture | 128 | 128 | 2 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SensorSize {
    /// Columns (or channels of a one-row sensor), at most 65 536.
    pub width: usize,
    /// Rows, at most 65 536.
    pub height: usize,
    /// Polarities, at most 256.
    pub polarities: usize,
}

impl SensorSize {
    /// SHD and SSC: 700 cochlea channels, one row, one polarity.
    pub const SHD: SensorSize = SensorSize {
        width: 700,
        height: 1,
        polarities: 1,
    };
    /// N-MNIST: 34 × 34 pixels, two polarities.
    pub const NMNIST: SensorSize = SensorSize {
        width: 34,
        height: 34,
        polarities: 2,
    };
    /// DVS Gesture: 128 × 128 pixels, two polarities.
    pub const DVS_GESTURE: SensorSize = SensorSize {
        width: 128,
        height: 128,
        polarities: 2,
    };

    /// A sensor size; every dimension must be at least 1 and fit the event columns
    /// (`width`, `height` ≤ 65 536, `polarities` ≤ 256).
    pub fn new(width: usize, height: usize, polarities: usize) -> Result<Self> {
        for (field, v, max) in [
            ("width", width, 1 << 16),
            ("height", height, 1 << 16),
            ("polarities", polarities, 256),
        ] {
            if v == 0 || v > max {
                return Err(EventError::parameter(
                    "SensorSize::new",
                    field,
                    v,
                    format!("must be in 1..={max}"),
                ));
            }
        }
        Ok(SensorSize {
            width,
            height,
            polarities,
        })
    }

    /// Channels of a raster of this sensor: `width · height · polarities`; event `(x, y, p)`
    /// goes to channel `x + width · y + width · height · p`.
    pub fn channels(&self) -> usize {
        self.width * self.height * self.polarities
    }
}

impl fmt::Display for SensorSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {}, {})", self.width, self.height, self.polarities)
    }
}

/// A summary of a dataset: what [`EventDataset::info`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInfo {
    /// The dataset's name, e.g. `shd` or `nmnist`.
    pub name: String,
    /// Samples `N`.
    pub samples: usize,
    /// Classes `C` (labels are `0..C`).
    pub classes: usize,
    /// Events `E` over all samples, when known without reading the samples.
    pub total_events: Option<u64>,
    /// The sensor.
    pub sensor: SensorSize,
}

impl fmt::Display for DatasetInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} samples, {} classes, sensor {}",
            self.name, self.samples, self.classes, self.sensor
        )?;
        if let Some(e) = self.total_events {
            write!(f, ", {e} events")?;
        }
        Ok(())
    }
}

/// A dataset of labelled event samples with random access: [`get`](Self::get) reads one
/// sample from disk (nothing else), so a loader can stream a dataset larger than memory and
/// call `get` from several threads.
pub trait EventDataset: Send + Sync {
    /// Samples `N`.
    fn len(&self) -> usize;

    /// Whether there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index`: its events (validated against [`sensor`](Self::sensor), times sorted)
    /// and its label in `0..num_classes()`.
    fn get(&self, index: usize) -> Result<(EventStream, usize)>;

    /// The label of sample `index` without reading its events (for stratified splits).
    fn label(&self, index: usize) -> Result<usize>;

    /// Classes `C`.
    fn num_classes(&self) -> usize;

    /// The sensor the events come from.
    fn sensor(&self) -> SensorSize;

    /// A short name, e.g. `shd`.
    fn name(&self) -> &str;

    /// Events over all samples, when known without reading the samples.
    fn total_events(&self) -> Option<u64> {
        None
    }

    /// Samples, classes, total events (when cheaply known) and sensor.
    fn info(&self) -> DatasetInfo {
        DatasetInfo {
            name: self.name().to_string(),
            samples: self.len(),
            classes: self.num_classes(),
            total_events: self.total_events(),
            sensor: self.sensor(),
        }
    }
}

/// Refuses `index >= len`.
pub(crate) fn check_index(index: usize, len: usize) -> Result<()> {
    if index >= len {
        return Err(EventError::Index { index, len });
    }
    Ok(())
}

/// Checks a label read at `at` (`field` of sample `sample`) against `classes`.
pub(crate) fn check_label(label: i64, classes: usize, at: &Location) -> Result<usize> {
    if label < 0 || label as u64 >= classes as u64 {
        return Err(EventError::OutOfRange {
            at: at.clone(),
            event: 0,
            value: label.to_string(),
            allowed: format!("labels must be in 0..{classes}"),
        });
    }
    Ok(label as usize)
}
