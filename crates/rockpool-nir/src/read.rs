//! Reading `.nir` files (HDF5) into a [`NirGraph`].
//!
//! Accepts what Python `nir` 1.0.8 and its predecessors wrote: variable-length or fixed-length
//! strings, gzip-chunked (nir ≥ 1.0) or contiguous uncompressed (2023 files) arrays, scalar or
//! pair convolution settings, files without `v_reset` or `w_in`. Every size read from the file
//! is compared with [`rockpool_io::max_array_bytes`] before anything is allocated, and a panic
//! inside the HDF5 reader is turned into an error.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

use hdf5_pure::{Dataset, Group};

use crate::array::Array;
use crate::error::{NirError, Result};
use crate::graph::{CheckOptions, MetaValue, Metadata, NirGraph};
use crate::hdf5::{
    Members, child_group, guard, is_bool, is_string, members, open, read_array, read_bools,
    read_string, read_strings, sized,
};
use crate::node::{
    Affine, Conv1d, Conv2d, CubaLi, CubaLif, Delay, Flatten, IntegrateAndFire, Integrator,
    LeakyIntegrator, Lif, Linear, NODE_TYPES, Node, Padding, Pool2d, Scale, Threshold,
};

/// Deepest nesting of subgraphs and metadata groups (a guard against hostile recursion).
const MAX_DEPTH: usize = 64;
/// Most groups (nodes, subgraphs, metadata groups) one file may make the reader visit: HDF5
/// hard links can make a group its own descendant, and a few such links would otherwise make
/// the walk exponential.
const MAX_GROUPS: usize = 1 << 20;

/// Reads a NIR graph from a `.nir` file and checks it ([`NirGraph::check`]).
///
/// # Errors
/// [`NirError::Io`] if the file cannot be read; otherwise an error naming the file and the
/// node, field, edge or HDF5 object at fault: not HDF5 or truncated ([`NirError::Hdf5`]), not
/// NIR's layout ([`NirError::Layout`]), an unknown node type or an unexpected field
/// ([`NirError::Node`], [`NirError::Field`]), parameter shapes that disagree, an edge naming a
/// missing node or joining mismatched shapes ([`NirError::Edge`]).
pub fn read(path: impl AsRef<Path>) -> Result<NirGraph> {
    read_with_options(path, CheckOptions::default())
}

/// [`read`] with a choice of checks: `CheckOptions { edge_shapes: false }` loads graphs whose
/// shapes along edges disagree (Python's `nir.read(..., type_check=False)`; e.g. the paper's
/// `lif_rockpool.nir`, whose `Output` is `[1, 1, 1]` after a 1-neuron LIF).
///
/// # Errors
/// As [`read`].
pub fn read_with_options(path: impl AsRef<Path>, options: CheckOptions) -> Result<NirGraph> {
    let path = path.as_ref();
    let bytes = rockpool_io::read_bytes(path)?;
    from_bytes(bytes, options).map_err(|e| e.in_file(path))
}

/// Reads the `/version` string of a `.nir` file (the `nir` package version that wrote it, e.g.
/// `"1.0.8"`; the NIR paper's files say `"0.1.1"` or `"0.2.0"`).
///
/// # Errors
/// As [`read`], and [`NirError::Layout`] if the file has no `/version`.
pub fn read_version(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let bytes = rockpool_io::read_bytes(path)?;
    let inner = || -> Result<String> {
        let file = open(bytes)?;
        let ds = guard(|| file.root().dataset("version"))
            .map_err(|_| NirError::layout("/version", "missing"))?;
        read_string(&ds).map_err(|m| NirError::layout("/version", m))
    };
    inner().map_err(|e| e.in_file(path))
}

/// Reads a NIR graph from the bytes of a `.nir` file (errors carry no path).
///
/// # Errors
/// As [`read`].
pub fn from_bytes(bytes: Vec<u8>, options: CheckOptions) -> Result<NirGraph> {
    let file = open(bytes)?;
    let root = file.root();
    let node = child_group(&root, "node")
        .ok_or_else(|| NirError::layout("/", "has no group 'node' (not a NIR file)"))?;
    let reader = Reader {
        limit: limit()?,
        groups: Cell::new(0),
    };
    let graph = reader.graph(&node, "/node", "", 0)?;
    graph.check_with(options)?;
    Ok(graph)
}

/// The array byte limit.
fn limit() -> Result<u64> {
    Ok(rockpool_io::max_array_bytes()?)
}

