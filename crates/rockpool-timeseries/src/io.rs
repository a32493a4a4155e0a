//! Saving and loading time series in Rockpool's `.npz` layout.

use std::path::{Path, PathBuf};

use ndarray::{Array2, Ix1, Ix2};
use rockpool_io::{NpyArray, read_npz, write_npz};

use crate::continuous::{Interp, TsContinuous};
use crate::error::{Result, TimeSeriesError};
use crate::event::TsEvent;

/// A time series of either kind, as [`load_timeseries`] returns it.
///
/// # File layout
///
/// Rockpool (`TimeSeries.save`, `np.savez`) writes one array per key; flags are carried in
/// key *names* as empty `float64` arrays:
///
/// | key                   | [`TsContinuous`]                    | [`TsEvent`]               |
/// |-----------------------|-------------------------------------|---------------------------|
/// | `times`               | `float64 (T,)`                      | `float64 (N,)`            |
/// | `samples`/`channels`  | `float64 (T, C)`                    | `int64 (N,)`              |
/// | `t_start`, `t_stop`   | `float64 ()`                        | `float64 ()`              |
/// | `interp_kind_<kind>`  | empty; `<kind>` is e.g. `previous`  | —                         |
/// | `periodic`            | `bool ()`                           | `bool ()`                 |
/// | `num_channels`        | —                                   | `int64 ()`                |
/// | `name_<name>`         | empty                               | empty                     |
/// | `type_<type>`         | `type_TSContinuous`                 | `type_TSEvent`            |
///
/// Reading accepts any numeric dtype for every array (Rockpool writes `int64` limits for
/// empty series and lets users choose `dtype_times`/`dtype_samples`), a missing interpolation
/// key (→ `linear`, as Rockpool), a missing name (→ `"unnamed"`) and a missing
/// `num_channels` (→ highest channel + 1). Units and fill values are not stored, as in
/// Rockpool.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeSeries {
    /// A continuous series.
    Continuous(TsContinuous),
    /// An event series.
    Event(TsEvent),
}

impl TimeSeries {
    /// Rockpool's type name: `"TSContinuous"` or `"TSEvent"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            TimeSeries::Continuous(_) => CONTINUOUS,
            TimeSeries::Event(_) => EVENT,
        }
    }

    /// Name of the series.
    pub fn name(&self) -> &str {
        match self {
            TimeSeries::Continuous(ts) => ts.name(),
            TimeSeries::Event(ts) => ts.name(),
        }
    }

    /// The arrays Rockpool's `to_dict()` gives, in its key order; see [`TimeSeries`] for the layout.
    pub fn to_npz_arrays(&self) -> Vec<(String, NpyArray)> {
        match self {
            TimeSeries::Continuous(ts) => ts.to_npz_arrays(),
            TimeSeries::Event(ts) => ts.to_npz_arrays(),
        }
    }

    /// Saves in Rockpool's layout; see [`TsContinuous::save`].
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        save_arrays(path.as_ref(), &self.to_npz_arrays())
    }

    /// Builds a series from the arrays of a Rockpool `.npz` file; `path` only names the
    /// source in error messages.
    ///
    /// # Errors
    /// If no type key is present, the type is unknown, a required key is missing or an array
    /// has the wrong shape, or the data do not form a valid series.
    pub fn from_npz_arrays(arrays: &[(String, NpyArray)], path: &Path) -> Result<Self> {
        let file = File { arrays, path };
        let type_name = file
            .flag("type_")
            .ok_or_else(|| TimeSeriesError::NotATimeSeries {
                path: path.to_path_buf(),
                keys: arrays.iter().map(|(k, _)| k.clone()).collect(),
            })?;
        let wrap = |source: TimeSeriesError| TimeSeriesError::InvalidFile {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        match type_name {
            CONTINUOUS => {
                let times = file.vector_f64("times")?;
                let samples = file.samples()?;
                if samples.nrows() != times.len() {
                    return Err(file.bad(
                        "samples",
                        format!("has {} rows for {} times", samples.nrows(), times.len()),
                    ));
                }
                let interp = match file.flag("interp_kind_") {
                    Some(kind) => kind.parse::<Interp>().map_err(|e| wrap(e.into()))?,
                    None => Interp::Linear,
                };
                let t_start = file.scalar_f64("t_start")?;
                let t_stop = file.scalar_f64("t_stop")?;
                let ts = TsContinuous::new(times, samples)
                    .and_then(|ts| ts.with_limits(t_start, t_stop))
                    .map_err(wrap)?
                    .with_periodic(file.scalar_bool("periodic")?)
                    .with_name(file.flag("name_").unwrap_or("unnamed"))
                    .with_interp(interp);
                Ok(TimeSeries::Continuous(ts))
            }
            EVENT => {
                let times = file.vector_f64("times")?;
                let channels = file.channels()?;
                let t_start = file.scalar_f64("t_start")?;
                let t_stop = file.scalar_f64("t_stop")?;
                let mut ts = TsEvent::new(times, channels, t_stop)
                    .and_then(|ts| ts.with_t_start(t_start))
                    .map_err(wrap)?;
                if file.get("num_channels").is_some() {
                    let n = file.scalar_f64("num_channels")?;
                    if !(n >= 0.0 && n.fract() == 0.0) {
                        return Err(file.bad("num_channels", format!("{n} is not a channel count")));
                    }
                    ts.set_num_channels(n as usize).map_err(wrap)?;
                }
                let ts = ts
                    .with_periodic(file.scalar_bool("periodic")?)
                    .with_name(file.flag("name_").unwrap_or("unnamed"));
                Ok(TimeSeries::Event(ts))
            }
            other => Err(TimeSeriesError::UnknownType {
                path: path.to_path_buf(),
                found: other.to_string(),
            }),
        }
    }
}

