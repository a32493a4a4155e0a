//! rockpool's `.npz` event format for users' own data, with its reader and writer.
//!
//! # Format
//!
//! One `.npz` archive (as written by `numpy.savez`/`savez_compressed`) holds a whole split:
//!
//! | key | shape | dtype | meaning |
//! |---|---|---|---|
//! | `times` | `[E]` | any number (written as float64) | event times, **seconds**, sorted within each sample |
//! | `channels` | `[E]` | integer | channel of each event (one-row sensors: audio, cochleas) |
//! | `x`, `y`, `p` | `[E]` each | integer | column, row, polarity (cameras); instead of `channels` |
//! | `offsets` | `[N + 1]` | integer | sample *i* is events `offsets[i] .. offsets[i + 1]`; `offsets[0] = 0`, non-decreasing, `offsets[N] = E` |
//! | `labels` | `[N]` | integer | class of each sample, `0 .. C` |
//! | `sensor` | `[3]` | integer, optional | `(width, height, polarities)`; without it: `(max x + 1, max y + 1, max p + 1)` |
//! | `num_classes` | `[]` or `[1]` | integer, optional | `C`; without it: `max label + 1` |
//!
//! Integer columns may be stored as floats holding whole numbers. `channels` is read as
//! `x` with `y = p = 0`. Exactly one of `channels` and `x`/`y`/`p` must be present.
//!
//! In Python:
//!
//! ```text
//! np.savez("events.npz", times=t, channels=c, offsets=np.r_[0, np.cumsum(counts)],
//!          labels=labels, sensor=np.array([700, 1, 1]))
//! ```
//!
//! # Memory
//!
//! An `.npz` file is a zip archive; this reader loads all arrays when the dataset is opened
//! (sizes checked against [`rockpool_io::max_array_bytes`] before inflating) and
//! [`get`](EventDataset::get) copies one sample out of them. Datasets larger than memory
//! should be split into several files.

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use rockpool_io::NpyArray;

use crate::error::{EventError, Location, Result};
use crate::stream::{EventDataset, EventStream, SensorSize, TimeOrder, check_index, check_label};

/// An event dataset in rockpool's `.npz` event format (see the module docs), held in memory.
#[derive(Debug, Clone)]
pub struct NpzEventDataset {
    path: PathBuf,
    name: String,
    events: EventStream,
    offsets: Vec<usize>,
    labels: Vec<usize>,
    classes: usize,
    sensor: SensorSize,
    order: TimeOrder,
}

impl NpzEventDataset {
    /// Reads the file and checks its structure: keys, shapes, offsets, labels and sensor. The
    /// events of each sample are checked (ranges, order) when [`get`](EventDataset::get) reads
    /// it. The dataset is named after the file stem.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut arrays = rockpool_io::read_npz(&path)?;
        let mut take = |key: &str| -> Option<NpyArray> {
            let pos = arrays.iter().position(|(k, _)| k == key)?;
            Some(arrays.remove(pos).1)
        };
        let at = |key: &str| Location::new(&path, key);
        let required = |a: Option<NpyArray>, key: &str| {
            a.ok_or_else(|| EventError::format(&at(key), "missing from the archive"))
        };

        let times = required(take("times"), "times")?;
        let t: Vec<f64> = vector(&times, &at("times"))?
            .to_f64()
            .iter()
            .copied()
            .collect();
        let e = t.len();
        let (x, y, p) = match (take("channels"), take("x"), take("y"), take("p")) {
            (Some(c), None, None, None) => {
                (ints::<u16>(&c, e, &at("channels"))?, vec![0; e], vec![0; e])
            }
            (None, Some(x), Some(y), Some(p)) => (
                ints::<u16>(&x, e, &at("x"))?,
                ints::<u16>(&y, e, &at("y"))?,
                ints::<u8>(&p, e, &at("p"))?,
            ),
            _ => {
                return Err(EventError::format(
                    &at("channels"),
                    "the archive must hold either `channels` or all of `x`, `y`, `p`",
                ));
            }
        };

