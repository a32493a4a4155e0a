//! [`NirGraph`]: named nodes, directed edges and metadata; the structural and shape checks
//! along edges.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::array::Array;
use crate::error::{NirError, Result, shape_text};
use crate::node::Node;

/// Free-form metadata of a graph or a node (e.g. `dt`, the time step an exporter trained
/// with). NIR says no reader should rely on it.
pub type Metadata = BTreeMap<String, MetaValue>;

/// One metadata value: what Python `nir` writes for a Python number, string, numpy array or
/// nested dictionary.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValue {
    /// A number (a 0-d array: `MetaValue::from(1e-3)` is a float64 scalar, as Python writes
    /// `dt = 1e-3`) or a numeric array, in its file dtype.
    Array(Array),
    /// Booleans (numpy `bool`, which h5py stores as an enum `FALSE = 0, TRUE = 1` over int8);
    /// a 0-d array for one value.
    Bool(ndarray::ArrayD<bool>),
    /// A string (stored as a variable-length UTF-8 string).
    Str(String),
    /// A 1-D array of strings.
    Strings(Vec<String>),
    /// A nested dictionary (an HDF5 group).
    Map(Metadata),
}

impl MetaValue {
    /// The value as one number: a 0-d or one-element numeric array, converted to `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            MetaValue::Array(a) if a.len() == 1 => a.to_f64().iter().next().copied(),
            _ => None,
        }
    }

    /// The value as one boolean: a 0-d or one-element boolean array.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            MetaValue::Bool(a) if a.len() == 1 => a.iter().next().copied(),
            _ => None,
        }
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<bool> for MetaValue {
    fn from(v: bool) -> Self {
        MetaValue::Bool(ndarray::arr0(v).into_dyn())
    }
}

impl From<f64> for MetaValue {
    fn from(v: f64) -> Self {
        MetaValue::Array(Array::from(ndarray::arr0(v)))
    }
}

impl From<i64> for MetaValue {
    fn from(v: i64) -> Self {
        MetaValue::Array(Array::from(ndarray::arr0(v)))
    }
}

impl From<&str> for MetaValue {
    fn from(v: &str) -> Self {
        MetaValue::Str(v.to_owned())
    }
}

impl From<String> for MetaValue {
    fn from(v: String) -> Self {
        MetaValue::Str(v)
    }
}

impl From<Array> for MetaValue {
    fn from(v: Array) -> Self {
        MetaValue::Array(v)
    }
}

/// A NIR graph (`NIRGraph`): nodes by name, directed edges between them, and metadata.
///
/// Edges are `(source, target)` node names. A node inside a subgraph ([`Node::Graph`]) is
/// addressed with a dotted name, `"<subgraph>.<node>"`; a name that exists as written (NIR
/// names may themselves contain dots, as in the paper's `lif1.w_rec`) takes precedence.
/// Cycles are allowed (recurrence is a cycle); NIR is continuous-time, so a discrete-time
/// simulator must put the one-step delay on a cycle itself. (Python `nir` 1.0.8 refuses dotted
/// names that reach into a subgraph; see the crate docs.)
#[doc(alias = "NIRGraph")]
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NirGraph {
    /// The nodes by name. Names must be non-empty and must not contain `/` (an HDF5 path
    /// separator) or be `.`.
    pub nodes: BTreeMap<String, Node>,
    /// The edges `(source, target)`, in file order.
    pub edges: Vec<(String, String)>,
    /// The graph's metadata (`/node/metadata` in the file), e.g. `dt`.
    pub metadata: Metadata,
    /// Metadata of individual non-graph nodes, by node name (a node's `metadata` group); a
    /// subgraph's own metadata is its [`NirGraph::metadata`]. Only nodes with metadata appear.
    pub node_metadata: BTreeMap<String, Metadata>,
}

/// Options of [`check_with`](NirGraph::check_with) and of
/// [`read_with_options`](crate::read_with_options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Compare the shapes that meet along every edge (where both are known), inferring the
    /// shapes of `Output`, pooling, convolutions without `input_shape` and `Flatten` without
    /// `input_type` from their inputs, as Python's `type_check=True` does. Off, only node
    /// names, edge names and each node's own shape rules are checked (Python's
    /// `type_check=False`). Default: on.
    pub edge_shapes: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self { edge_shapes: true }
    }
}

