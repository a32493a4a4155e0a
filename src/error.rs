//! The crate's error type: everything a user can get wrong (shapes, values, files, configs)
//! comes back as a [`Error`] whose message names the value, the limit and, where possible, the fix.

use std::path::{Path, PathBuf};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors returned by the rockpool library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tensor or array had the wrong shape.
    #[error("shape mismatch for {what}: expected {expected}, got {got}")]
    Shape {
        /// What was being checked (e.g. "input of Rate '0_Rate'").
        what: String,
        /// The shape that was expected, written like numpy (`(4,)`, `(B, T, 3)`).
        expected: String,
        /// The shape that was found.
        got: String,
    },
    /// A value was out of range or otherwise invalid.
    #[error("invalid value for {what}: {message}")]
    Value {
        /// The name of the value.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// An attribute path did not name anything in the module.
    #[error("{module} has no attribute '{name}'{hint}")]
    UnknownAttribute {
        /// Full name of the module searched.
        module: String,
        /// The attribute name that was not found.
        name: String,
        /// Extra help, e.g. the list of known names.
        hint: String,
    },
    /// A network, training or deployment configuration is wrong.
    #[error("{file}: {message}")]
    Config {
        /// The file (or `"<string>"`) the configuration came from.
        file: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    File {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// An `.npy`/`.npz` file could not be read or written.
    #[error(transparent)]
    Npy(#[from] rockpool_io::IoError),
    /// A time-series operation failed.
    #[error(transparent)]
    TimeSeries(#[from] rockpool_timeseries::TimeSeriesError),
    /// A plot could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] rockpool_plot::PlotError),
    /// A task or dataset was misconfigured, or could not be split, batched or loaded.
    #[error(transparent)]
    Task(#[from] rockpool_tasks::TaskError),
    /// Something went wrong inside the tensor backend (device initialisation, data conversion).
    #[error("backend: {0}")]
    Backend(String),
}

impl Error {
    /// Builds an [`Error::Value`].
    pub fn value(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Value {
            what: what.into(),
            message: message.into(),
        }
    }

    /// Builds an [`Error::Shape`] from two shapes written as slices.
    pub fn shape(what: impl Into<String>, expected: impl Into<String>, got: &[usize]) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.into(),
            got: fmt_shape(got),
        }
    }

    /// Builds an [`Error::Config`].
    pub fn config(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// Reads a whole text file (a configuration, a run's state): [`rockpool_io::read_text`] with
/// the failure as an [`Error::File`] naming the path.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    rockpool_io::read_text(path).map_err(file_error)
}

/// Reads a whole file as bytes: [`rockpool_io::read_bytes`] with the failure as an
/// [`Error::File`] naming the path.
pub fn read_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    rockpool_io::read_bytes(path).map_err(file_error)
}

/// An operating-system failure of `rockpool_io` as this crate's [`Error::File`].
fn file_error(e: rockpool_io::IoError) -> Error {
    match e {
        rockpool_io::IoError::Io { path, source } => Error::File { path, source },
        other => Error::Npy(other),
    }
}

/// Formats a shape the way numpy and Rockpool print it: `(4,)`, `(2, 3)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