impl From<TsContinuous> for TimeSeries {
    fn from(ts: TsContinuous) -> Self {
        TimeSeries::Continuous(ts)
    }
}

impl From<TsEvent> for TimeSeries {
    fn from(ts: TsEvent) -> Self {
        TimeSeries::Event(ts)
    }
}

/// Loads a time series of either kind from a Rockpool `.npz` file (Rockpool's
/// `load_ts_from_file`), dispatching on its `type_…` key.
///
/// # Errors
/// If the file cannot be read, is not a time series ([`NotATimeSeries`]), names an unknown
/// type, misses a key or holds invalid data.
///
/// [`NotATimeSeries`]: TimeSeriesError::NotATimeSeries
pub fn load_timeseries(path: impl AsRef<Path>) -> Result<TimeSeries> {
    let path = path.as_ref();
    let arrays = read_npz(path)?;
    TimeSeries::from_npz_arrays(&arrays, path)
}

const CONTINUOUS: &str = "TSContinuous";
const EVENT: &str = "TSEvent";

impl TsContinuous {
    /// The arrays Rockpool's `to_dict()` gives, in its key order: `times`, `samples`,
    /// `t_start`, `t_stop`, `interp_kind_<kind>`, `periodic`, `name_<name>`,
    /// `type_TSContinuous`.
    pub fn to_npz_arrays(&self) -> Vec<(String, NpyArray)> {
        vec![
            (
                "times".into(),
                NpyArray::from(ndarray::arr1(self.times()).into_dyn()),
            ),
            (
                "samples".into(),
                NpyArray::from(self.samples().clone().into_dyn()),
            ),
            ("t_start".into(), scalar(self.t_start())),
            ("t_stop".into(), scalar(self.t_stop())),
            (format!("interp_kind_{}", self.interp()), flag()),
            (
                "periodic".into(),
                NpyArray::from(ndarray::arr0(self.periodic()).into_dyn()),
            ),
            (format!("name_{}", self.name()), flag()),
            (format!("type_{CONTINUOUS}"), flag()),
        ]
    }

    /// Saves the series in Rockpool's `.npz` layout ([`TimeSeries`] lists the keys; readable
    /// by Rockpool's `TimeSeries.load`), writing atomically. As `np.savez`, `.npz` is appended
    /// to a path that does not end in it; the path written is returned.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        save_arrays(path.as_ref(), &self.to_npz_arrays())
    }

    /// Loads a continuous series saved by Rockpool or by [`save`](Self::save).
    ///
    /// # Errors
    /// [`WrongType`](TimeSeriesError::WrongType) if the file holds an event series, else as
    /// [`load_timeseries`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        match load_timeseries(path.as_ref())? {
            TimeSeries::Continuous(ts) => Ok(ts),
            other => Err(TimeSeriesError::WrongType {
                path: path.as_ref().to_path_buf(),
                expected: CONTINUOUS,
                found: other.type_name().to_string(),
            }),
        }
    }
}

impl TsEvent {
    /// The arrays Rockpool's `to_dict()` gives, in its key order: `times`, `channels`
    /// (`int64`), `t_start`, `t_stop`, `periodic`, `num_channels`, `name_<name>`,
    /// `type_TSEvent`.
    pub fn to_npz_arrays(&self) -> Vec<(String, NpyArray)> {
        let channels: Vec<i64> = self.channels().iter().map(|&c| c as i64).collect();
        vec![
            (
                "times".into(),
                NpyArray::from(ndarray::arr1(self.times()).into_dyn()),
            ),
            (
                "channels".into(),
                NpyArray::from(ndarray::Array1::from(channels).into_dyn()),
            ),
            ("t_start".into(), scalar(self.t_start())),
            ("t_stop".into(), scalar(self.t_stop())),
            (
                "periodic".into(),
                NpyArray::from(ndarray::arr0(self.periodic()).into_dyn()),
            ),
            (
                "num_channels".into(),
                NpyArray::from(ndarray::arr0(self.num_channels() as i64).into_dyn()),
            ),
            (format!("name_{}", self.name()), flag()),
            (format!("type_{EVENT}"), flag()),
        ]
    }