impl NirGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// This graph with `node` added as `name` (replacing a node of that name).
    #[must_use]
    pub fn with_node(mut self, name: impl Into<String>, node: Node) -> Self {
        self.nodes.insert(name.into(), node);
        self
    }

    /// This graph with the edge `from → to` added.
    #[must_use]
    pub fn with_edge(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.edges.push((from.into(), to.into()));
        self
    }

    /// The node an edge name refers to: a node of this graph named exactly `name`, else a
    /// node inside a subgraph addressed as `"<subgraph>.<rest>"` (recursively).
    pub fn resolve(&self, name: &str) -> Option<&Node> {
        if let Some(node) = self.nodes.get(name) {
            return Some(node);
        }
        name.match_indices('.')
            .find_map(|(i, _)| match self.nodes.get(&name[..i]) {
                Some(Node::Graph(g)) => g.resolve(&name[i + 1..]),
                _ => None,
            })
    }

    /// The shape of the graph's single `Input` node (`input = true`) or `Output` node;
    /// `None` unless there is exactly one.
    pub(crate) fn single_port(&self, input: bool) -> Option<Vec<usize>> {
        let mut ports = self.nodes.values().filter_map(|n| match (n, input) {
            (Node::Input { shape }, true) | (Node::Output { shape }, false) => Some(shape),
            _ => None,
        });
        let first = ports.next()?;
        ports.next().is_none().then(|| first.clone())
    }

    /// Checks the whole graph with the default options (see [`check_with`](Self::check_with)).
    ///
    /// # Errors
    /// The first problem found, naming the node and field or the edge.
    pub fn check(&self) -> Result<()> {
        self.check_with(CheckOptions::default())
    }

    /// Checks the graph: node names are valid, every node keeps its own shape rules
    /// ([`Node::check`]), node metadata belongs to nodes, every edge names existing nodes and
    /// appears once, and (with `options.edge_shapes`) the shapes along edges agree.
    /// Subgraphs are checked recursively; errors name their nodes with dotted paths.
    ///
    /// # Errors
    /// [`NirError::Node`], [`NirError::Field`], [`NirError::Edge`] or
    /// [`NirError::Metadata`] for the first problem found.
    pub fn check_with(&self, options: CheckOptions) -> Result<()> {
        self.check_graph("", options)
    }

    /// [`check`](Self::check) for a subgraph named `prefix`.
    pub(crate) fn check_in(&self, prefix: &str) -> Result<()> {
        self.check_graph(prefix, CheckOptions::default())
    }

    fn check_graph(&self, prefix: &str, options: CheckOptions) -> Result<()> {
        let full = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}.{name}")
            }
        };
        for (name, node) in &self.nodes {
            check_name(&full(name), name)?;
            match node {
                Node::Graph(g) => g.check_graph(&full(name), options)?,
                _ => node.check(&full(name))?,
            }
        }
        for name in self.node_metadata.keys() {
            match self.nodes.get(name) {
                None => {
                    return Err(NirError::node(
                        &full(name),
                        "has metadata but no such node exists",
                    ));
                }
                Some(Node::Graph(_)) => {
                    return Err(NirError::node(
                        &full(name),
                        "is a subgraph: put its metadata in the subgraph's own `metadata`",
                    ));
                }
                Some(_) => {}
            }
        }
        let mut seen = BTreeSet::new();
        for (from, to) in &self.edges {
            let edge_error = |message: String| NirError::Edge {
                graph: prefix.to_owned(),
                from: from.clone(),
                to: to.clone(),
                message,
            };
            for end in [from, to] {
                if self.resolve(end).is_none() {
                    return Err(edge_error(format!(
                        "no node named '{end}' (nodes: {})",
                        self.node_list()
                    )));
                }
            }
            if !seen.insert((from, to)) {
                return Err(edge_error("appears twice".to_owned()));
            }
        }
        if options.edge_shapes {
            self.check_edge_shapes(prefix, &full)?;
        }
        Ok(())
    }

    /// The node names for an error message (at most 20).
    fn node_list(&self) -> String {
        let mut names: Vec<String> = self
            .nodes
            .keys()
            .take(20)
            .map(|n| format!("'{n}'"))
            .collect();
        if self.nodes.len() > 20 {
            names.push(format!("… {} more", self.nodes.len() - 20));
        }
        names.join(", ")
    }

    /// Propagates shapes along the edges (to nodes whose shapes follow from their input) and
    /// compares the shapes that meet.
    fn check_edge_shapes(&self, prefix: &str, full: &dyn Fn(&str) -> String) -> Result<()> {
        let mut input: HashMap<&str, Option<Vec<usize>>> = HashMap::new();
        let mut output: HashMap<&str, Option<Vec<usize>>> = HashMap::new();
        for (from, to) in &self.edges {
            for end in [from.as_str(), to.as_str()] {
                if let Some(node) = self.resolve(end) {
                    input.entry(end).or_insert_with(|| node.input_shape());
                    output.entry(end).or_insert_with(|| node.output_shape());
                }
            }
        }
        loop {
            let mut changed = false;
            for (from, to) in &self.edges {
                let Some(Some(given)) = output.get(from.as_str()).cloned() else {
                    continue;
                };
                match input.get(to.as_str()).cloned().flatten() {
                    Some(taken) if taken != given => {
                        return Err(NirError::Edge {
                            graph: prefix.to_owned(),
                            from: from.clone(),
                            to: to.clone(),
                            message: format!(
                                "'{from}' gives shape {} but '{to}' takes {}",
                                shape_text(&given),
                                shape_text(&taken)
                            ),
                        });
                    }
                    Some(_) => {}
                    None => {
                        changed = true;
                        input.insert(to.as_str(), Some(given.clone()));
                        // Only nodes of this graph derive their output; a node inside a
                        // subgraph keeps the shapes it fixes itself.
                        if let (Some(node), Some(None)) =
                            (self.nodes.get(to.as_str()), output.get(to.as_str()))
                        {
                            let derived = node.output_for_input(&given).map_err(|m| {
                                NirError::node(
                                    &full(to),
                                    format!(
                                        "cannot take the shape {} from '{from}': {m}",
                                        shape_text(&given)
                                    ),
                                )
                            })?;
                            output.insert(to.as_str(), derived);
                        }
                    }
                }
            }
            if !changed {
                return Ok(());
            }
        }
    }
}

