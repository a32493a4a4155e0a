//! Reading whole files, with the path in every error and a bound on the size: the one way the
//! workspace reads a configuration, a state file or a raw array file.

use std::io::Read;
use std::path::Path;

use crate::error::{Result, io_error};

/// Largest text file [`read_text`] reads: 256 MiB (configurations and state files are far
/// smaller; the limit keeps `/dev/zero` or a wrong path from exhausting memory).
pub const MAX_TEXT_BYTES: u64 = 256 << 20;

/// Reads a whole file as UTF-8 text, at most [`MAX_TEXT_BYTES`].
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) naming `path` if the file cannot be opened or read, is
/// larger than the limit, or is not valid UTF-8.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let bytes = read_limited(path, MAX_TEXT_BYTES)?;
    String::from_utf8(bytes).map_err(|_| {
        io_error(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ),
        )
    })
}

/// Reads a whole file as bytes, at most [`max_array_bytes`](crate::max_array_bytes).
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) naming `path` if the file cannot be opened or read, or
/// is larger than the limit; [`IoError::Limit`](crate::IoError::Limit) if the limit's
/// environment variable is malformed.
pub fn read_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    read_limited(path, crate::limit::max_array_bytes()?)
}

/// Reads at most `limit` bytes, refusing a longer file (or stream) before reading past it; a
/// regular file's length is checked before anything is read.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let too_large = |what: String| {
        io_error(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{what} the limit of {limit} bytes"),
            ),
        )
    };
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let known = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len());
    if let Some(len) = known
        && len > limit
    {
        return Err(too_large(format!("file is {len} bytes, more than")));
    }
    let mut bytes = Vec::new();
    let capacity = usize::try_from(known.unwrap_or(0)).unwrap_or(0);
    bytes.try_reserve_exact(capacity).map_err(|e| {
        io_error(
            path,
            std::io::Error::new(std::io::ErrorKind::OutOfMemory, e),
        )
    })?;
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large("file is longer than".to_string()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file() {
        let missing = std::env::temp_dir().join("rockpool-io-no-such-file.txt");
        for err in [
            read_text(&missing).unwrap_err(),
            read_bytes(&missing).unwrap_err(),
        ] {
            assert!(
                matches!(err, crate::IoError::Io { ref path, .. } if *path == missing),
                "{err}"
            );
            assert!(err.to_string().contains("rockpool-io-no-such-file.txt"));
        }
    }

    #[cfg(unix)]
    #[test]
    fn endless_and_oversized_files_are_refused() {
        let err = read_limited(Path::new("/dev/zero"), 1000)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/dev/zero: file is longer than the limit of 1000 bytes"
        );
        let path = std::env::temp_dir().join(format!("rockpool-io-big-{}.txt", std::process::id()));
        std::fs::write(&path, [b'x'; 1001]).unwrap();
        let err = read_limited(&path, 1000).unwrap_err().to_string();
        assert!(
            err.ends_with("file is 1001 bytes, more than the limit of 1000 bytes"),
            "{err}"
        );
        assert_eq!(read_limited(&path, 1001).unwrap().len(), 1001);
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn reads_text_and_bytes() {
        let path =
            std::env::temp_dir().join(format!("rockpool-io-read-{}.txt", std::process::id()));
        crate::write_atomic(&path, "héllo\n".as_bytes()).unwrap();
        assert_eq!(read_text(&path).unwrap(), "héllo\n");
        assert_eq!(read_bytes(&path).unwrap(), "héllo\n".as_bytes());
        crate::write_atomic(&path, &[0xff, 0xfe]).unwrap();
        assert!(read_text(&path).unwrap_err().to_string().contains("UTF-8"));
        std::fs::remove_file(&path).ok();
    }
}