    /// Saves the series in Rockpool's `.npz` layout; see [`TsContinuous::save`].
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        save_arrays(path.as_ref(), &self.to_npz_arrays())
    }

    /// Loads an event series saved by Rockpool or by [`save`](Self::save).
    ///
    /// # Errors
    /// [`WrongType`](TimeSeriesError::WrongType) if the file holds a continuous series, else
    /// as [`load_timeseries`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        match load_timeseries(path.as_ref())? {
            TimeSeries::Event(ts) => Ok(ts),
            other => Err(TimeSeriesError::WrongType {
                path: path.as_ref().to_path_buf(),
                expected: EVENT,
                found: other.type_name().to_string(),
            }),
        }
    }
}

fn scalar(value: f64) -> NpyArray {
    NpyArray::from(ndarray::arr0(value).into_dyn())
}

/// An empty `float64` array: the value of Rockpool's flag keys.
fn flag() -> NpyArray {
    NpyArray::from(ndarray::Array1::<f64>::zeros(0).into_dyn())
}

fn save_arrays(path: &Path, arrays: &[(String, NpyArray)]) -> Result<PathBuf> {
    let path = if path.extension().is_some_and(|e| e == "npz") {
        path.to_path_buf()
    } else {
        let mut name = path.as_os_str().to_owned();
        name.push(".npz");
        PathBuf::from(name)
    };
    write_npz(&path, arrays)?;
    Ok(path)
}

/// The arrays of one file, with typed look-ups that name the file in errors.
struct File<'a> {
    arrays: &'a [(String, NpyArray)],
    path: &'a Path,
}

impl File<'_> {
    fn get(&self, key: &str) -> Option<&NpyArray> {
        self.arrays.iter().find(|(k, _)| k == key).map(|(_, a)| a)
    }

    fn require(&self, key: &'static str) -> Result<&NpyArray> {
        self.get(key).ok_or_else(|| TimeSeriesError::MissingKey {
            path: self.path.to_path_buf(),
            key,
        })
    }

    /// The rest of the first key starting with `prefix` (flag keys like `name_<name>`).
    fn flag(&self, prefix: &str) -> Option<&str> {
        self.arrays.iter().find_map(|(k, _)| k.strip_prefix(prefix))
    }

    fn bad(&self, key: &str, problem: String) -> TimeSeriesError {
        TimeSeriesError::BadArray {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            problem,
        }
    }

    fn scalar_f64(&self, key: &'static str) -> Result<f64> {
        let array = self.require(key)?;
        if array.len() != 1 {
            return Err(self.bad(
                key,
                format!("expected a single number, found shape {:?}", array.shape()),
            ));
        }
        Ok(array.to_f64().iter().copied().next().unwrap_or(f64::NAN))
    }

    fn scalar_bool(&self, key: &'static str) -> Result<bool> {
        Ok(self.scalar_f64(key)? != 0.0)
    }

    fn vector_f64(&self, key: &'static str) -> Result<Vec<f64>> {
        let array = self.require(key)?;
        let values = array.to_f64().into_dimensionality::<Ix1>().map_err(|_| {
            self.bad(
                key,
                format!("expected a 1-D array, found shape {:?}", array.shape()),
            )
        })?;
        Ok(values.to_vec())
    }

    fn samples(&self) -> Result<Array2<f64>> {
        let array = self.require("samples")?;
        let values = array.to_f64();
        match values.ndim() {
            2 => Ok(values.into_dimensionality::<Ix2>().expect("checked 2-D")),
            1 => {
                let n = values.len();
                Ok(values
                    .into_shape_with_order((n, 1))
                    .expect("1-D array reshapes to one column"))
            }
            _ => Err(self.bad(
                "samples",
                format!("expected shape (T, C), found {:?}", array.shape()),
            )),
        }
    }

    fn channels(&self) -> Result<Vec<usize>> {
        let array = self.require("channels")?;
        let values = self.vector_f64("channels")?;
        values
            .into_iter()
            .map(|c| {
                if c >= 0.0 && c.fract() == 0.0 && c <= u32::MAX as f64 {
                    Ok(c as usize)
                } else {
                    Err(self.bad(
                        "channels",
                        format!("{c} is not a channel index (dtype {})", array.dtype_str()),
                    ))
                }
            })
            .collect()
    }
}
