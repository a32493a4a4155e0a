//! Error types: [`IoError`] for everything this crate returns, [`FormatError`] for what can be
//! wrong inside one `.npy` stream.

use std::path::{Path, PathBuf};

/// `Result` with this crate's [`IoError`].
pub type Result<T, E = IoError> = std::result::Result<T, E>;

/// Everything that can go wrong reading, writing or converting arrays.
///
/// Messages start with the file path (and the archive entry, for `.npz` files), so they can be
/// shown to a user as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// The operating system refused a read, write, rename or sync.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid or supported `.npy` array.
    #[error("{}: {source}", location(.path, .entry.as_deref()))]
    Format {
        /// The file being read; empty for in-memory data.
        path: PathBuf,
        /// The archive entry (e.g. `w.npy`), for `.npz` files.
        entry: Option<String>,
        /// What is wrong.
        #[source]
        source: FormatError,
    },
    /// The `.npz` file is not a readable zip archive, or an entry could not be decompressed.
    #[error(
        "{}: not a valid npz (zip) archive: {}",
        location(.path, .entry.as_deref()),
        zip_reason(.source)
    )]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The entry being read, when the problem is inside one.
        entry: Option<String>,
        /// The zip library's description.
        #[source]
        source: zip::result::ZipError,
    },
    /// The same key appears twice in the entries given to `write_npz`.
    #[error("{}: duplicate key '{key}'", .path.display())]
    DuplicateKey {
        /// The archive being written.
        path: PathBuf,
        /// The repeated key.
        key: String,
    },
    /// An element cannot be converted to the requested type without loss.
    #[error("cannot convert {dtype} array to {target}: element {value} is not representable")]
    Conversion {
        /// The source dtype (NumPy descr, e.g. `<f8`).
        dtype: &'static str,
        /// The requested element type (e.g. `i64`).
        target: &'static str,
        /// The offending element, formatted.
        value: String,
    },
    /// The size limit's environment variable (see [`max_array_bytes`](crate::max_array_bytes))
    /// does not hold a whole number of bytes.
    #[error("{variable} = '{value}' is not a whole number of bytes")]
    Limit {
        /// The variable's name.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// An output path names the same file as one of the command's inputs (see
    /// [`check_output_distinct`](crate::check_output_distinct)); writing it would destroy the
    /// input.
    #[error(
        "{output_flag} {} is the same file as {input_flag} {}: refusing to overwrite an input; \
         choose another output path",
        .output.display(),
        .input.display()
    )]
    OutputIsInput {
        /// The flag or field naming the output (e.g. `--out`).
        output_flag: String,
        /// The output path as given.
        output: PathBuf,
        /// The flag or field naming the input (e.g. `--input`).
        input_flag: String,
        /// The input path as given.
        input: PathBuf,
    },
    /// An array does not hold the element type asked for (see `TryFrom<NpyArray>`).
    #[error("expected a {expected} array, found {found}")]
    DtypeMismatch {
        /// The requested dtype (NumPy descr).
        expected: &'static str,
        /// The dtype the array holds (NumPy descr).
        found: &'static str,
    },
}

/// Where a format problem was found: `path`, `path: entry 'name'`, or `<memory>`.
fn location(path: &Path, entry: Option<&str>) -> String {
    let file = if path.as_os_str().is_empty() {
        "<memory>".to_string()
    } else {
        path.display().to_string()
    };
    match entry {
        Some(entry) => format!("{file}: entry '{entry}'"),
        None => file,
    }
}

/// The zip library's description of a problem, with the operating system's or the reader's
/// cause (the library's own message for that case is a bare "i/o error").
fn zip_reason(error: &zip::result::ZipError) -> String {
    use zip::result::ZipError;
    match error {
        ZipError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("the file is truncated ({e})")
        }
        ZipError::Io(e) => format!("read error: {e}"),
        ZipError::InvalidArchive(_) => format!("{error} (truncated or not a zip file)"),
        other => other.to_string(),
    }
}

