//! NumPy `.npy` / `.npz` files in plain Rust, and atomic file writes.
//!
//! This crate lets arrays and parameter files travel between Rust `rockpool`, NumPy and
//! Python Rockpool:
//!
//! - [`read_npy`] / [`write_npy`] and their in-memory forms [`npy_from_bytes`] /
//!   [`npy_to_bytes`] handle single arrays in the [NPY format] (versions 1.0, 2.0 and 3.0).
//! - [`read_npz`] reads archives written by `np.savez` (stored) and `np.savez_compressed`
//!   (deflate); [`write_npz`] writes stored archives like `np.savez`, [`write_npz_compressed`]
//!   deflated ones like `np.savez_compressed`.
//! - [`write_atomic`] is the one way this project writes files: a temporary file in the same
//!   directory, `fsync`, then a rename over the target, so a crash never leaves a user's file
//!   half written. Only regular files are replaced that way: a device (`/dev/null`), FIFO or
//!   socket target is written in place, a directory is refused.
//! - [`read_text`] and [`read_bytes`] are the one way it reads whole files (errors name the
//!   path), bounded by [`MAX_TEXT_BYTES`] and [`max_array_bytes`] so that a wrong path such as
//!   `/dev/zero` is refused instead of exhausting memory.
//! - [`check_output_distinct`] refuses an output path that is one of a command's inputs
//!   (whatever its spelling: symbolic links, `./x`, hard links), before any work is done.
//! - [`text_enum!`] gives an enum of names (chip families, quantisation methods, …) matching
//!   `FromStr`, `Display`, serde and clap support from one list of names ([`mod@text_enum`]).
//!
//! Arrays are held as [`NpyArray`], an enum over the supported element types (`f32`, `f64`,
//! signed and unsigned 8- to 64-bit integers, `bool`), each an [`ndarray::ArrayD`] in standard
//! (C) layout. Reading accepts little- and big-endian data and Fortran order; writing always
//! produces little-endian, C-order data, which every NumPy reads.
//!
//! ```
//! use ndarray::{ArrayD, IxDyn};
//! use rockpool_io::{NpyArray, npy_from_bytes, npy_to_bytes};
//!
//! let weights = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
//! let bytes = npy_to_bytes(&NpyArray::from(weights.clone()));
//! let back = npy_from_bytes(&bytes).unwrap();
//! assert_eq!(back.dtype_str(), "<f4");
//! assert_eq!(back.to_f32(), weights);
//! ```
//!
//! # Size limit
//!
//! Every size read from a file is computed with checked arithmetic and compared with a limit
//! before memory is reserved: by default 2 GiB of element data per array, and for the arrays
//! of one archive together ([`DEFAULT_MAX_ARRAY_BYTES`]); set the environment variable `ROCKPOOL_MAX_ARRAY_BYTES` to a
//! whole number of bytes to change it ([`max_array_bytes`]). In `.npz` archives each entry's
//! declared uncompressed size is checked against the limit and against its npy header's shape
//! and dtype before the entry is inflated, and inflation never goes past the declared size, so
//! a decompression bomb is refused at once; a CRC mismatch, corrupt compressed data or a
//! truncated archive is reported with the entry's name.
//!
//! Malformed input never panics: every problem is an [`IoError`] whose message names the file
//! (and archive entry) and what is wrong with it, e.g.
//! `p.npz: entry 'w.npy': data is truncated: header says 12 elements, found 8`.
//!
//! [NPY format]: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

mod array;
mod atomic;
mod error;
mod limit;
mod npy;
mod npz;
mod paths;
mod read;
pub mod text_enum;

pub use array::{DType, NpyArray};
pub use atomic::write_atomic;
pub use error::{FormatError, IoError, Result};
pub use limit::{DEFAULT_MAX_ARRAY_BYTES, MAX_ARRAY_BYTES_VAR, max_array_bytes};
pub use npy::{npy_from_bytes, npy_to_bytes, read_npy, write_npy};
pub use npz::{npz_from_bytes, npz_to_bytes, read_npz, write_npz, write_npz_compressed};
pub use paths::check_output_distinct;
pub use read::{MAX_TEXT_BYTES, read_bytes, read_text};
#[doc(hidden)]
pub use text_enum::__private;
#[cfg(feature = "clap")]
pub use text_enum::TextEnumParser;
pub use text_enum::{TextEnum, UnknownName};
