//! Safe extraction of the archives datasets are published in: `.zip`, `.tar.gz`/`.tgz`, and
//! single-file `.gz`.
//!
//! Every entry name is checked before anything is written: absolute paths, drive letters and
//! `..` components are refused (zip-slip), as are links and device files. Sizes are checked
//! against [`ExtractLimits`] before writing (a zip's declared sizes all at once, before the
//! first byte; a tar entry's as its header arrives), and no entry is inflated past the size it
//! declares. Data are never held in memory: entries stream through a fixed buffer.
//!
//! Extraction writes into a staging folder `.<archive name>.extracting` beside the result and
//! then renames each top-level entry into place, so a failure half-way (a refused entry, a
//! damaged archive, a full disk) leaves no partial tree where readers look.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::download::sync_parent;
use crate::error::{Error, Result};
use crate::progress::{Progress, Stage};

/// The archive formats understood, told apart by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// A zip archive (stored or deflated entries).
    Zip,
    /// A gzip-compressed tar archive (`.tar.gz` or `.tgz`).
    TarGz,
    /// One gzip-compressed file (`x.gz` extracts to `x`).
    Gz,
}

impl ArchiveKind {
    /// The kind a file name says (case-insensitive): `.zip`, `.tar.gz`/`.tgz`, `.gz`.
    pub fn from_path(path: &Path) -> Option<ArchiveKind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".zip") {
            Some(ArchiveKind::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(ArchiveKind::TarGz)
        } else if name.ends_with(".gz") && name.len() > 3 {
            Some(ArchiveKind::Gz)
        } else {
            None
        }
    }
}

/// Bounds on what one archive may write, checked before the bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Largest single entry, in bytes.
    pub max_entry_bytes: u64,
    /// Largest total of all entries, in bytes.
    pub max_total_bytes: u64,
    /// Most entries (files and folders).
    pub max_entries: u64,
}

impl Default for ExtractLimits {
    /// 32 GiB per entry, 64 GiB in all, a million entries: well above the largest official
    /// archive (SSC's training split, ~2.5 GB unpacked; N-MNIST's 60 000 files) and well
    /// below what a decompression bomb would claim.
    fn default() -> Self {
        ExtractLimits {
            max_entry_bytes: 32 << 30,
            max_total_bytes: 64 << 30,
            max_entries: 1_000_000,
        }
    }
}

