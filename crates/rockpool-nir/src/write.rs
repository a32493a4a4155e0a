//! Writing a [`NirGraph`] as a `.nir` file (HDF5) that Python `nir` 1.0.8 reads.
//!
//! The layout is Python's (`nir.write`): `/version` and the graph under `/node`; strings
//! variable-length UTF-8; parameter arrays chunked and gzip-compressed (level 4, h5py's
//! default), in their own dtype; single integers (convolution stride, groups, …; Flatten's
//! dimensions) as int64 scalars, pairs as int64 `[2]`. The file is built in memory and then
//! written atomically (temporary file, then rename), so a crash never leaves half a file.

use std::path::Path;

use hdf5_pure::{
    EnumTypeBuilder, FileBuilder, GroupBuilder, make_f32_type, make_f64_type, make_i8_type,
    make_i64_type,
};

use crate::array::Array;
use crate::error::{NirError, Result};
use crate::graph::{CheckOptions, MetaValue, Metadata, NirGraph};
use crate::node::{Node, Padding};

/// The `nir` version written to `/version`: the Python package version whose layout this
/// crate writes (Python's reader ignores the field).
pub const NIR_VERSION: &str = "1.0.8";

/// gzip level for parameter arrays (h5py's default).
const GZIP_LEVEL: u32 = 4;
/// Largest chunk of a compressed array, in bytes.
const CHUNK_BYTES: u64 = 1 << 20;

/// Checks `graph` ([`NirGraph::check`]) and writes it to `path` atomically.
///
/// # Errors
/// The check's error (nothing is written); [`NirError::Io`] naming `path` if the file cannot
/// be written; [`NirError::Hdf5`] if the HDF5 library refuses the content.
pub fn write(graph: &NirGraph, path: impl AsRef<Path>) -> Result<()> {
    write_with_options(graph, path, CheckOptions::default())
}

/// [`write()`] with a choice of checks: `CheckOptions { edge_shapes: false }` writes a graph
/// whose shapes along edges disagree (as read with the same option, e.g. the paper's
/// `lif_rockpool.nir`); Python reads such a file only with `type_check=False`.
///
/// # Errors
/// As [`write()`].
pub fn write_with_options(
    graph: &NirGraph,
    path: impl AsRef<Path>,
    options: CheckOptions,
) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_bytes(graph, options).map_err(|e| e.in_file(path))?;
    rockpool_io::write_atomic(path, &bytes)?;
    Ok(())
}

/// Checks `graph` ([`NirGraph::check_with`]) and returns the bytes of its `.nir` file.
///
/// # Errors
/// As [`write()`], without the I/O.
pub fn to_bytes(graph: &NirGraph, options: CheckOptions) -> Result<Vec<u8>> {
    graph.check_with(options)?;
    let mut file = FileBuilder::new();
    file.create_dataset("version")
        .with_vlen_strings(&[NIR_VERSION])
        .with_shape(&[]);
    let mut node = file.create_group("node");
    write_graph(&mut node, graph, "")?;
    file.add_group(node.finish());
    file.finish().map_err(|e| NirError::Hdf5 {
        message: e.to_string(),
    })
}

/// A graph's `type`, `nodes/`, `edges` and `metadata/` into `group`.
fn write_graph(group: &mut GroupBuilder, graph: &NirGraph, owner: &str) -> Result<()> {
    put_str(group, "type", "NIRGraph");
    let mut nodes = group.create_group("nodes");
    for (name, node) in &graph.nodes {
        let full = if owner.is_empty() {
            name.clone()
        } else {
            format!("{owner}.{name}")
        };
        let mut g = nodes.create_group(name);
        match node {
            Node::Graph(sub) => write_graph(&mut g, sub, &full)?,
            _ => {
                write_node(&mut g, node);
                if let Some(meta) = graph.node_metadata.get(name) {
                    write_metadata_group(&mut g, meta, &full)?;
                }
            }
        }
        nodes.add_group(g.finish());
    }
    group.add_group(nodes.finish());
    if graph.edges.is_empty() {
        // What Python writes for `edges = []`: an empty float64 array.
        group
            .create_dataset("edges")
            .with_dtype(make_f64_type())
            .with_shape(&[0]);
    } else {
        let flat: Vec<&str> = graph
            .edges
            .iter()
            .flat_map(|(a, b)| [a.as_str(), b.as_str()])
            .collect();
        group
            .create_dataset("edges")
            .with_vlen_strings(&flat)
            .with_shape(&[graph.edges.len() as u64, 2]);
    }
    write_metadata_group(group, &graph.metadata, owner)
}

