//! A whole dataset: download every file, verify it, unpack it, say where the data lie.
//!
//! Layout under the folder given (`DIR`):
//!
//! ```text
//! DIR/<dataset>/<archive>                  the file as downloaded (kept unless asked not to)
//! DIR/<dataset>/<archive>.part             while downloading; resumed on the next run
//! DIR/<dataset>/<unpacks_to>               what readers open: shd_train.h5, Train/, ibmGestureTrain/
//! DIR/<dataset>/.<archive>.done            written last: the hash and the path unpacked
//! ```
//!
//! A split whose `.done` record names the expected hash and whose unpacked path exists is
//! skipped without touching the network or re-hashing, so fetching again is cheap and
//! changes nothing. A missing record (an interrupted run, a deleted folder) redoes the split:
//! the archive, if complete and verified, is not downloaded again.

use std::fs;
use std::path::{Path, PathBuf};

use crate::download::{DownloadOptions, download_with, sync_parent};
use crate::error::{Error, Result};
use crate::extract::{ExtractLimits, extract_as};
use crate::progress::Progress;
use crate::registry::{DatasetSpec, RemoteFile, dataset};

/// Settings for [`fetch_dataset_with`] and [`fetch_spec`].
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Retries and timeouts of each download.
    pub download: DownloadOptions,
    /// Size limits of each extraction.
    pub limits: ExtractLimits,
    /// Keep each archive after unpacking it (default `true`). Without it the archive is
    /// deleted once its contents are in place; a later fetch is still a no-op.
    pub keep_archives: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            download: DownloadOptions::default(),
            limits: ExtractLimits::default(),
            keep_archives: true,
        }
    }
}

/// Where one split's data lie after [`fetch_dataset`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitFiles {
    /// `"train"`, `"valid"` or `"test"`.
    pub split: &'static str,
    /// The path a reader opens (`DIR/shd/shd_train.h5`, `DIR/nmnist/Train`).
    pub path: PathBuf,
    /// The downloaded archive (absent on disk when archives are not kept).
    pub archive: PathBuf,
}

/// Where a fetched dataset lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFiles {
    /// The dataset's name (`"shd"`).
    pub name: &'static str,
    /// Its folder, `DIR/<name>`.
    pub root: PathBuf,
    /// One entry per split, in the registry's order.
    pub splits: Vec<SplitFiles>,
}

impl DatasetFiles {
    /// The path a reader opens for `split`, if the dataset has that split.
    pub fn path(&self, split: &str) -> Option<&Path> {
        self.splits
            .iter()
            .find(|s| s.split == split)
            .map(|s| s.path.as_path())
    }
}

/// Downloads, verifies and unpacks every file of the dataset `name` (see
/// [`crate::datasets`]) under `dir/<name>/`, with [`FetchOptions::default`].
///
/// Idempotent: a second call finds everything in place and returns at once. `progress` sees
/// every download, verification and extraction.
pub fn fetch_dataset(
    name: &str,
    dir: &Path,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<DatasetFiles> {
    fetch_dataset_with(name, dir, &FetchOptions::default(), &mut progress)
}

/// [`fetch_dataset`] with explicit settings.
pub fn fetch_dataset_with(
    name: &str,
    dir: &Path,
    options: &FetchOptions,
    progress: impl FnMut(&Progress<'_>),
) -> Result<DatasetFiles> {
    fetch_spec(&dataset(name)?, dir, options, progress)
}

/// Fetches the files a [`DatasetSpec`] lists (a registry entry, or one of the caller's own,
/// e.g. pointing at a mirror).
pub fn fetch_spec(
    spec: &DatasetSpec,
    dir: &Path,
    options: &FetchOptions,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<DatasetFiles> {
    let progress: &mut dyn FnMut(&Progress<'_>) = &mut progress;
    let root = dir.join(spec.name);
    fs::create_dir_all(&root).map_err(|e| Error::io("cannot create", &root, e))?;
    let mut splits = Vec::with_capacity(spec.files.len());
    for file in &spec.files {
        splits.push(fetch_file(file, &root, options, progress)?);
    }
    Ok(DatasetFiles {
        name: spec.name,
        root,
        splits,
    })
}

fn fetch_file(
    file: &RemoteFile,
    root: &Path,
    options: &FetchOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<SplitFiles> {
    let archive = root.join(file.file_name);
    let path = root.join(file.unpacks_to);
    let record = root.join(format!(".{}.done", file.file_name));
    let expected_record = format!("{}\n{}\n", file.checksum, file.unpacks_to);
    let split = SplitFiles {
        split: file.split,
        path: path.clone(),
        archive: archive.clone(),
    };
    let done = fs::read_to_string(&record).is_ok_and(|r| r == expected_record);
    if done && fs::symlink_metadata(&path).is_ok() {
        return Ok(split);
    }
    // Whatever the record said, it no longer describes what is on disk.
    let _ = fs::remove_file(&record);

    download_with(
        &file.url,
        &archive,
        &file.checksum,
        &options.download,
        &mut *progress,
    )?;
    extract_as(
        &archive,
        file.archive,
        root,
        &options.limits,
        &mut *progress,
    )?;
    if fs::symlink_metadata(&path).is_err() {
        return Err(Error::MissingEntry {
            archive,
            expected: file.unpacks_to.to_string(),
        });
    }
    write_atomically(&record, &expected_record)?;
    if !options.keep_archives {
        fs::remove_file(&archive).map_err(|e| Error::io("cannot remove", &archive, e))?;
    }
    Ok(split)
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, text).map_err(|e| Error::io("cannot write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io("cannot rename into", path, e))?;
    sync_parent(path);
    Ok(())
}
