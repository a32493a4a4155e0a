//! The one error type of this crate.

use crate::validate::ValidationReport;

/// `Result` with [`XyloError`].
pub type Result<T, E = XyloError> = std::result::Result<T, E>;

/// Everything a user can get wrong when quantising, validating, configuring or simulating a
/// Xylo network. Every message names the offending field, its value and the limit or the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XyloError {
    /// An array or list has the wrong shape for the network it belongs to.
    #[error("`{field}` has shape {got:?}, expected {expected}")]
    Shape {
        /// The field, e.g. `weights_rec`.
        field: String,
        /// The shape found.
        got: Vec<usize>,
        /// The shape required, in words (e.g. `(Nhid, Nhid, Nsyn) = (5, 5, 2)`).
        expected: String,
    },
    /// A value that is not acceptable at all (not a chip limit: a non-finite float, an
    /// out-of-range index, an unsupported argument).
    #[error("`{field}` = {value}: {reason}")]
    Value {
        /// The field or argument.
        field: String,
        /// The value, printed.
        value: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// One or more values or sizes break the limits of the chip or of the simulator; the
    /// report lists every problem found.
    #[error("{0}")]
    Invalid(ValidationReport),
    /// A configuration file could not be read or written.
    #[error(transparent)]
    File(#[from] rockpool_io::IoError),
    /// A configuration is not valid JSON in the expected (samna / cereal) layout.
    #[error("{location}: not a {family} configuration in samna's JSON layout: {source}")]
    Json {
        /// The file, or `<string>` for in-memory text.
        location: String,
        /// The family whose layout was expected.
        family: String,
        /// serde_json's description, with line and column.
        #[source]
        source: serde_json::Error,
    },
}

impl XyloError {
    /// A [`XyloError::Value`] from anything printable.
    pub(crate) fn value(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Self::Value {
            field: field.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// A [`XyloError::Shape`].
    pub(crate) fn shape(
        field: impl Into<String>,
        got: &[usize],
        expected: impl Into<String>,
    ) -> Self {
        Self::Shape {
            field: field.into(),
            got: got.to_vec(),
            expected: expected.into(),
        }
    }
}
