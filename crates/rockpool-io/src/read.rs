//! Reading whole files, with the path in every error: the one way the workspace reads a
//! configuration, a state file or a raw array file.

use std::path::Path;

use crate::error::{Result, io_error};

/// Reads a whole file as UTF-8 text.
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) naming `path` if the file cannot be opened or read, or
/// is not valid UTF-8.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}

/// Reads a whole file as bytes.
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) naming `path` if the file cannot be opened or read.
pub fn read_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    std::fs::read(path).map_err(|e| io_error(path, e))
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