/// A `metadata/` group, when there is metadata (Python skips an empty one).
fn write_metadata_group(group: &mut GroupBuilder, metadata: &Metadata, owner: &str) -> Result<()> {
    if metadata.is_empty() {
        return Ok(());
    }
    let mut g = group.create_group("metadata");
    write_metadata(&mut g, metadata, owner, "")?;
    group.add_group(g.finish());
    Ok(())
}

fn write_metadata(
    group: &mut GroupBuilder,
    metadata: &Metadata,
    owner: &str,
    prefix: &str,
) -> Result<()> {
    for (key, value) in metadata {
        if key.is_empty() || key == "." || key.contains('/') || key.contains('\0') {
            return Err(NirError::Metadata {
                owner: owner.to_owned(),
                key: format!("{prefix}{key}"),
                message: "is not a valid key (empty, '.', or containing '/' or NUL)".to_owned(),
            });
        }
        match value {
            MetaValue::Array(a) => put_array(group, key, a),
            MetaValue::Bool(a) => {
                put_bools(group, key, a).map_err(|message| NirError::Metadata {
                    owner: owner.to_owned(),
                    key: format!("{prefix}{key}"),
                    message,
                })?
            }
            MetaValue::Str(s) => put_str(group, key, s),
            MetaValue::Strings(list) => {
                let refs: Vec<&str> = list.iter().map(String::as_str).collect();
                group.create_dataset(key).with_vlen_strings(&refs);
            }
            MetaValue::Map(nested) => {
                let mut g = group.create_group(key);
                write_metadata(&mut g, nested, owner, &format!("{prefix}{key}."))?;
                group.add_group(g.finish());
            }
        }
    }
    Ok(())
}

/// One node's `type` and fields (the graph check has run, so shapes are consistent).
fn write_node(g: &mut GroupBuilder, node: &Node) {
    put_str(g, "type", node.type_name());
    for (field, array) in node.arrays() {
        put_array(g, field, array);
    }
    match node {
        Node::Input { shape } | Node::Output { shape } => put_ints(g, "shape", shape),
        Node::Flatten(f) => {
            if let Some(input) = &f.input_type {
                put_ints(g, "input_type", input);
            }
            put_i64(g, "start_dim", f.start_dim);
            put_i64(g, "end_dim", f.end_dim);
        }
        Node::Conv1d(c) => {
            put_int(g, "stride", c.stride);
            match c.padding {
                Padding::Same => put_str(g, "padding", "same"),
                Padding::Valid => put_str(g, "padding", "valid"),
                Padding::Explicit(p) => put_int(g, "padding", p),
            }
            put_int(g, "dilation", c.dilation);
            put_int(g, "groups", c.groups);
            if let Some(n) = c.input_shape {
                put_int(g, "input_shape", n);
            }
        }
        Node::Conv2d(c) => {
            put_ints(g, "stride", &c.stride);
            match c.padding {
                Padding::Same => put_str(g, "padding", "same"),
                Padding::Valid => put_str(g, "padding", "valid"),
                Padding::Explicit(p) => put_ints(g, "padding", &p),
            }
            put_ints(g, "dilation", &c.dilation);
            put_int(g, "groups", c.groups);
            if let Some(n) = c.input_shape {
                put_ints(g, "input_shape", &n);
            }
        }
        Node::SumPool2d(p) | Node::AvgPool2d(p) => {
            put_ints(g, "kernel_size", &p.kernel_size);
            put_ints(g, "stride", &p.stride);
            put_ints(g, "padding", &p.padding);
        }
        _ => {}
    }
}