/// Reading with the array limit and the count of groups visited.
struct Reader {
    limit: u64,
    groups: Cell<usize>,
}

impl Reader {
    /// Counts one more group visited; an error past [`MAX_GROUPS`].
    fn visit(&self, location: &str) -> Result<()> {
        let n = self.groups.get() + 1;
        self.groups.set(n);
        if n > MAX_GROUPS {
            return Err(NirError::layout(
                location,
                format!("more than {MAX_GROUPS} groups to read (a cycle of hard links?)"),
            ));
        }
        Ok(())
    }

    /// A `NIRGraph` group: `type`, `nodes/`, `edges`, optional `metadata/`.
    fn graph(&self, group: &Group, location: &str, prefix: &str, depth: usize) -> Result<NirGraph> {
        if depth > MAX_DEPTH {
            return Err(NirError::layout(
                location,
                format!("subgraphs nested deeper than {MAX_DEPTH}"),
            ));
        }
        self.visit(location)?;
        let Members { datasets, groups } = members(group, location)?;
        let node_name = if prefix.is_empty() {
            "<top level>"
        } else {
            prefix
        };
        for name in datasets.keys() {
            if !matches!(name.as_str(), "type" | "edges") {
                return Err(NirError::field(
                    node_name,
                    name,
                    "is not a field of NIRGraph (fields: type, nodes, edges, metadata)",
                ));
            }
        }
        for name in groups.keys() {
            if !matches!(name.as_str(), "nodes" | "metadata") {
                return Err(NirError::field(
                    node_name,
                    name,
                    "is not a field of NIRGraph (fields: type, nodes, edges, metadata)",
                ));
            }
        }
        if let Some(ds) = datasets.get("type") {
            let t = read_string(ds).map_err(|m| NirError::field(node_name, "type", m))?;
            if t != "NIRGraph" {
                return Err(NirError::node(
                    node_name,
                    format!("is a graph group but its type is '{t}'"),
                ));
            }
        }
        let mut graph = NirGraph::new();
        let nodes_location = format!("{location}/nodes");
        let nodes_group = groups
            .get("nodes")
            .ok_or_else(|| NirError::field(node_name, "nodes", "is missing"))?;
        let nodes = members(nodes_group, &nodes_location)?;
        if let Some(name) = nodes.datasets.keys().next() {
            return Err(NirError::layout(
                &format!("{nodes_location}/{name}"),
                "is a dataset; every node must be a group",
            ));
        }
        for (name, g) in &nodes.groups {
            let full = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let (node, metadata) =
                self.node(g, &format!("{nodes_location}/{name}"), &full, depth)?;
            if !metadata.is_empty() {
                graph.node_metadata.insert(name.clone(), metadata);
            }
            graph.nodes.insert(name.clone(), node);
        }
        let edges = datasets
            .get("edges")
            .ok_or_else(|| NirError::field(node_name, "edges", "is missing"))?;
        graph.edges = self
            .edges(edges)
            .map_err(|m| NirError::field(node_name, "edges", m))?;
        if let Some(meta) = groups.get("metadata") {
            graph.metadata =
                self.metadata(meta, &format!("{location}/metadata"), node_name, "", depth)?;
        }
        Ok(graph)
    }

