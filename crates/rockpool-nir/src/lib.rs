//! NIR files — the Neuromorphic Intermediate Representation (Pedersen et al., *Nature
//! Communications* 15, 8122, 2024) — read and written in pure Rust, without libhdf5.
//!
//! This crate is the file layer: a typed graph ([`NirGraph`] of [`Node`]s with their
//! parameters as `ndarray` arrays), [`read`] and [`write()`], and the checks the specification
//! defines. Mapping a graph to rockpool's modules happens elsewhere (in the `rockpool` crate).
//!
//! ```no_run
//! let graph = rockpool_nir::read("braille.nir")?;
//! for (name, node) in &graph.nodes {
//!     println!("{name}: {} in {:?} out {:?}", node.type_name(), node.input_shape(), node.output_shape());
//! }
//! rockpool_nir::write(&graph, "copy.nir")?;
//! # Ok::<(), rockpool_nir::NirError>(())
//! ```
//!
//! # The HDF5 layout (Python `nir` 1.0.8, `nir.write`)
//!
//! ```text
//! /version                     scalar string: the nir version that wrote the file
//!                              ("1.0.8" here; the NIR paper's files say "0.1.1", "0.2.0")
//! /node/type                   scalar string "NIRGraph"
//! /node/edges                  [E, 2] strings, rows (source, target); an empty numeric
//!                              array when there are no edges
//! /node/metadata/<key>         optional: numbers, strings, nested groups (e.g. dt = 1e-4)
//! /node/nodes/<name>/type      scalar string: Input, Output, Affine, Linear, Scale,
//!                              Threshold, Delay, Flatten, I, IF, LI, LIF, CubaLI, CubaLIF,
//!                              Conv1d, Conv2d, SumPool2d, AvgPool2d, NIRGraph
//! /node/nodes/<name>/<field>   one dataset per field, named as the Python dataclass field
//! /node/nodes/<name>/metadata/ optional, as for the graph
//! /node/nodes/<sub>/…          a nested NIRGraph: its own type, nodes/, edges, metadata/
//! ```
//!
//! Fields per type (shapes without batch or time dimensions; `[N]` = per neuron):
//!
//! | type | fields |
//! |---|---|
//! | `Input`, `Output` | `shape` int64 `[D]` |
//! | `Affine` | `weight` `[out, in]`, `bias` `[out]` |
//! | `Linear` | `weight` `[out, in]` |
//! | `Scale`, `Threshold`, `Delay` | `scale`, `threshold`, `delay` `[N]` |
//! | `Flatten` | `input_type` int64 `[D]` (optional), `start_dim`, `end_dim` int64 scalars |
//! | `I` | `r` |
//! | `IF` | `r`, `v_threshold`, `v_reset` |
//! | `LI` | `tau`, `r`, `v_leak` |
//! | `LIF` | `tau`, `r`, `v_leak`, `v_threshold`, `v_reset` |
//! | `CubaLI` | `tau_syn`, `tau_mem`, `r`, `v_leak`, `w_in` |
//! | `CubaLIF` | `tau_syn`, `tau_mem`, `r`, `v_leak`, `v_threshold`, `v_reset`, `w_in` |
//! | `Conv1d` | `weight` `[C_out, C_in/groups, K]`, `stride`, `padding` (int or `'same'`/`'valid'`), `dilation`, `groups` (int64 scalars), `bias` `[C_out]`, `input_shape` int64 scalar (optional) |
//! | `Conv2d` | `weight` `[C_out, C_in/groups, Kx, Ky]`, `stride`, `padding` (int64 `[2]` or a word), `dilation` int64 `[2]`, `groups` int64 scalar, `bias` `[C_out]`, `input_shape` int64 `[2]` (optional) |
//! | `SumPool2d`, `AvgPool2d` | `kernel_size`, `stride`, `padding` int64 `[2]` |
//! | `NIRGraph` | `nodes/`, `edges`, `metadata/` |
//!
//! **Reading** accepts both storage forms in use: gzip-chunked arrays (nir ≥ 1.0) and
//! contiguous uncompressed ones (the 2023 paper files), variable- and fixed-length strings,
//! any integer or float dtype. Parameter arrays keep their dtype ([`Array`]: float32, float64,
//! or int64 for every integer width). Files older than `v_reset` (2025) load with
//! `v_reset = 0` (zeros of `v_threshold`'s shape and dtype, the specification's default), and
//! a missing `w_in` is 1, as in Python `nir`. A scalar convolution/pooling setting stands for
//! both dimensions. A node whose `type` is not one of the above is an **error naming the type**
//! (Python `nir` refuses it too; keeping an opaque node would let a graph pass that no consumer
//! can run), and so is a dataset that is not a field of its node's type.
//!
//! **Writing** produces that layout with variable-length UTF-8 strings and gzip-chunked arrays
//! in their own dtype, `/version = "1.0.8"`, written atomically. Python `nir` 1.0.8 reads
//! these files (checked by `scripts/check_with_python.py`, run from the tests when
//! `/work/venv-nir` or `ROCKPOOL_NIR_PYTHON` provides it: every node type reads as the same
//! graph Python itself wrote, and graphs survive Rust → Python `nir.write` → Rust with every
//! value and dtype). The HDF5 superblock is version 3 (readable by HDF5 ≥ 1.10, h5py ≥ 2.7);
//! Python writes version 0.
//!
//! Valid NIR that Python `nir` 1.0.8 itself cannot load, which this crate reads and writes
//! all the same: a `Conv1d`/`Conv2d` without `input_shape` (its constructor requires the
//! argument); an edge addressing a node inside a subgraph with a dotted name, and any nested
//! graph its type inference rejects (nested graphs are always type-checked, whatever
//! `type_check` says, and its structure check knows no dotted names). Python's
//! `type_check=True` is also stricter than [`NirGraph::check`]: it needs every node's input
//! type to be inferable from the graph's inputs, where this crate only compares shapes that
//! are known.
//!
//! # Checks
//!
//! [`read`] and [`write()`] run [`NirGraph::check`]: node names are valid HDF5 names; each node
//! keeps its shape rules (all parameters of a neuron share one shape; weights at least 2-D;
//! biases `[out]`; convolution ranks, strides, groups; an input size a kernel fits);
//! edges name existing nodes (dotted names reach into subgraphs) and appear once; shapes along
//! edges agree, inferring what Python infers (`Output`, pooling, convolutions without
//! `input_shape`, `Flatten` without `input_type` take their input's shape). Errors name the
//! node and the field, e.g. `node 'lif1': field 'tau' has shape (3,) but 'v_threshold' has
//! (4,)`, or the edge. [`read_with_options`] can skip the shape check along edges, as
//! Python's `type_check=False`. Every size read from a file is compared with
//! [`rockpool_io::max_array_bytes`] before allocation, and a truncated or corrupt file is an
//! error, never a panic.
//!
//! # Semantics
//!
//! NIR is continuous-time: time constants and delays in seconds, no `dt` (an exporter may
//! store the `dt` it trained with in `metadata`, which no reader should rely on). Reset is
//! to `v_reset` in the specification; exporters differ on discretisation conventions (see
//! the crate's reference notes), which the mapping layer, not this crate, resolves.

#![warn(missing_docs)]

mod array;
mod error;
mod graph;
mod hdf5;
mod node;
mod read;
mod write;

pub use array::{Array, Dtype};
pub use error::{NirError, Result};
pub use graph::{CheckOptions, MetaValue, Metadata, NirGraph};
pub use node::{
    Affine, Conv1d, Conv2d, CubaLi, CubaLif, Delay, Flatten, IntegrateAndFire, Integrator,
    LeakyIntegrator, Lif, Linear, NODE_TYPES, Node, Padding, Pool2d, Scale, Threshold,
};
pub use read::{from_bytes, read, read_version, read_with_options};
pub use write::{NIR_VERSION, to_bytes, write, write_with_options};
