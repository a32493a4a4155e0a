//! The one error type of this crate.

use std::fmt;
use std::path::{Path, PathBuf};

/// `Result` with [`EventError`].
pub type Result<T, E = EventError> = std::result::Result<T, E>;

/// Where in a dataset a problem sits: the file, the sample (when one is concerned) and the
/// field (an HDF5 dataset path, an `.npz` key, a column or a byte-record field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file read (a folder for folder-based datasets that lack a file).
    pub path: PathBuf,
    /// The sample's index in the dataset, when the problem concerns one sample.
    pub sample: Option<usize>,
    /// The field, e.g. `spikes/times`, `labels`, `x`, `offsets`.
    pub field: String,
}

impl Location {
    /// A location in `path`, field `field`, no sample.
    pub fn new(path: impl AsRef<Path>, field: impl Into<String>) -> Self {
        Location {
            path: path.as_ref().to_path_buf(),
            sample: None,
            field: field.into(),
        }
    }

    /// The same location for sample `sample`.
    pub fn sample(mut self, sample: usize) -> Self {
        self.sample = Some(sample);
        self
    }

    /// The same file and sample, another field.
    pub fn field(&self, field: impl Into<String>) -> Self {
        Location {
            path: self.path.clone(),
            sample: self.sample,
            field: field.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(sample) = self.sample {
            write!(f, ", sample {sample}")?;
        }
        write!(f, ", field `{}`", self.field)
    }
}

/// Everything that can go wrong reading event datasets or applying transforms.
///
/// Messages about data start with the [`Location`] (file, sample, field), so they can be shown
/// to a user as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The operating system refused a read, write or directory listing.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file's structure is not what the format requires (missing dataset or key, wrong
    /// dtype or shape, truncated record, bad HDF5 internals).
    #[error("{at}: {reason}")]
    Format {
        /// Where.
        at: Location,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A declared size is larger than the limit (see [`rockpool_io::max_array_bytes`]); the
    /// memory was not allocated.
    #[error("{at}: declares {bytes} bytes, over the limit of {limit} bytes (raise it with {var})", var = rockpool_io::MAX_ARRAY_BYTES_VAR)]
    TooLarge {
        /// Where.
        at: Location,
        /// The bytes the file asks for.
        bytes: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A value is outside its allowed range (a coordinate beyond the sensor, a label beyond the
    /// classes, a non-finite or negative time).
    #[error("{at}: event {event}: value {value} is out of range ({allowed})")]
    OutOfRange {
        /// Where.
        at: Location,
        /// The event's index within the sample (for labels: 0).
        event: usize,
        /// The value found, printed.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// Times of a sample are not sorted ascending.
    #[error("{at}: times are not sorted: event {event} at {time} s comes after {previous} s")]
    Unsorted {
        /// Where.
        at: Location,
        /// The first event earlier than its predecessor.
        event: usize,
        /// Its time (s).
        time: f64,
        /// The predecessor's time (s).
        previous: f64,
    },
    /// A sample index is not in `0..len`.
    #[error("sample index {index} is out of range: the dataset has {len} samples")]
    Index {
        /// The index asked for.
        index: usize,
        /// The number of samples.
        len: usize,
    },
    /// A transform's or an argument's parameter is invalid.
    #[error("{transform}: `{field}` = {value}: {reason}")]
    Parameter {
        /// The transform or function, e.g. `time_jitter`.
        transform: &'static str,
        /// The parameter.
        field: &'static str,
        /// The value found, printed.
        value: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// Reading one sample's `.npy` file failed (unreadable, truncated, unsupported dtype, or a
    /// declared size over the limit or beyond the file).
    #[error("{at}: {source}")]
    Array {
        /// Where.
        at: Location,
        /// The `.npy` reader's error (it names the file again).
        #[source]
        source: Box<rockpool_io::IoError>,
    },
    /// Reading or writing a `.npy`/`.npz` file failed (the message names the file and entry).
    #[error(transparent)]
    Npy(Box<rockpool_io::IoError>),
}

impl From<rockpool_io::IoError> for EventError {
    fn from(e: rockpool_io::IoError) -> Self {
        EventError::Npy(Box::new(e))
    }
}

impl EventError {
    /// A [`EventError::Format`] at `at`.
    pub(crate) fn format(at: &Location, reason: impl Into<String>) -> Self {
        EventError::Format {
            at: at.clone(),
            reason: reason.into(),
        }
    }

    /// An [`EventError::Io`] for `path`.
    pub(crate) fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        EventError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// An [`EventError::Parameter`].
    pub(crate) fn parameter(
        transform: &'static str,
        field: &'static str,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        EventError::Parameter {
            transform,
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Refuses `bytes` over the array-size limit before anything is allocated.
pub(crate) fn check_size(at: &Location, bytes: u64) -> Result<()> {
    let limit = rockpool_io::max_array_bytes()?;
    if bytes > limit {
        return Err(EventError::TooLarge {
            at: at.clone(),
            bytes,
            limit,
        });
    }
    Ok(())
}
