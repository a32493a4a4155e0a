//! What a progress callback is told.

use std::path::Path;

/// The phase a [`Progress`] report belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Bytes arriving from the network into `<file>.part`.
    Download,
    /// Bytes of a finished file being hashed.
    Verify,
    /// Bytes being written out of an archive.
    Extract,
}

/// One progress report. Reports arrive often (every buffer), so a callback that draws should
/// throttle itself.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The phase.
    pub stage: Stage,
    /// The file being downloaded, hashed or extracted.
    pub file: &'a Path,
    /// Bytes done so far in this phase, in bytes. For [`Stage::Download`] this counts the bytes
    /// already in the partial file, so a resumed download starts above zero.
    pub done: u64,
    /// The total in bytes, when known (from `Content-Length`/`Content-Range`, the file size,
    /// or the sizes an archive declares).
    pub total: Option<u64>,
}
