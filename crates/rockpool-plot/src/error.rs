//! [`PlotError`]: everything that can go wrong producing a plot.

use std::path::PathBuf;

/// `Result` with [`PlotError`].
pub type Result<T, E = PlotError> = std::result::Result<T, E>;

/// Why a plot could not be produced. Messages start with the output path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The file name does not end in `.png` or `.svg`.
    #[error("{}: unsupported plot format (the file name must end in .png or .svg)", .path.display())]
    UnsupportedFormat {
        /// The requested output path.
        path: PathBuf,
    },
    /// There is nothing to plot and no axis can be defined (see the crate docs).
    #[error("{}: nothing to plot: {what}", .path.display())]
    Empty {
        /// The requested output path.
        path: PathBuf,
        /// What is missing, e.g. "no samples".
        what: &'static str,
    },
    /// The inputs are inconsistent (lengths differ, a channel index is out of range, …).
    #[error("{}: {problem}", .path.display())]
    InvalidInput {
        /// The requested output path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The plotting library failed while drawing.
    #[error("{}: drawing failed: {message}", .path.display())]
    Draw {
        /// The requested output path.
        path: PathBuf,
        /// The plotting library's message.
        message: String,
    },
    /// PNG encoding failed.
    #[error("{}: PNG encoding failed: {source}", .path.display())]
    Encode {
        /// The requested output path.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: png::EncodingError,
    },
    /// Writing the file failed (the message names the path).
    #[error(transparent)]
    Write(#[from] rockpool_io::IoError),
}
