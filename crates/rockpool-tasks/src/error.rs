//! The one error type of this crate.

use std::path::PathBuf;

/// `Result` with [`TaskError`].
pub type Result<T, E = TaskError> = std::result::Result<T, E>;

/// Everything a user can get wrong when configuring a task, building a dataset from arrays,
/// splitting or batching it, or loading it from a file. Every message names the offending
/// field (or file and key), its value, and what is allowed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// A task configuration field is out of range or inconsistent with another field.
    #[error("{task} task: `{field}` = {value}: {reason}")]
    Config {
        /// The task, e.g. `frozen_noise`.
        task: &'static str,
        /// The configuration field, e.g. `num_classes`.
        field: &'static str,
        /// The value found, printed.
        value: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// An argument of a dataset operation (split fraction, batch size, index, …) is invalid.
    #[error("`{name}` = {value}: {reason}")]
    Argument {
        /// The argument, e.g. `batch_size`.
        name: &'static str,
        /// The value found, printed.
        value: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// The arrays given to [`Dataset::new`](crate::Dataset::new) do not make a dataset.
    #[error("invalid dataset: {0}")]
    Dataset(String),
    /// An npz dataset file lacks an entry, or an entry has the wrong shape or bad values.
    #[error("{}: {}{message}", .path.display(), key_prefix(.key.as_deref()))]
    File {
        /// The npz file.
        path: PathBuf,
        /// The archive key at fault (`x`, `y`, `dt`), when one is.
        key: Option<String>,
        /// What is wrong and what is expected.
        message: String,
    },
    /// Reading or writing the npz file itself failed.
    #[error(transparent)]
    Io(#[from] rockpool_io::IoError),
}

fn key_prefix(key: Option<&str>) -> String {
    key.map(|k| format!("key '{k}': ")).unwrap_or_default()
}