        let offsets_arr = required(take("offsets"), "offsets")?;
        let labels_arr = required(take("labels"), "labels")?;
        let offsets_at = at("offsets");
        let offsets = whole_numbers(vector(&offsets_arr, &offsets_at)?, &offsets_at)?;
        let n = offsets.len().checked_sub(1).ok_or_else(|| {
            EventError::format(&offsets_at, "empty; expected N + 1 entries starting with 0")
        })?;
        if offsets[0] != 0 || offsets[n] != e as u64 {
            return Err(EventError::format(
                &offsets_at,
                format!(
                    "must start at 0 and end at the number of events ({e}); found {} … {}",
                    offsets[0], offsets[n]
                ),
            ));
        }
        if let Some(i) = (1..=n).find(|&i| offsets[i] < offsets[i - 1]) {
            return Err(EventError::format(
                &offsets_at.clone().sample(i - 1),
                format!(
                    "offsets[{i}] = {} < offsets[{}] = {}",
                    offsets[i],
                    i - 1,
                    offsets[i - 1]
                ),
            ));
        }
        let labels_at = at("labels");
        let labels = whole_numbers(vector(&labels_arr, &labels_at)?, &labels_at)?;
        if labels.len() != n {
            return Err(EventError::format(
                &labels_at,
                format!(
                    "{} labels for {n} samples (offsets has {} entries)",
                    labels.len(),
                    n + 1
                ),
            ));
        }

