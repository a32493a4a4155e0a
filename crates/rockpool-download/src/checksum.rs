//! Published hashes and checking files against them.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::progress::{Progress, Stage};

/// The hash a file must have, as its publisher lists it (hex, either case).
///
/// `Checksum::Md5("…".into())` takes a `&'static str` or a `String`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    /// MD5, 32 hex digits (what the dataset publishers and Tonic list).
    Md5(Cow<'static, str>),
    /// SHA-256, 64 hex digits.
    Sha256(Cow<'static, str>),
}

impl Checksum {
    /// The algorithm's name as messages show it: `"MD5"` or `"SHA-256"`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Md5(_) => "MD5",
            Checksum::Sha256(_) => "SHA-256",
        }
    }

    /// The expected hash in lower-case hex.
    pub fn hex(&self) -> String {
        match self {
            Checksum::Md5(h) | Checksum::Sha256(h) => h.trim().to_ascii_lowercase(),
        }
    }

    /// Checks that the hash is hex of the algorithm's length (32 digits for MD5, 64 for
    /// SHA-256), so a typo is reported before anything is downloaded.
    pub fn validate(&self) -> Result<()> {
        let digits = match self {
            Checksum::Md5(_) => 32,
            Checksum::Sha256(_) => 64,
        };
        let hex = self.hex();
        if hex.len() == digits && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(())
        } else {
            let (Checksum::Md5(value) | Checksum::Sha256(value)) = self;
            Err(Error::BadChecksum {
                algorithm: self.algorithm(),
                value: value.to_string(),
                digits,
            })
        }
    }

    /// Hashes `path` with this checksum's algorithm and returns the lower-case hex digest.
    /// `progress` sees [`Stage::Verify`] with the bytes hashed so far.
    pub fn digest_file(
        &self,
        path: &Path,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Result<String> {
        match self {
            Checksum::Md5(_) => digest_with::<Md5>(path, progress),
            Checksum::Sha256(_) => digest_with::<Sha256>(path, progress),
        }
    }

    /// Whether `path` has this hash. `Ok(Err(actual))` gives the hash it has instead.
    pub fn check_file(
        &self,
        path: &Path,
        progress: &mut dyn FnMut(&Progress<'_>),
    ) -> Result<Result<(), String>> {
        self.validate()?;
        let actual = self.digest_file(path, progress)?;
        Ok(if actual == self.hex() {
            Ok(())
        } else {
            Err(actual)
        })
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm(), self.hex())
    }
}

fn digest_with<D: Digest>(path: &Path, progress: &mut dyn FnMut(&Progress<'_>)) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let mut hasher = D::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("cannot read", path, e)),
        };
        hasher.update(&buf[..n]);
        done += n as u64;
        progress(&Progress {
            stage: Stage::Verify,
            file: path,
            done,
            total,
        });
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        let md5 = Checksum::Md5("900150983CD24FB0D6963F7D28E17F72".into());
        let sha = Checksum::Sha256(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
        );
        assert_eq!(md5.check_file(&path, &mut |_| {}).unwrap(), Ok(()));
        assert_eq!(sha.check_file(&path, &mut |_| {}).unwrap(), Ok(()));
        let wrong = Checksum::Md5("00000000000000000000000000000000".into());
        assert_eq!(
            wrong.check_file(&path, &mut |_| {}).unwrap(),
            Err("900150983cd24fb0d6963f7d28e17f72".to_string())
        );
    }

    #[test]
    fn malformed_hashes_are_refused() {
        let short = Checksum::Md5("abc".into()).validate().unwrap_err();
        assert!(
            short.to_string().contains("32 hexadecimal digits"),
            "{short}"
        );
        let not_hex = Checksum::Sha256("z".repeat(64).into())
            .validate()
            .unwrap_err();
        assert!(not_hex.to_string().contains("SHA-256"), "{not_hex}");
    }
}