/// Extracts `archive` (kind from its name, see [`ArchiveKind::from_path`]) into `dest_dir` and
/// returns the top-level paths it created there, sorted.
///
/// Existing paths of the same names are replaced (the new tree is renamed in first, then the
/// old one deleted). `progress` sees [`Stage::Extract`] with the bytes written so far.
pub fn extract(
    archive: &Path,
    dest_dir: &Path,
    limits: &ExtractLimits,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<Vec<PathBuf>> {
    let kind = ArchiveKind::from_path(archive).ok_or_else(|| Error::UnknownArchive {
        path: archive.to_path_buf(),
    })?;
    extract_as(archive, kind, dest_dir, limits, &mut progress)
}

/// [`extract`] with the kind given rather than read from the name.
pub fn extract_as(
    archive: &Path,
    kind: ArchiveKind,
    dest_dir: &Path,
    limits: &ExtractLimits,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<Vec<PathBuf>> {
    let progress: &mut dyn FnMut(&Progress<'_>) = &mut progress;
    fs::create_dir_all(dest_dir).map_err(|e| Error::io("cannot create", dest_dir, e))?;
    let archive_name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "archive".into());
    let staging = dest_dir.join(format!(".{archive_name}.extracting"));
    remove_any(&staging)?;
    fs::create_dir(&staging).map_err(|e| Error::io("cannot create", &staging, e))?;

    let mut sink = Sink {
        archive,
        limits,
        written: 0,
        entries: 0,
        total: None,
        progress,
    };
    let unpacked = match kind {
        ArchiveKind::Zip => unzip(archive, &staging, &mut sink),
        ArchiveKind::TarGz => untar(archive, &staging, &mut sink),
        ArchiveKind::Gz => gunzip(archive, &archive_name, &staging, &mut sink),
    };
    let placed = unpacked.and_then(|()| place(&staging, dest_dir));
    let _ = fs::remove_dir_all(&staging);
    placed
}

/// Moves every top-level entry of `staging` into `dest_dir`, replacing what was there.
fn place(staging: &Path, dest_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(staging).map_err(|e| Error::io("cannot read", staging, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read", staging, e))?;
        names.push(entry.file_name());
    }
    names.sort();
    let mut placed = Vec::with_capacity(names.len());
    for name in names {
        let from = staging.join(&name);
        let to = dest_dir.join(&name);
        if fs::symlink_metadata(&to).is_ok() {
            let mut old_name = std::ffi::OsString::from(".");
            old_name.push(&name);
            old_name.push(format!(".old-{}", std::process::id()));
            let old = dest_dir.join(old_name);
            remove_any(&old)?;
            fs::rename(&to, &old).map_err(|e| Error::io("cannot move aside", &to, e))?;
            fs::rename(&from, &to).map_err(|e| Error::io("cannot rename into", &to, e))?;
            remove_any(&old)?;
        } else {
            fs::rename(&from, &to).map_err(|e| Error::io("cannot rename into", &to, e))?;
        }
        placed.push(to);
    }
    sync_parent(&dest_dir.join("."));
    Ok(placed)
}

/// Where extracted bytes go: counts them against the limits and reports progress.
struct Sink<'a> {
    archive: &'a Path,
    limits: &'a ExtractLimits,
    written: u64,
    entries: u64,
    total: Option<u64>,
    progress: &'a mut dyn FnMut(&Progress<'_>),
}

impl Sink<'_> {
    /// Counts one more entry of `size` declared bytes, refusing it when over a limit.
    fn admit(&mut self, size: u64, total_so_far: u64) -> Result<()> {
        self.entries += 1;
        let limits = self.limits;
        let over = |what, size, limit| Error::TooLarge {
            archive: self.archive.to_path_buf(),
            what,
            size,
            limit,
        };
        if self.entries > limits.max_entries {
            return Err(over("an entry count", self.entries, limits.max_entries));
        }
        if size > limits.max_entry_bytes {
            return Err(over("an entry", size, limits.max_entry_bytes));
        }
        let total = total_so_far.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(over("a total", total, limits.max_total_bytes));
        }
        Ok(())
    }

    /// Copies the `size` bytes an entry declares from `reader` into a new file at `path`;
    /// more or fewer bytes than declared is an error.
    fn write_file(
        &mut self,
        reader: &mut dyn Read,
        path: &Path,
        size: u64,
        entry: &str,
    ) -> Result<()> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        let mut out = File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
        // One byte past the declared size tells an entry that lies about its size.
        let mut limited = reader.take(size.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::Archive {
                        archive: self.archive.to_path_buf(),
                        cause: format!("entry {entry:?}: {e}"),
                    });
                }
            };
            copied += n as u64;
            if copied > size {
                return Err(Error::TooLarge {
                    archive: self.archive.to_path_buf(),
                    what: "an entry",
                    size: copied,
                    limit: size,
                });
            }
            out.write_all(&buf[..n])
                .map_err(|e| Error::io("cannot write", path, e))?;
            self.written += n as u64;
            (self.progress)(&Progress {
                stage: Stage::Extract,
                file: self.archive,
                done: self.written,
                total: self.total,
            });
        }
        if copied < size {
            return Err(Error::Archive {
                archive: self.archive.to_path_buf(),
                cause: format!("entry {entry:?} ends after {copied} of its {size} bytes"),
            });
        }
        out.sync_all()
            .map_err(|e| Error::io("cannot write", path, e))
    }
}

fn unzip(archive: &Path, staging: &Path, sink: &mut Sink<'_>) -> Result<()> {
    let bad = |cause: zip::result::ZipError| Error::Archive {
        archive: archive.to_path_buf(),
        cause: cause.to_string(),
    };
    let file = File::open(archive).map_err(|e| Error::io("cannot open", archive, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(bad)?;

    // Check every name, kind and declared size before the first byte is written.
    let mut plan = Vec::with_capacity(zip.len());
    let mut total = 0u64;
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(bad)?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let refuse = |reason| Error::UnsafeEntry {
            archive: archive.to_path_buf(),
            entry: name.clone(),
            reason,
        };
        let Some(relative) = safe_relative(&name).map_err(refuse)? else {
            continue;
        };
        if entry.is_symlink() {
            return Err(refuse("links are not extracted"));
        }
        let size = if entry.is_dir() { 0 } else { entry.size() };
        sink.admit(size, total)?;
        total += size;
        plan.push((index, relative, entry.is_dir(), size, name));
    }
    sink.total = Some(total);

    for (index, relative, is_dir, size, name) in plan {
        let path = staging.join(&relative);
        if is_dir {
            fs::create_dir_all(&path).map_err(|e| Error::io("cannot create", &path, e))?;
            continue;
        }
        let mut entry = zip.by_index(index).map_err(bad)?;
        sink.write_file(&mut entry, &path, size, &name)?;
    }
    Ok(())
}

fn untar(archive: &Path, staging: &Path, sink: &mut Sink<'_>) -> Result<()> {
    let bad = |cause: io::Error| Error::Archive {
        archive: archive.to_path_buf(),
        cause: cause.to_string(),
    };
    let file = File::open(archive).map_err(|e| Error::io("cannot open", archive, e))?;
    let mut tar = tar::Archive::new(MultiGzDecoder::new(BufReader::new(file)));
    let mut total = 0u64;
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let refuse = |reason| Error::UnsafeEntry {
            archive: archive.to_path_buf(),
            entry: name.clone(),
            reason,
        };
        let kind = entry.header().entry_type();
        // Extended headers carry metadata for the next entry; the tar crate applies them.
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let Some(relative) = safe_relative(&name).map_err(refuse)? else {
            continue;
        };
        let path = staging.join(&relative);
        if kind.is_dir() {
            sink.admit(0, total)?;
            fs::create_dir_all(&path).map_err(|e| Error::io("cannot create", &path, e))?;
        } else if kind.is_file() || kind.is_contiguous() {
            let size = entry.header().size().map_err(bad)?;
            sink.admit(size, total)?;
            total += size;
            sink.write_file(&mut entry, &path, size, &name)?;
        } else if kind.is_symlink() || kind.is_hard_link() {
            return Err(refuse("links are not extracted"));
        } else {
            return Err(refuse("only regular files and folders are extracted"));
        }
    }
    Ok(())
}