    /// The `[E, 2]` string array of edges (an empty dataset of any type for no edges).
    fn edges(&self, ds: &Dataset) -> Result<Vec<(String, String)>, String> {
        let (shape, count) = sized(ds, self.limit)?;
        if count == 0 {
            return Ok(Vec::new());
        }
        if shape.len() != 2 || shape[1] != 2 {
            return Err(format!(
                "has shape {}, expected (E, 2) node names",
                crate::error::shape_text(&shape)
            ));
        }
        let (_, strings) = read_strings(ds, self.limit)?;
        Ok(strings
            .chunks_exact(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect())
    }

    /// A metadata group (at HDF5 path `location`): numbers, booleans, strings and nested
    /// groups.
    fn metadata(
        &self,
        group: &Group,
        location: &str,
        owner: &str,
        key_prefix: &str,
        depth: usize,
    ) -> Result<Metadata> {
        let error = |key: &str, message: String| NirError::Metadata {
            owner: if owner == "<top level>" {
                String::new()
            } else {
                owner.to_owned()
            },
            key: format!("{key_prefix}{key}"),
            message,
        };
        if depth > MAX_DEPTH {
            return Err(error("", format!("nested deeper than {MAX_DEPTH}")));
        }
        self.visit(location)?;
        let Members { datasets, groups } = members(group, location)?;
        let mut metadata = Metadata::new();
        for (key, ds) in &datasets {
            let value = if is_bool(ds) {
                MetaValue::Bool(read_bools(ds, self.limit).map_err(|m| error(key, m))?)
            } else if is_string(ds) {
                let (shape, mut strings) =
                    read_strings(ds, self.limit).map_err(|m| error(key, m))?;
                match shape.len() {
                    0 => MetaValue::Str(strings.remove(0)),
                    1 => MetaValue::Strings(strings),
                    _ => {
                        return Err(error(
                            key,
                            "string arrays of more than 1 dimension are not supported".to_owned(),
                        ));
                    }
                }
            } else {
                MetaValue::Array(read_array(ds, self.limit).map_err(|m| error(key, m))?)
            };
            metadata.insert(key.clone(), value);
        }
        for (key, g) in &groups {
            let nested = self.metadata(
                g,
                &format!("{location}/{key}"),
                owner,
                &format!("{key_prefix}{key}."),
                depth + 1,
            )?;
            metadata.insert(key.clone(), MetaValue::Map(nested));
        }
        Ok(metadata)
    }

    /// One node group: its `type`, its fields and its optional `metadata/`.
    fn node(
        &self,
        group: &Group,
        location: &str,
        name: &str,
        depth: usize,
    ) -> Result<(Node, Metadata)> {
        self.visit(location)?;
        let Members { datasets, groups } = members(group, location)?;
        let mut datasets = datasets;
        let type_ds = datasets
            .remove("type")
            .ok_or_else(|| NirError::node(name, "has no 'type' dataset"))?;
        let type_name = read_string(&type_ds).map_err(|m| NirError::field(name, "type", m))?;
        if type_name == "NIRGraph" {
            let graph = self.graph(group, location, name, depth + 1)?;
            return Ok((Node::Graph(graph), Metadata::new()));
        }
        if !NODE_TYPES.contains(&type_name.as_str()) {
            return Err(NirError::node(
                name,
                format!(
                    "unknown NIR node type '{type_name}' (known: {})",
                    NODE_TYPES.join(", ")
                ),
            ));
        }
        let mut metadata = Metadata::new();
        for (group_name, g) in &groups {
            if group_name == "metadata" {
                metadata =
                    self.metadata(g, &format!("{location}/metadata"), name, "", depth + 1)?;
            } else {
                return Err(NirError::field(
                    name,
                    group_name,
                    format!("is a group, not a field of {type_name}"),
                ));
            }
        }
        let mut fields = Fields {
            node: name,
            type_name: &type_name,
            datasets,
            used: Vec::new(),
            limit: self.limit,
        };
        let node = fields.build()?;
        fields.finish()?;
        Ok((node, metadata))
    }
}

/// The datasets of one node, taken field by field; what is left over is an error.
struct Fields<'a> {
    node: &'a str,
    type_name: &'a str,
    datasets: BTreeMap<String, Dataset>,
    used: Vec<&'static str>,
    limit: u64,
}