        let classes = match take("num_classes") {
            Some(c) => {
                let c_at = at("num_classes");
                let v = whole_numbers(&c, &c_at)?;
                match v.as_slice() {
                    [c] if *c >= 1 => *c as usize,
                    _ => return Err(EventError::format(&c_at, "expected one whole number >= 1")),
                }
            }
            None => labels.iter().max().map_or(1, |&m| m as usize + 1),
        };
        let labels = labels
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                check_label(
                    l.min(i64::MAX as u64) as i64,
                    classes,
                    &labels_at.clone().sample(i),
                )
            })
            .collect::<Result<Vec<_>>>()?;

        let sensor = match take("sensor") {
            Some(s) => {
                let s_at = at("sensor");
                match whole_numbers(&s, &s_at)?.as_slice() {
                    [w, h, p] => SensorSize::new(*w as usize, *h as usize, *p as usize)
                        .map_err(|e| EventError::format(&s_at, e.to_string()))?,
                    _ => {
                        return Err(EventError::format(
                            &s_at,
                            "expected [width, height, polarities]",
                        ));
                    }
                }
            }
            None => SensorSize {
                width: x.iter().max().map_or(1, |&m| m as usize + 1),
                height: y.iter().max().map_or(1, |&m| m as usize + 1),
                polarities: p.iter().max().map_or(1, |&m| m as usize + 1),
            },
        };
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(NpzEventDataset {
            path,
            name,
            events: EventStream { t, x, y, p },
            offsets: offsets.iter().map(|&o| o as usize).collect(),
            labels,
            classes,
            sensor,
            order: TimeOrder::Require,
        })
    }

    /// Sets what [`get`](EventDataset::get) does with unsorted times (default: refuse).
    pub fn with_time_order(mut self, order: TimeOrder) -> Self {
        self.order = order;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl EventDataset for NpzEventDataset {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn get(&self, index: usize) -> Result<(EventStream, usize)> {
        check_index(index, self.len())?;
        let r = self.offsets[index]..self.offsets[index + 1];
        let mut s = EventStream {
            t: self.events.t[r.clone()].to_vec(),
            x: self.events.x[r.clone()].to_vec(),
            y: self.events.y[r.clone()].to_vec(),
            p: self.events.p[r].to_vec(),
        };
        let at = Location::new(&self.path, "").sample(index);
        s.validate_named(self.sensor, self.order, &at, ["times", "x", "y", "p"])?;
        Ok((s, self.labels[index]))
    }

    fn label(&self, index: usize) -> Result<usize> {
        check_index(index, self.len())?;
        Ok(self.labels[index])
    }

    fn num_classes(&self) -> usize {
        self.classes
    }

    fn sensor(&self) -> SensorSize {
        self.sensor
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn total_events(&self) -> Option<u64> {
        Some(self.events.len() as u64)
    }
}

/// Writes `samples` (events and label each) in rockpool's `.npz` event format, compressed,
/// atomically. One-row, one-polarity sensors are written with `channels`, others with `x`, `y`,
/// `p`; `sensor` and `num_classes` are always written. Every sample is checked against `sensor`
/// (ranges, sorted times) and every label against `num_classes` first; nothing is written when
/// one fails.
pub fn write_event_npz(
    path: impl AsRef<Path>,
    samples: &[(EventStream, usize)],
    sensor: SensorSize,
    num_classes: usize,
) -> Result<()> {
    let path = path.as_ref();
    let mut all = EventStream::default();
    let mut offsets = vec![0i64];
    let mut labels = Vec::with_capacity(samples.len());
    for (i, (s, label)) in samples.iter().enumerate() {
        let at = Location::new(path, "").sample(i);
        let mut s = s.clone();
        s.validate(sensor, TimeOrder::Require, &at)?;
        labels.push(check_label(*label as i64, num_classes, &at.field("labels"))? as i64);
        all.t.extend_from_slice(&s.t);
        all.x.extend_from_slice(&s.x);
        all.y.extend_from_slice(&s.y);
        all.p.extend_from_slice(&s.p);
        offsets.push(all.len() as i64);
    }
    fn arr<T>(v: Vec<T>) -> ArrayD<T> {
        let n = v.len();
        ArrayD::from_shape_vec(IxDyn(&[n]), v).expect("a vector is one-dimensional")
    }
    let mut arrays = vec![("times".to_string(), NpyArray::from(arr(all.t)))];
    if sensor.height == 1 && sensor.polarities == 1 {
        arrays.push(("channels".into(), NpyArray::from(arr(all.x))));
    } else {
        arrays.push(("x".into(), NpyArray::from(arr(all.x))));
        arrays.push(("y".into(), NpyArray::from(arr(all.y))));
        arrays.push(("p".into(), NpyArray::from(arr(all.p))));
    }
    arrays.push(("offsets".into(), NpyArray::from(arr(offsets))));
    arrays.push(("labels".into(), NpyArray::from(arr(labels))));
    let dims = vec![
        sensor.width as i64,
        sensor.height as i64,
        sensor.polarities as i64,
    ];
    arrays.push(("sensor".into(), NpyArray::from(arr(dims))));
    arrays.push((
        "num_classes".into(),
        NpyArray::from(ArrayD::from_elem(IxDyn(&[]), num_classes as i64)),
    ));
    rockpool_io::write_npz_compressed(path, &arrays)?;
    Ok(())
}

/// `a` if it is one-dimensional.
fn vector<'a>(a: &'a NpyArray, at: &Location) -> Result<&'a NpyArray> {
    if a.ndim() != 1 {
        return Err(EventError::format(
            at,
            format!("shape {:?}, expected one dimension", a.shape()),
        ));
    }
    if matches!(a, NpyArray::Bool(_)) {
        return Err(EventError::format(at, "bool array; expected numbers"));
    }
    Ok(a)
}

/// The elements of `a` as non-negative whole numbers.
fn whole_numbers(a: &NpyArray, at: &Location) -> Result<Vec<u64>> {
    a.to_f64()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&v) {
                Ok(v as u64)
            } else {
                Err(EventError::OutOfRange {
                    at: at.clone(),
                    event: i,
                    value: v.to_string(),
                    allowed: "must be a whole number >= 0".into(),
                })
            }
        })
        .collect()
}

/// A column of `e` whole numbers fitting `T`.
fn ints<T: TryFrom<u64>>(a: &NpyArray, e: usize, at: &Location) -> Result<Vec<T>> {
    let v = whole_numbers(vector(a, at)?, at)?;
    if v.len() != e {
        return Err(EventError::format(
            at,
            format!("{} entries, but `times` has {e}", v.len()),
        ));
    }
    v.iter()
        .enumerate()
        .map(|(i, &n)| {
            T::try_from(n).map_err(|_| EventError::OutOfRange {
                at: at.clone(),
                event: i,
                value: n.to_string(),
                allowed: format!("must fit in {}", std::any::type_name::<T>()),
            })
        })
        .collect()
}