fn gunzip(archive: &Path, archive_name: &str, staging: &Path, sink: &mut Sink<'_>) -> Result<()> {
    // `x.gz` → `x`; the name comes from our own file name, never from the gzip header.
    let stem = &archive_name[..archive_name.len() - 3];
    let relative = safe_relative(stem)
        .ok()
        .flatten()
        .ok_or_else(|| Error::UnknownArchive {
            path: archive.to_path_buf(),
        })?;
    let file = File::open(archive).map_err(|e| Error::io("cannot open", archive, e))?;
    let mut reader = MultiGzDecoder::new(BufReader::new(file));
    // gzip records the size only modulo 4 GiB, so the limit is enforced while inflating.
    sink.admit(0, 0)?;
    let limit = sink.limits.max_entry_bytes.min(sink.limits.max_total_bytes);
    let path = staging.join(relative);
    let mut out = File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::Archive {
                    archive: archive.to_path_buf(),
                    cause: e.to_string(),
                });
            }
        };
        sink.written += n as u64;
        if sink.written > limit {
            return Err(Error::TooLarge {
                archive: archive.to_path_buf(),
                what: "an entry",
                size: sink.written,
                limit,
            });
        }
        out.write_all(&buf[..n])
            .map_err(|e| Error::io("cannot write", &path, e))?;
        (sink.progress)(&Progress {
            stage: Stage::Extract,
            file: archive,
            done: sink.written,
            total: None,
        });
    }
    out.sync_all()
        .map_err(|e| Error::io("cannot write", &path, e))
}

/// The path an entry name stands for inside the extraction folder, `Ok(None)` for entries
/// that are skipped (the folder itself, macOS's `__MACOSX` resource forks), or why it is
/// refused. Both `/` and `\` count as separators, so a name made on Windows cannot slip a
/// `..` through.
pub fn safe_relative(name: &str) -> std::result::Result<Option<PathBuf>, &'static str> {
    if name.contains('\0') {
        return Err("the name contains a NUL byte");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("absolute paths are not extracted");
    }
    let mut path = PathBuf::new();
    for (i, part) in name.split(['/', '\\']).enumerate() {
        match part {
            "" | "." => {}
            ".." => return Err("`..` would leave the extraction folder"),
            _ if i == 0 && part.len() == 2 && part.ends_with(':') => {
                return Err("absolute paths are not extracted");
            }
            "__MACOSX" if i == 0 => return Ok(None),
            _ => path.push(part),
        }
    }
    Ok((!path.as_os_str().is_empty()).then_some(path))
}

/// Removes a file or folder if it exists.
fn remove_any(path: &Path) -> Result<()> {
    let result = match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    result.map_err(|e| Error::io("cannot remove", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert_eq!(
            safe_relative("Train/0/00002.bin"),
            Ok(Some("Train/0/00002.bin".into()))
        );
        assert_eq!(safe_relative("./a//b/"), Ok(Some("a/b".into())));
        assert_eq!(safe_relative("./"), Ok(None));
        assert_eq!(safe_relative("__MACOSX/._Train"), Ok(None));
        assert!(safe_relative("../evil").is_err());
        assert!(safe_relative("a/../../evil").is_err());
        assert!(safe_relative("a\\..\\..\\evil").is_err());
        assert!(safe_relative("/etc/passwd").is_err());
        assert!(safe_relative("C:/Windows").is_err());
        assert!(safe_relative("a\0b").is_err());
    }

    #[test]
    fn kinds_from_names() {
        let kind = |n: &str| ArchiveKind::from_path(Path::new(n));
        assert_eq!(kind("train.zip"), Some(ArchiveKind::Zip));
        assert_eq!(kind("ibmGestureTrain.tar.gz"), Some(ArchiveKind::TarGz));
        assert_eq!(kind("x.TGZ"), Some(ArchiveKind::TarGz));
        assert_eq!(kind("shd_train.h5.gz"), Some(ArchiveKind::Gz));
        assert_eq!(kind(".gz"), None);
        assert_eq!(kind("shd_train.h5"), None);
    }
}
