//! DVS Gesture (IBM), in the preprocessed layout Tonic downloads.
//!
//! # Layout
//!
//! A split folder (`ibmGestureTrain/`, `ibmGestureTest/`) of recordings
//! `user<NN>_<lighting>/` (e.g. `user01_fluorescent`), each holding one file per gesture,
//! `<label>.npy` with label 0–10 (11 classes). Samples are indexed in the order of their paths,
//! sorted.
//!
//! # Arrays
//!
//! Each `.npy` is an `[N, 4]` array with columns `x`, `y`, `p`, `t`: pixel column and row
//! (`< 128`), polarity (0 or 1), time in **milliseconds**. Any numeric dtype the file declares is
//! accepted (float32, float64, integers); `x`, `y`, `p` must be whole numbers. Times are
//! returned in seconds (ms / 10^3). The size of the array is checked against the file length and
//! [`rockpool_io::max_array_bytes`] before it is read.
//!
//! The original IBM release (AEDAT 3.1 with CSV label files) is a different format, not read
//! here.

use std::path::{Path, PathBuf};

use rockpool_io::NpyArray;

use crate::error::{EventError, Location, Result};
use crate::nmnist::list_dir;
use crate::stream::{EventDataset, EventStream, SensorSize, TimeOrder, check_index};

/// A DVS Gesture split folder in Tonic's preprocessed layout (see the module docs).
///
/// Events: `x`, `y` < 128, `p` ∈ {0, 1}, `t` in seconds.
#[doc(alias = "DVSGesture")]
#[derive(Debug, Clone)]
pub struct DvsGestureDataset {
    dir: PathBuf,
    files: Vec<(PathBuf, usize)>,
    order: TimeOrder,
}

impl DvsGestureDataset {
    /// Classes (11 gestures).
    pub const CLASSES: usize = 11;

    /// Opens a split folder (lists the files; reads none). Every sub-folder is a recording;
    /// files in it ending in `.npy` are samples, and their stem must be a label 0–10.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let mut files = Vec::new();
        for rec in list_dir(&dir)? {
            if !rec.is_dir() {
                continue;
            }
            for file in list_dir(&rec)? {
                if file.extension().and_then(|e| e.to_str()) != Some("npy") {
                    continue;
                }
                let label = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse::<usize>().ok())
                    .filter(|&l| l < Self::CLASSES)
                    .ok_or_else(|| {
                        EventError::format(
                            &Location::new(&file, "label"),
                            format!(
                                "the file name must be <label>.npy with a label in 0..{}",
                                Self::CLASSES
                            ),
                        )
                    })?;
                files.push((file, label));
            }
        }
        files.sort();
        Ok(DvsGestureDataset {
            dir,
            files,
            order: TimeOrder::Require,
        })
    }

    /// Sets what [`get`](EventDataset::get) does with unsorted times (default: refuse).
    pub fn with_time_order(mut self, order: TimeOrder) -> Self {
        self.order = order;
        self
    }

    /// The split folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of sample `index`.
    pub fn file(&self, index: usize) -> Result<&Path> {
        check_index(index, self.files.len())?;
        Ok(&self.files[index].0)
    }

    /// The recording (folder name, e.g. `user01_fluorescent`) of sample `index`, for splits by
    /// user.
    pub fn recording(&self, index: usize) -> Result<String> {
        let file = self.file(index)?;
        Ok(file
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default())
    }
}

impl EventDataset for DvsGestureDataset {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn get(&self, index: usize) -> Result<(EventStream, usize)> {
        check_index(index, self.files.len())?;
        let (path, label) = &self.files[index];
        let at = Location::new(path, "").sample(index);
        let array = rockpool_io::read_npy(path).map_err(|source| EventError::Array {
            at: at.field("array"),
            source: Box::new(source),
        })?;
        let mut stream = decode_xypt(&array, 1e3, &at)?;
        stream.validate(SensorSize::DVS_GESTURE, self.order, &at)?;
        Ok((stream, *label))
    }

    fn label(&self, index: usize) -> Result<usize> {
        check_index(index, self.files.len())?;
        Ok(self.files[index].1)
    }

    fn num_classes(&self) -> usize {
        Self::CLASSES
    }

    fn sensor(&self) -> SensorSize {
        SensorSize::DVS_GESTURE
    }

    fn name(&self) -> &str {
        "dvs_gesture"
    }
}

/// Decodes an `[N, 4]` array of columns `x, y, p, t` with `t` in units of `1 / per_second`
/// seconds (1e3 for milliseconds). `x`, `y`, `p` must be whole numbers `< 2^16` (`p < 256`);
/// sensor ranges are checked later by [`EventStream::validate`].
pub fn decode_xypt(array: &NpyArray, per_second: f64, at: &Location) -> Result<EventStream> {
    if matches!(array, NpyArray::Bool(_)) {
        return Err(EventError::format(
            &at.field("array"),
            "bool array; expected numbers",
        ));
    }
    let shape = array.shape();
    if shape.len() != 2 || shape[1] != 4 {
        return Err(EventError::format(
            &at.field("array"),
            format!("shape {shape:?}, expected [N, 4] with columns x, y, p, t"),
        ));
    }
    let a = array.to_f64();
    let n = shape[0];
    let mut stream = EventStream::with_capacity(n);
    for i in 0..n {
        let x = whole(a[[i, 0]], u16::MAX as f64, &at.field("x"), i)? as u16;
        let y = whole(a[[i, 1]], u16::MAX as f64, &at.field("y"), i)? as u16;
        let p = whole(a[[i, 2]], u8::MAX as f64, &at.field("p"), i)? as u8;
        stream.push(a[[i, 3]] / per_second, x, y, p);
    }
    Ok(stream)
}

/// `v` as a whole number in `0..=max`, or an error naming `at` and event `event`.
pub(crate) fn whole(v: f64, max: f64, at: &Location, event: usize) -> Result<f64> {
    if v.fract() != 0.0 || !(0.0..=max).contains(&v) {
        return Err(EventError::OutOfRange {
            at: at.clone(),
            event,
            value: v.to_string(),
            allowed: format!("must be a whole number in 0..={max}"),
        });
    }
    Ok(v)
}