/// What can be wrong inside one `.npy` stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The stream does not start with `\x93NUMPY`.
    #[error("not an npy file (missing the \\x93NUMPY magic string)")]
    BadMagic,
    /// The format version is not 1.0, 2.0 or 3.0.
    #[error("unsupported npy format version {major}.{minor}")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The stream ends inside the preamble or the header.
    #[error("header is truncated: needs {needed} bytes, file has {available}")]
    TruncatedHeader {
        /// Bytes the header says it occupies (from the start of the stream).
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// The header is not the Python dict literal the format prescribes.
    #[error("malformed header: {0}")]
    BadHeader(String),
    /// The dtype is valid NumPy but not supported here (complex, half, strings, objects,
    /// structured records, …).
    #[error("unsupported dtype '{0}'")]
    UnsupportedDtype(String),
    /// The shape's element count or byte size overflows.
    #[error("shape {0:?} is too large")]
    ShapeOverflow(Vec<usize>),
    /// The header's shape and dtype need more bytes than the size limit allows (see
    /// [`max_array_bytes`](crate::max_array_bytes)); nothing was allocated.
    #[error(
        "shape {shape:?} of {dtype} needs {bytes} bytes, more than the limit of {limit} bytes \
         (set ROCKPOOL_MAX_ARRAY_BYTES to allow larger arrays)"
    )]
    TooLarge {
        /// The header's shape.
        shape: Vec<usize>,
        /// The header's dtype (NumPy descr).
        dtype: &'static str,
        /// Bytes of element data the shape needs.
        bytes: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The system could not provide memory for an array within the size limit.
    #[error("cannot allocate {bytes} bytes for the array: out of memory")]
    OutOfMemory {
        /// Bytes of element data requested.
        bytes: u64,
    },
    /// The arrays of one archive together need more bytes than the size limit allows (see
    /// [`max_array_bytes`](crate::max_array_bytes)); this entry was not read.
    #[error(
        "the archive's arrays need {total} bytes in total up to this entry, more than the limit \
         of {limit} bytes (set ROCKPOOL_MAX_ARRAY_BYTES to allow larger archives)"
    )]
    ArchiveTooLarge {
        /// Bytes of element data of the entries so far, this one included.
        total: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The header length field is larger than any real header.
    #[error("header length {len} bytes is more than the limit of {limit} bytes")]
    HeaderTooLarge {
        /// The length the preamble states.
        len: u64,
        /// The largest header accepted.
        limit: u64,
    },
    /// A zip entry declares more uncompressed bytes than the size limit allows; it was not
    /// inflated.
    #[error(
        "declared uncompressed size of {declared} bytes is more than the limit of {limit} bytes \
         (set ROCKPOOL_MAX_ARRAY_BYTES to allow larger arrays)"
    )]
    EntryTooLarge {
        /// The uncompressed size in the archive's directory.
        declared: u64,
        /// The limit in force (array limit plus the largest header).
        limit: u64,
    },
    /// A zip entry inflates to more bytes than its declared uncompressed size (a corrupt
    /// archive or a decompression bomb); reading stopped at the declared size.
    #[error(
        "data inflates past the entry's declared size of {declared} bytes \
         (corrupt archive or decompression bomb)"
    )]
    LongerThanDeclared {
        /// The uncompressed size in the archive's directory.
        declared: u64,
    },
    /// A zip entry's CRC-32 does not match its data.
    #[error("CRC-32 checksum mismatch: the entry's data is corrupt")]
    CrcMismatch,
    /// A zip entry's compressed data cannot be decompressed.
    #[error("compressed data is corrupt: {0}")]
    CorruptData(String),
    /// Fewer data bytes than the header's shape and dtype require.
    #[error("data is truncated: header says {expected} elements, found {found}")]
    TruncatedData {
        /// Elements the header's shape requires.
        expected: usize,
        /// Whole elements present.
        found: usize,
    },
}

impl FormatError {
    /// Attaches a file path (and optional archive entry) to this problem.
    pub(crate) fn at(self, path: &Path, entry: Option<&str>) -> IoError {
        IoError::Format {
            path: path.to_path_buf(),
            entry: entry.map(str::to_string),
            source: self,
        }
    }
}

/// Wraps an `std::io::Error` with the path it concerns.
pub(crate) fn io_error(path: &Path, source: std::io::Error) -> IoError {
    IoError::Io {
        path: path.to_path_buf(),
        source,
    }
}
