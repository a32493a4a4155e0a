//! Neuromorphic event datasets, read one sample at a time, and seeded event transforms.
//!
//! Plain Rust (no Burn, no system HDF5 library). A training loader builds on three pieces:
//!
//! - [`EventStream`]: one sample's events as columns `t` (seconds, `f64`, sorted ascending),
//!   `x`, `y` (`u16`), `p` (`u8`), with the [`SensorSize`] `(width, height, polarities)` they
//!   come from;
//! - [`EventDataset`]: random access to labelled samples (`get(i)` reads sample *i* from disk and
//!   nothing else; `Send + Sync`, so loader threads can share one dataset);
//! - [`Compose`] of [`Transform`]s (seeded per call) and [`ToFrame`], which bins a stream
//!   into a raster `[T, W · H · P]` of counts; [`EventPipeline`] is both, configured from TOML.
//!
//! # Formats
//!
//! | reader | files | sensor `(W, H, P)` | classes | times on disk |
//! |---|---|---|---|---|
//! | [`ShdDataset::open_shd`] | SHD HDF5 split file: `spikes/times`, `spikes/units` (one variable-length array per sample), `labels` | (700, 1, 1) | 20 | seconds (float16 in the published files) |
//! | [`ShdDataset::open_ssc`] | SSC HDF5 split file, same layout | (700, 1, 1) | 35 | seconds |
//! | [`NmnistDataset`] | `Train/<digit>/<id>.bin`, 5-byte records | (34, 34, 2) | 10 | µs, 23 bits, overflow markers |
//! | [`DvsGestureDataset`] | Tonic's preprocessed `user<NN>_<lighting>/<label>.npy`, `[N, 4]` = x, y, p, t | (128, 128, 2) | 11 | ms |
//! | [`NpzEventDataset`] | rockpool's `.npz` event format (written by [`write_event_npz`]) | from the file | from the file | seconds |
//!
//! Each module documents its format byte for byte: [`shd`], [`nmnist`], [`dvs_gesture`],
//! [`npz`]. Every stream a reader returns is in seconds and validated: `x < W`, `y < H`,
//! `p < P`, times finite, `>= 0` and sorted (an unsorted sample is an error unless the reader
//! is set to [`TimeOrder::Sort`]), label `< C`. Sizes read from a file are checked against
//! [`rockpool_io::max_array_bytes`] before memory is reserved. Every error ([`EventError`]) names
//! the file, the sample and the field.
//!
//! # Example
//!
//! ```no_run
//! use rockpool_events::{EventDataset, EventPipeline, ShdDataset, sample_seed};
//!
//! let data = ShdDataset::open_shd("shd_train.h5")?;
//! println!("{}", data.info()); // shd: 8156 samples, 20 classes, sensor (700, 1, 1), … events
//! let pipeline: EventPipeline = toml::from_str(r#"
//!     transforms = [{ kind = "time_jitter", std = 1e-3 }, { kind = "downsample", channel_factor = 0.1 }]
//!     frame = { dt = 4e-3, bins = 250 }
//! "#).unwrap();
//! let (events, label) = data.get(0)?;
//! let raster = pipeline.apply(events, data.sensor(), sample_seed(42, 0, 0))?; // [250, 70]
//! # Ok::<(), rockpool_events::EventError>(())
//! ```

#![warn(missing_docs)]

pub mod dvs_gesture;
mod error;
mod frame;
pub mod nmnist;
pub mod npz;
mod numeric;
pub mod shd;
mod stream;
pub mod transform;

pub use dvs_gesture::DvsGestureDataset;
pub use error::{EventError, Location, Result};
pub use frame::{EventPipeline, ToFrame};
pub use nmnist::{NmnistDataset, Split};
pub use npz::{NpzEventDataset, write_event_npz};
pub use shd::ShdDataset;
pub use stream::{DatasetInfo, EventDataset, EventStream, SensorSize, TimeOrder};
pub use transform::{Compose, Transform, sample_seed};