impl Fields<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> NirError {
        NirError::field(self.node, field, message)
    }

    fn take(&mut self, field: &'static str) -> Option<Dataset> {
        self.used.push(field);
        self.datasets.remove(field)
    }

    fn opt_array(&mut self, field: &'static str) -> Result<Option<Array>> {
        match self.take(field) {
            None => Ok(None),
            Some(ds) => read_array(&ds, self.limit)
                .map(Some)
                .map_err(|m| self.error(field, m)),
        }
    }

    fn array(&mut self, field: &'static str) -> Result<Array> {
        self.opt_array(field)?.ok_or_else(|| {
            self.error(
                field,
                format!("is missing (a {} node needs it)", self.type_name),
            )
        })
    }

    /// Non-negative integers (integer dtype, or floats holding whole numbers).
    fn opt_ints(&mut self, field: &'static str) -> Result<Option<(Vec<usize>, Vec<usize>)>> {
        let Some(a) = self.opt_array(field)? else {
            return Ok(None);
        };
        let shape = a.shape().to_vec();
        let values = a.to_f64();
        let mut out = Vec::with_capacity(values.len());
        for &v in &values {
            if v.fract() != 0.0 || !(0.0..9.0e15).contains(&v) {
                return Err(self.error(field, format!("holds {v}, expected a whole number ≥ 0")));
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked above
            out.push(v as usize);
        }
        Ok(Some((shape, out)))
    }

    /// One integer (a scalar or one-element array).
    fn opt_int(&mut self, field: &'static str) -> Result<Option<usize>> {
        match self.opt_ints(field)? {
            None => Ok(None),
            Some((_, v)) if v.len() == 1 => Ok(Some(v[0])),
            Some((shape, _)) => Err(self.error(
                field,
                format!(
                    "has shape {}, expected one integer",
                    crate::error::shape_text(&shape)
                ),
            )),
        }
    }

    fn int(&mut self, field: &'static str) -> Result<usize> {
        self.opt_int(field)?.ok_or_else(|| {
            self.error(
                field,
                format!("is missing (a {} node needs it)", self.type_name),
            )
        })
    }

    /// A pair, or one integer used for both.
    fn opt_pair(&mut self, field: &'static str) -> Result<Option<[usize; 2]>> {
        match self.opt_ints(field)? {
            None => Ok(None),
            Some((_, v)) if v.len() == 1 => Ok(Some([v[0], v[0]])),
            Some((shape, v)) if shape == [2] => Ok(Some([v[0], v[1]])),
            Some((shape, _)) => Err(self.error(
                field,
                format!(
                    "has shape {}, expected one integer or a pair",
                    crate::error::shape_text(&shape)
                ),
            )),
        }
    }

    fn pair(&mut self, field: &'static str) -> Result<[usize; 2]> {
        self.opt_pair(field)?.ok_or_else(|| {
            self.error(
                field,
                format!("is missing (a {} node needs it)", self.type_name),
            )
        })
    }

    /// A signed integer (Flatten's dimensions).
    fn signed(&mut self, field: &'static str, default: i64) -> Result<i64> {
        let Some(a) = self.opt_array(field)? else {
            return Ok(default);
        };
        match a {
            Array::I64(v) if v.len() == 1 => Ok(v.iter().copied().next().unwrap_or(default)),
            other => Err(self.error(
                field,
                format!(
                    "has type {} and shape {}, expected one integer",
                    other.dtype(),
                    other.shape_text()
                ),
            )),
        }
    }

    /// `'same'`, `'valid'` or explicit padding; `explicit` turns the integers into `P`.
    fn padding<P>(
        &mut self,
        explicit: impl FnOnce(&mut Self) -> Result<Option<P>>,
    ) -> Result<Padding<P>> {
        if self.datasets.get("padding").is_some_and(is_string)
            && let Some(ds) = self.take("padding")
        {
            let word = read_string(&ds).map_err(|m| self.error("padding", m))?;
            return match word.as_str() {
                "same" => Ok(Padding::Same),
                "valid" => Ok(Padding::Valid),
                other => Err(self.error(
                    "padding",
                    format!("is '{other}', expected 'same', 'valid' or integers"),
                )),
            };
        }
        explicit(self)?.map(Padding::Explicit).ok_or_else(|| {
            self.error(
                "padding",
                format!("is missing (a {} node needs it)", self.type_name),
            )
        })
    }

    /// A parameter that defaults (to `value`, in the shape and dtype of `like`) when absent,
    /// and broadcasts from a scalar.
    fn defaulted(&mut self, field: &'static str, like: &Array, value: f64) -> Result<Array> {
        match self.opt_array(field)? {
            None => Ok(like.full_like(value)),
            Some(a) => Ok(a.broadcast_to(like.shape()).unwrap_or(a)),
        }
    }

    fn build(&mut self) -> Result<Node> {
        Ok(match self.type_name {
            "Input" => Node::Input {
                shape: self.shape("shape")?,
            },
            "Output" => Node::Output {
                shape: self.shape("shape")?,
            },
            "Affine" => Node::Affine(Affine {
                weight: self.array("weight")?,
                bias: self.array("bias")?,
            }),
            "Linear" => Node::Linear(Linear {
                weight: self.array("weight")?,
            }),
            "Scale" => Node::Scale(Scale {
                scale: self.array("scale")?,
            }),
            "Threshold" => Node::Threshold(Threshold {
                threshold: self.array("threshold")?,
            }),
            "Delay" => Node::Delay(Delay {
                delay: self.array("delay")?,
            }),
            "Flatten" => Node::Flatten(Flatten {
                input_type: match self.opt_ints("input_type")? {
                    None => None,
                    Some((shape, v)) if shape.len() <= 1 => Some(v),
                    Some((shape, _)) => {
                        return Err(self.error(
                            "input_type",
                            format!(
                                "has shape {}, expected a 1-D shape",
                                crate::error::shape_text(&shape)
                            ),
                        ));
                    }
                },
                start_dim: self.signed("start_dim", 1)?,
                end_dim: self.signed("end_dim", -1)?,
            }),
            "I" => Node::I(Integrator {
                r: self.array("r")?,
            }),
            "IF" => {
                let r = self.array("r")?;
                let v_threshold = self.array("v_threshold")?;
                let v_reset = self.defaulted("v_reset", &v_threshold, 0.0)?;
                Node::If(IntegrateAndFire {
                    r,
                    v_threshold,
                    v_reset,
                })
            }
            "LI" => Node::Li(LeakyIntegrator {
                tau: self.array("tau")?,
                r: self.array("r")?,
                v_leak: self.array("v_leak")?,
            }),
            "LIF" => {
                let (tau, r, v_leak) =
                    (self.array("tau")?, self.array("r")?, self.array("v_leak")?);
                let v_threshold = self.array("v_threshold")?;
                let v_reset = self.defaulted("v_reset", &v_threshold, 0.0)?;
                Node::Lif(Lif {
                    tau,
                    r,
                    v_leak,
                    v_threshold,
                    v_reset,
                })
            }
            "CubaLI" => {
                let (tau_syn, tau_mem) = (self.array("tau_syn")?, self.array("tau_mem")?);
                let (r, v_leak) = (self.array("r")?, self.array("v_leak")?);
                let w_in = self.defaulted("w_in", &v_leak, 1.0)?;
                Node::CubaLi(CubaLi {
                    tau_syn,
                    tau_mem,
                    r,
                    v_leak,
                    w_in,
                })
            }
            "CubaLIF" => {
                let (tau_syn, tau_mem) = (self.array("tau_syn")?, self.array("tau_mem")?);
                let (r, v_leak) = (self.array("r")?, self.array("v_leak")?);
                let v_threshold = self.array("v_threshold")?;
                let v_reset = self.defaulted("v_reset", &v_threshold, 0.0)?;
                let w_in = self.defaulted("w_in", &v_threshold, 1.0)?;
                Node::CubaLif(CubaLif {
                    tau_syn,
                    tau_mem,
                    r,
                    v_leak,
                    v_threshold,
                    v_reset,
                    w_in,
                })
            }
            "Conv1d" => Node::Conv1d(Conv1d {
                weight: self.array("weight")?,
                stride: self.int("stride")?,
                padding: self.padding(|f| f.opt_int("padding"))?,
                dilation: self.int("dilation")?,
                groups: self.int("groups")?,
                bias: self.array("bias")?,
                input_shape: self.opt_int("input_shape")?,
            }),
            "Conv2d" => Node::Conv2d(Conv2d {
                weight: self.array("weight")?,
                stride: self.pair("stride")?,
                padding: self.padding(|f| f.opt_pair("padding"))?,
                dilation: self.pair("dilation")?,
                groups: self.int("groups")?,
                bias: self.array("bias")?,
                input_shape: self.opt_pair("input_shape")?,
            }),
            "SumPool2d" => Node::SumPool2d(self.pool()?),
            "AvgPool2d" => Node::AvgPool2d(self.pool()?),
            other => {
                return Err(NirError::node(
                    self.node,
                    format!("unknown NIR node type '{other}'"),
                ));
            }
        })
    }

    fn pool(&mut self) -> Result<Pool2d> {
        Ok(Pool2d {
            kernel_size: self.pair("kernel_size")?,
            stride: self.pair("stride")?,
            padding: self.pair("padding")?,
        })
    }

    /// `Input`/`Output` shapes: a 1-D integer array (a scalar counts as one dimension).
    fn shape(&mut self, field: &'static str) -> Result<Vec<usize>> {
        match self.opt_ints(field)? {
            Some((shape, v)) if shape.len() <= 1 => Ok(v),
            Some((shape, _)) => Err(self.error(
                field,
                format!(
                    "has shape {}, expected a 1-D shape",
                    crate::error::shape_text(&shape)
                ),
            )),
            None => Err(self.error(
                field,
                format!("is missing (a {} node needs it)", self.type_name),
            )),
        }
    }

    /// Refuses fields the node type does not have (Python `nir` refuses them too).
    fn finish(&self) -> Result<()> {
        if let Some(extra) = self.datasets.keys().next() {
            let known = &self.used;
            return Err(self.error(
                extra,
                format!(
                    "is not a field of {} (fields: {})",
                    self.type_name,
                    known.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
