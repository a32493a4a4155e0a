//! Downloads of the public event datasets, done right: resumable, verified, safely unpacked.
//!
//! `rockpool data download shd|ssc|nmnist|dvs_gesture --to DIR` is a thin layer over
//! [`fetch_dataset`]. The pieces are usable on their own:
//!
//! - [`download`] streams one URL into `<dest>.part`, resumes an interrupted transfer with an
//!   HTTP `Range` request (and copes with servers that answer `200` or `416` instead of `206`),
//!   retries a bounded number of times, checks the result against the published
//!   [`Checksum`] (MD5 or SHA-256), and only then renames it into place. A file already present
//!   with the right hash is not fetched again. When the host cannot be reached the error says
//!   `cannot reach <host>: … (offline?)` and the partial file stays for the next run.
//! - [`extract`] unpacks `.zip`, `.tar.gz` and single-file `.gz` archives, refusing entries
//!   that would land outside the target folder (absolute paths, `..`: "zip-slip") or that are
//!   links, checking declared sizes against [`ExtractLimits`] before writing, and renaming the
//!   result into place from a staging folder.
//! - [`datasets`] lists the official sources (SHD, SSC, N-MNIST, DVS Gesture) with URLs and
//!   published hashes; [`fetch_dataset`] downloads, verifies and unpacks one of them and
//!   returns where the data lie ([`DatasetFiles`]).
//!
//! ```no_run
//! use std::path::Path;
//!
//! let files = rockpool_download::fetch_dataset("shd", Path::new("data"), |p| {
//!     if let Some(total) = p.total {
//!         eprint!("\r{:?} {}: {} / {total} bytes", p.stage, p.file.display(), p.done);
//!     }
//! })?;
//! assert_eq!(files.path("train"), Some(Path::new("data/shd/shd_train.h5")));
//! # Ok::<(), rockpool_download::Error>(())
//! ```
//!
//! The crate is plain Rust (no Burn): a blocking HTTP client (`ureq` with rustls), `md-5`,
//! `sha2`, `zip`, `tar` and `flate2`. It opens no file formats beyond the archives; readers of
//! the HDF5, `.bin` and `.npy` files live elsewhere.

mod checksum;
mod download;
mod error;
mod extract;
mod fetch;
mod progress;
mod registry;

pub use checksum::Checksum;
pub use download::{DownloadOptions, download, download_with, part_path};
pub use error::{Error, Result};
pub use extract::{ArchiveKind, ExtractLimits, extract, extract_as, safe_relative};
pub use fetch::{
    DatasetFiles, FetchOptions, SplitFiles, fetch_dataset, fetch_dataset_with, fetch_spec,
};
pub use progress::{Progress, Stage};
pub use registry::{DatasetSpec, RemoteFile, dataset, datasets};