/// Booleans as numpy writes them through h5py: an enum `FALSE = 0, TRUE = 1` over int8.
fn put_bools(
    g: &mut GroupBuilder,
    name: &str,
    values: &ndarray::ArrayD<bool>,
) -> Result<(), String> {
    let dtype = EnumTypeBuilder::with_base(make_i8_type())
        .value("FALSE", 0)
        .value("TRUE", 1)
        .build()
        .map_err(|e| e.to_string())?;
    let shape: Vec<u64> = values.shape().iter().map(|&d| d as u64).collect();
    let ds = g.create_dataset(name);
    if values.is_empty() {
        ds.with_dtype(dtype).with_shape(&shape);
    } else {
        let bytes: Vec<u8> = values.iter().map(|&b| u8::from(b)).collect();
        ds.with_enum_u8_data(dtype, &bytes).with_shape(&shape);
    }
    Ok(())
}

/// A scalar variable-length UTF-8 string.
fn put_str(g: &mut GroupBuilder, name: &str, value: &str) {
    g.create_dataset(name)
        .with_vlen_strings(&[value])
        .with_shape(&[]);
}

/// An int64 scalar.
fn put_i64(g: &mut GroupBuilder, name: &str, value: i64) {
    g.create_dataset(name)
        .with_i64_data(&[value])
        .with_shape(&[]);
}

/// A non-negative integer as an int64 scalar.
fn put_int(g: &mut GroupBuilder, name: &str, value: usize) {
    put_i64(g, name, i64::try_from(value).unwrap_or(i64::MAX));
}

/// Non-negative integers as a 1-D int64 array.
fn put_ints(g: &mut GroupBuilder, name: &str, values: &[usize]) {
    let values: Vec<i64> = values
        .iter()
        .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
        .collect();
    put_array(g, name, &Array::from(ndarray::Array1::from(values)));
}

/// An array in its own dtype: gzip-chunked when it has at least one dimension and element,
/// plain otherwise (a scalar, or an empty array with its shape and type).
fn put_array(g: &mut GroupBuilder, name: &str, array: &Array) {
    let shape: Vec<u64> = array.shape().iter().map(|&d| d as u64).collect();
    let ds = g.create_dataset(name);
    if array.is_empty() {
        let dtype = match array {
            Array::F32(_) => make_f32_type(),
            Array::F64(_) => make_f64_type(),
            Array::I64(_) => make_i64_type(),
        };
        ds.with_dtype(dtype).with_shape(&shape);
        return;
    }
    match array {
        Array::F32(a) => ds.with_f32_data(&a.iter().copied().collect::<Vec<_>>()),
        Array::F64(a) => ds.with_f64_data(&a.iter().copied().collect::<Vec<_>>()),
        Array::I64(a) => ds.with_i64_data(&a.iter().copied().collect::<Vec<_>>()),
    };
    ds.with_shape(&shape);
    if !shape.is_empty() {
        ds.with_chunks(&chunk_shape(&shape, array.element_bytes()))
            .with_deflate(GZIP_LEVEL);
    }
}

/// Chunks of at most [`CHUNK_BYTES`] (like h5py's automatic chunking): the whole array when it
/// is small, else the largest dimension (the first of equals) halved until a chunk fits.
fn chunk_shape(shape: &[u64], element_bytes: u64) -> Vec<u64> {
    let mut chunk = shape.to_vec();
    loop {
        let bytes = chunk
            .iter()
            .fold(element_bytes, |acc, &d| acc.saturating_mul(d));
        if bytes <= CHUNK_BYTES {
            return chunk;
        }
        let Some(largest) = chunk
            .iter_mut()
            .rev()
            .filter(|d| **d > 1)
            .max_by_key(|d| **d)
        else {
            return chunk;
        };
        *largest = largest.div_ceil(2);
    }
}

#[cfg(test)]
mod tests {
    use super::chunk_shape;

    #[test]
    fn chunks_stay_under_a_mebibyte() {
        assert_eq!(chunk_shape(&[38, 12], 4), [38, 12]);
        assert_eq!(chunk_shape(&[700, 500], 4), [350, 500]);
        assert_eq!(chunk_shape(&[4096, 4096], 8), [256, 512]);
        assert_eq!(chunk_shape(&[1 << 20, 1], 8), [1 << 17, 1]);
    }
}
