//! One error type for downloads, checks and extraction: each message names the file or host,
//! what went wrong and what to do next.

use std::path::PathBuf;

/// Everything that can go wrong while fetching a dataset.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached at all: the name did not resolve, the connection was
    /// refused, no route, connect timeout. Any partial file is kept for a later resume.
    #[error("cannot reach {host}: {cause} (offline?){}", kept_note(*bytes, part))]
    Offline {
        /// Host name (and port, when one was given) of the URL.
        host: String,
        /// What the network stack said.
        cause: String,
        /// Bytes already in the partial file (0: none).
        bytes: u64,
        /// The partial file (`<dest>.part`).
        part: PathBuf,
    },
    /// The connection dropped during the transfer more often than the retries allow.
    #[error(
        "download of {url} was interrupted ({cause}) after {attempts} attempts{}",
        kept_note(*bytes, part)
    )]
    Interrupted {
        /// The URL being fetched.
        url: String,
        /// What ended the last attempt.
        cause: String,
        /// How many attempts were made.
        attempts: u32,
        /// Bytes already in the partial file.
        bytes: u64,
        /// The partial file (`<dest>.part`).
        part: PathBuf,
    },
    /// The server answered with a status that is not a success and is not worth retrying
    /// (or still failed after the retries).
    #[error("{url} answered HTTP {status}{reason}")]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// `": reason phrase"`, or empty.
        reason: String,
    },
    /// Any other failure of the HTTP client (TLS, malformed response, bad URL).
    #[error("fetching {url} failed: {cause}")]
    Client {
        /// The URL requested.
        url: String,
        /// What the client said.
        cause: String,
    },
    /// The downloaded file does not have the published hash. The file has been deleted.
    #[error(
        "{} has {algorithm} {actual}, but the published {algorithm} is {expected}; \
         the file was deleted: run again to download it afresh",
        file.display()
    )]
    ChecksumMismatch {
        /// The file that was checked (already removed).
        file: PathBuf,
        /// `"MD5"` or `"SHA-256"`.
        algorithm: &'static str,
        /// The published hash (lower-case hex).
        expected: String,
        /// The hash of the bytes received (lower-case hex).
        actual: String,
    },
    /// A hash given by the caller is not hex of the right length.
    #[error("{algorithm} hash {value:?} is not {digits} hexadecimal digits")]
    BadChecksum {
        /// `"MD5"` or `"SHA-256"`.
        algorithm: &'static str,
        /// The text given.
        value: String,
        /// The number of hex digits the algorithm needs.
        digits: usize,
    },
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`"cannot create"`, `"cannot read"`, …).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An archive entry would land outside the extraction folder, or is of a kind that is not
    /// extracted (links, devices).
    #[error("refusing entry {entry:?} of {}: {reason}", archive.display())]
    UnsafeEntry {
        /// The archive.
        archive: PathBuf,
        /// The entry's name as stored.
        entry: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The archive declares more data or more entries than the limits allow.
    #[error("{} declares {what} of {size}, over the limit of {limit}", archive.display())]
    TooLarge {
        /// The archive.
        archive: PathBuf,
        /// `"an entry"`, `"a total"` or `"an entry count"`.
        what: &'static str,
        /// The declared (or reached) size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The archive is damaged or not of the kind its name says.
    #[error("cannot read archive {}: {cause}", archive.display())]
    Archive {
        /// The archive.
        archive: PathBuf,
        /// What the decoder said.
        cause: String,
    },
    /// The archive's file name does not say how to extract it.
    #[error(
        "cannot tell how to extract {}: expected a name ending in .zip, .tar.gz, .tgz or .gz",
        path.display()
    )]
    UnknownArchive {
        /// The file.
        path: PathBuf,
    },
    /// The extracted archive lacks a path the dataset's readers open.
    #[error("{} lacks {expected:?} after extraction; the archive's layout is not the one expected", archive.display())]
    MissingEntry {
        /// The archive.
        archive: PathBuf,
        /// The top-level name expected.
        expected: String,
    },
    /// No dataset has that name.
    #[error("no dataset is named {name:?}; known datasets: {known}")]
    UnknownDataset {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
}

/// The sentence about a kept partial file that ends network errors.
fn kept_note(bytes: u64, part: &std::path::Path) -> String {
    if bytes == 0 {
        String::new()
    } else {
        format!(
            "; the {bytes} bytes fetched so far are kept in {} and the next run resumes from there",
            part.display()
        )
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
