//! N-MNIST: MNIST digits recorded by an ATIS camera on a moving platform.
//!
//! # Layout
//!
//! `<root>/Train/<digit>/<id>.bin` and `<root>/Test/<digit>/<id>.bin` (as unzipped from the
//! published `train.zip`/`test.zip`); the label is the digit folder's name (0–9). Samples are
//! indexed in the order of their paths, sorted, so an index names the same file on every
//! machine.
//!
//! # Records
//!
//! Each event is 5 bytes `b0 … b4`:
//!
//! - `x = b0`, `y = b1` (pixels, `< 34`),
//! - polarity `p = b2 >> 7` (bit 7 of `b2`),
//! - timestamp `((b2 & 0x7F) << 16) | (b3 << 8) | b4` in microseconds (23 bits).
//!
//! A record with `y == 240` is a timestamp-overflow marker, not an event: it is dropped, and
//! 2^13 µs (8.192 ms) is added to the timestamps of every later record, once per marker. That is
//! what Tonic's reader (and the reader published with the dataset) does; a wrap of the 23-bit
//! counter would call for 2^23 µs, but real samples last about 300 ms and never reach it.
//! Times are returned in seconds (µs / 10^6).
//!
//! Tonic's `first_saccade_only` option (events before 100 ms) is the transform
//! `crop_time` with `max = 0.1`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{EventError, Location, Result, check_size};
use crate::stream::{EventDataset, EventStream, SensorSize, TimeOrder, check_index};

/// Bytes per N-MNIST record.
pub const NMNIST_RECORD_BYTES: usize = 5;
/// The `y` value of a timestamp-overflow record.
pub const NMNIST_OVERFLOW_Y: u8 = 240;
/// Microseconds added to later timestamps per overflow record.
pub const NMNIST_OVERFLOW_US: u64 = 1 << 13;

/// Which split of N-MNIST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// `Train/` (60 000 samples).
    Train,
    /// `Test/` (10 000 samples).
    Test,
}

impl Split {
    /// The split's folder name: `Train` or `Test`.
    pub fn folder(self) -> &'static str {
        match self {
            Split::Train => "Train",
            Split::Test => "Test",
        }
    }
}

/// An N-MNIST split: a folder of `<digit>/<id>.bin` files, one sample per file.
///
/// Events: `x`, `y` < 34, `p` ∈ {0, 1}, `t` in seconds.
#[doc(alias = "NMNIST")]
#[derive(Debug, Clone)]
pub struct NmnistDataset {
    dir: PathBuf,
    files: Vec<(PathBuf, usize)>,
    order: TimeOrder,
}

impl NmnistDataset {
    /// Classes (digits 0–9).
    pub const CLASSES: usize = 10;

    /// Opens `<root>/Train` or `<root>/Test`.
    pub fn open_split(root: impl AsRef<Path>, split: Split) -> Result<Self> {
        Self::open(root.as_ref().join(split.folder()))
    }

    /// Opens a split folder holding `<digit>/<id>.bin` (lists the files; reads none). Folders
    /// whose name is not a digit 0–9, and files not ending in `.bin`, are refused.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let mut files = Vec::new();
        for class_dir in list_dir(&dir)? {
            if !class_dir.is_dir() {
                continue;
            }
            let label = class_dir
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&d| d < Self::CLASSES)
                .ok_or_else(|| {
                    EventError::format(
                        &Location::new(&class_dir, "label"),
                        "class folders must be named by a digit 0–9",
                    )
                })?;
            for file in list_dir(&class_dir)? {
                if file.extension().and_then(|e| e.to_str()) == Some("bin") {
                    files.push((file, label));
                }
            }
        }
        files.sort();
        Ok(NmnistDataset {
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
}

impl EventDataset for NmnistDataset {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn get(&self, index: usize) -> Result<(EventStream, usize)> {
        check_index(index, self.files.len())?;
        let (path, label) = &self.files[index];
        let at = Location::new(path, "").sample(index);
        let len = fs::metadata(path)
            .map_err(|e| EventError::io(path, e))?
            .len();
        check_size(&at.field("records"), len)?;
        let bytes = fs::read(path).map_err(|e| EventError::io(path, e))?;
        let mut stream = decode_nmnist(&bytes, &at)?;
        stream.validate(SensorSize::NMNIST, self.order, &at)?;
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
        SensorSize::NMNIST
    }

    fn name(&self) -> &str {
        "nmnist"
    }
}

/// Decodes the records of one N-MNIST file (see the module docs); `at` names the file and
/// sample in errors. Coordinates are not checked here ([`EventStream::validate`] does).
pub fn decode_nmnist(bytes: &[u8], at: &Location) -> Result<EventStream> {
    if !bytes.len().is_multiple_of(NMNIST_RECORD_BYTES) {
        return Err(EventError::format(
            &at.field("records"),
            format!(
                "{} bytes is not a whole number of {NMNIST_RECORD_BYTES}-byte records \
                 (truncated file?)",
                bytes.len()
            ),
        ));
    }
    let mut stream = EventStream::with_capacity(bytes.len() / NMNIST_RECORD_BYTES);
    let mut offset_us: u64 = 0;
    for r in bytes.chunks_exact(NMNIST_RECORD_BYTES) {
        if r[1] == NMNIST_OVERFLOW_Y {
            offset_us += NMNIST_OVERFLOW_US;
            continue;
        }
        let ts = ((r[2] as u64 & 0x7F) << 16) | ((r[3] as u64) << 8) | r[4] as u64;
        stream.push(
            (ts + offset_us) as f64 / 1e6,
            r[0] as u16,
            r[1] as u16,
            r[2] >> 7,
        );
    }
    Ok(stream)
}

/// The entries of a folder, sorted.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| EventError::io(dir, e))? {
        out.push(entry.map_err(|e| EventError::io(dir, e))?.path());
    }
    out.sort();
    Ok(out)
}