/// A node name must be usable as an HDF5 group name.
fn check_name(full: &str, name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name.contains('/') || name.contains('\0') {
        return Err(NirError::node(
            full,
            "is not a valid node name (empty, '.', or containing '/' or NUL)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Affine, Lif};
    use ndarray::{ArrayD, IxDyn};

    fn ones(shape: &[usize]) -> Array {
        Array::F64(ArrayD::ones(IxDyn(shape)))
    }

    fn lif(n: usize) -> Node {
        Node::Lif(Lif {
            tau: ones(&[n]),
            r: ones(&[n]),
            v_leak: ones(&[n]),
            v_threshold: ones(&[n]),
            v_reset: ones(&[n]),
        })
    }

    fn affine(out: usize, inp: usize) -> Node {
        Node::Affine(Affine {
            weight: ones(&[out, inp]),
            bias: ones(&[out]),
        })
    }

    #[test]
    fn edges_are_checked_by_name_and_shape() {
        let g = NirGraph::new()
            .with_node("in", Node::Input { shape: vec![3] })
            .with_node("fc", affine(4, 3))
            .with_node("lif", lif(4))
            .with_node("out", Node::Output { shape: vec![4] })
            .with_edge("in", "fc")
            .with_edge("fc", "lif")
            .with_edge("lif", "out");
        g.check().unwrap();

        let missing = g.clone().with_edge("lif", "nowhere");
        let err = missing.check().unwrap_err().to_string();
        assert!(
            err.contains("edge ('lif', 'nowhere')") && err.contains("no node named 'nowhere'"),
            "{err}"
        );

        let twice = g.clone().with_edge("in", "fc");
        assert!(
            twice
                .check()
                .unwrap_err()
                .to_string()
                .contains("appears twice")
        );

        let wrong = g.clone().with_node("lif", lif(5));
        let err = wrong.check().unwrap_err().to_string();
        assert_eq!(
            err,
            "edge ('fc', 'lif'): 'fc' gives shape (4,) but 'lif' takes (5,)"
        );
        wrong
            .check_with(CheckOptions { edge_shapes: false })
            .unwrap();
    }

    #[test]
    fn dotted_names_reach_into_subgraphs() {
        let inner = NirGraph::new()
            .with_node("in", Node::Input { shape: vec![4] })
            .with_node("lif", lif(4))
            .with_node("out", Node::Output { shape: vec![4] })
            .with_edge("in", "lif")
            .with_edge("lif", "out");
        let g = NirGraph::new()
            .with_node("fc", affine(4, 2))
            .with_node("sub", Node::Graph(inner))
            .with_node("fc.x", affine(2, 4))
            .with_edge("fc", "sub.lif")
            .with_edge("sub", "fc.x");
        assert!(matches!(g.resolve("sub.lif"), Some(Node::Lif(_))));
        assert!(matches!(g.resolve("fc.x"), Some(Node::Affine(_))));
        g.check().unwrap();
        let bad = g.clone().with_edge("fc", "sub.nothing");
        assert!(bad.check().is_err());
    }

    #[test]
    fn output_shapes_are_inferred() {
        let g = NirGraph::new()
            .with_node("in", Node::Input { shape: vec![3] })
            .with_node("lif", lif(3))
            .with_node("out", Node::Output { shape: vec![2] })
            .with_edge("in", "lif")
            .with_edge("lif", "out");
        let err = g.check().unwrap_err().to_string();
        assert!(
            err.contains("'lif' gives shape (3,) but 'out' takes (2,)"),
            "{err}"
        );
    }
}
