//! The graph arena: nodes, modules, and merging nodes when sub-graphs are connected.
//!
//! Rockpool's graph is made of shared mutable objects: a `GraphNode` knows its source and
//! sink modules, a module knows its input and output nodes, and `connect_modules` merges
//! nodes by rewriting every reference. Here the graph owns everything in two vectors and hands
//! out plain ids ([`NodeId`], [`ModuleId`]). Merged nodes form a union-find forest: a node
//! id stays valid after it has been merged away and resolves to the surviving node, so the
//! [`SubGraph`] handles returned by the builders never go stale.
//!
//! The order of a node's source and sink lists is Rockpool's (modules register themselves in
//! creation order; a merge appends the merged node's modules to the survivor's), because the
//! discovery order of [`Graph::discovery_order`] — and with it Xylo's hardware-id allocation —
//! depends on it.

use std::fmt;

use crate::error::{GraphError, Result};
use crate::module::{GraphModule, ModuleKind};

/// A signal channel of a [`Graph`]: an index into the graph's node arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) usize);

impl NodeId {
    /// The index in the graph's node arena (stable; merged-away nodes keep theirs).
    pub fn index(self) -> usize {
        self.0
    }
}

/// A module of a [`Graph`]: an index into the graph's module arena, in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub(crate) usize);

impl ModuleId {
    /// The index in the graph's module arena (creation order).
    pub fn index(self) -> usize {
        self.0
    }
}

/// A group of nodes with a name: what Rockpool's `GraphHolder` is. Builders return one for
/// each block (its input and output nodes); containers are sub-graphs whose inputs are the
/// first block's inputs and whose outputs are the last block's outputs. A sub-graph is not a
/// module: it is never a source or sink of a node.
///
/// The ids may have been merged by later [`connect`](Graph::connect) calls; every method of
/// [`Graph`] resolves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubGraph {
    /// A name for messages and for the modules a builder derives from it.
    pub name: String,
    /// The ordered input nodes.
    pub inputs: Vec<NodeId>,
    /// The ordered output nodes.
    pub outputs: Vec<NodeId>,
}

impl SubGraph {
    /// Number of input nodes.
    pub fn n_in(&self) -> usize {
        self.inputs.len()
    }

    /// Number of output nodes.
    pub fn n_out(&self) -> usize {
        self.outputs.len()
    }
}

#[derive(Debug, Clone)]
struct NodeData {
    /// Union-find parent; itself for a live node.
    parent: usize,
    /// Modules driving this node, in registration order.
    sources: Vec<ModuleId>,
    /// Modules reading this node, in registration order.
    sinks: Vec<ModuleId>,
}

/// A computational graph: modules ([`GraphModule`]) connected through nodes, plus the ordered
/// input and output nodes of the whole network.
///
/// Build it with the block builders ([`linear`](Graph::linear), [`lif`](Graph::lif),
/// [`lif_recurrent`](Graph::lif_recurrent), [`sequential`](Graph::sequential),
/// [`residual`](Graph::residual), …) and declare the network's ends with
/// [`set_io`](Graph::set_io).
///
/// ```
/// use ndarray::Array2;
/// use rockpool_graph::{Graph, LifNeurons};
///
/// let mut g = Graph::new("net");
/// let w1 = g.linear("w1", Array2::ones((2, 3)), None).unwrap();
/// let n1 = g.lif("lif1", LifNeurons::new(3, 1)).unwrap();
/// let w2 = g.linear("w2", Array2::ones((3, 1)), None).unwrap();
/// let n2 = g.lif("lif2", LifNeurons::new(1, 1)).unwrap();
/// let net = g.sequential("net", &[w1, n1, w2, n2]).unwrap();
/// g.set_io(&net).unwrap();
/// assert_eq!(g.inputs().len(), 2);
/// let names: Vec<_> = g.modules_in_discovery_order().iter().map(|&m| g.module(m).name()).collect();
/// assert_eq!(names, ["w1", "lif1", "w2", "lif2"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Graph {
    name: String,
    nodes: Vec<NodeData>,
    modules: Vec<GraphModule>,
    inputs: Vec<NodeId>,
    outputs: Vec<NodeId>,
}

impl Graph {
    /// An empty graph.
    pub fn new(name: impl Into<String>) -> Self {
        Graph {
            name: name.into(),
            ..Graph::default()
        }
    }

    /// The graph's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates `n` fresh, unconnected nodes.
    pub fn add_nodes(&mut self, n: usize) -> Vec<NodeId> {
        let start = self.nodes.len();
        self.nodes.extend((start..start + n).map(|i| NodeData {
            parent: i,
            sources: Vec::new(),
            sinks: Vec::new(),
        }));
        (start..start + n).map(NodeId).collect()
    }

    /// The surviving node that `id` was merged into (itself if it was never merged).
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] for an id from another graph.
    pub fn resolve(&self, id: NodeId) -> Result<NodeId> {
        if id.0 >= self.nodes.len() {
            return Err(GraphError::UnknownNode(id));
        }
        Ok(NodeId(self.root(id.0)))
    }

    /// [`resolve`](Self::resolve) for a list.
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] for an id from another graph.
    pub fn resolve_all(&self, ids: &[NodeId]) -> Result<Vec<NodeId>> {
        ids.iter().map(|&id| self.resolve(id)).collect()
    }

    fn root(&self, mut i: usize) -> usize {
        while self.nodes[i].parent != i {
            i = self.nodes[i].parent;
        }
        i
    }

    fn live(&self, id: NodeId) -> &NodeData {
        &self.nodes[self.root(id.0)]
    }

    /// The modules driving node `id`, in Rockpool's order.
    ///
    /// # Panics
    /// If `id` is not a node of this graph.
    pub fn sources(&self, id: NodeId) -> &[ModuleId] {
        &self.live(id).sources
    }

    /// The modules reading node `id`, in Rockpool's order.
    ///
    /// # Panics
    /// If `id` is not a node of this graph.
    pub fn sinks(&self, id: NodeId) -> &[ModuleId] {
        &self.live(id).sinks
    }

    /// Number of live nodes (merged nodes count once).
    pub fn node_count(&self) -> usize {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].parent == i)
            .count()
    }

    /// Size of the node arena (merged-away nodes included): the bound of every [`NodeId`].
    pub(crate) fn nodes_len(&self) -> usize {
        self.nodes.len()
    }

    /// Number of modules.
    pub fn module_count(&self) -> usize {
        self.modules.len()
    }

    /// The module `id`.
    ///
    /// # Panics
    /// If `id` is not a module of this graph (use [`get_module`](Self::get_module) to check).
    pub fn module(&self, id: ModuleId) -> &GraphModule {
        &self.modules[id.0]
    }

    /// The module `id`, or `None` if it is not a module of this graph.
    pub fn get_module(&self, id: ModuleId) -> Option<&GraphModule> {
        self.modules.get(id.0)
    }

    /// All modules in creation order (reachable or not).
    pub fn modules(&self) -> impl Iterator<Item = (ModuleId, &GraphModule)> {
        self.modules
            .iter()
            .enumerate()
            .map(|(i, m)| (ModuleId(i), m))
    }

    /// Adds a module reading `inputs` and driving `outputs` (existing nodes of this graph):
    /// it becomes a sink of each input node and a source of each output node, after the
    /// modules registered there before.
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] for foreign node ids; the parameter checks of the kind
    /// ([`GraphError::Shape`], [`GraphError::Value`]); [`GraphError::NodeCount`] when the
    /// node counts do not fit the parameters; [`GraphError::SizeMismatch`] for an alias
    /// connection with unequal sides.
    pub fn add_module(
        &mut self,
        name: impl Into<String>,
        kind: ModuleKind,
        inputs: &[NodeId],
        outputs: &[NodeId],
    ) -> Result<ModuleId> {
        let name = name.into();
        let inputs = self.resolve_all(inputs)?;
        let outputs = self.resolve_all(outputs)?;
        kind.check(&name, inputs.len(), outputs.len())?;
        let id = ModuleId(self.modules.len());
        for n in &inputs {
            push_unique(&mut self.nodes[n.0].sinks, id);
        }
        for n in &outputs {
            push_unique(&mut self.nodes[n.0].sources, id);
        }
        self.modules.push(GraphModule {
            name,
            kind,
            inputs,
            outputs,
        });
        Ok(id)
    }

    /// Adds a module on `n_in` fresh input and `n_out` fresh output nodes (Rockpool's
    /// `_factory`) and returns it with a sub-graph of those nodes named after it.
    ///
    /// # Errors
    /// As [`add_module`](Self::add_module).
    pub fn add_module_with_new_nodes(
        &mut self,
        name: impl Into<String>,
        kind: ModuleKind,
        n_in: usize,
        n_out: usize,
    ) -> Result<(ModuleId, SubGraph)> {
        let name = name.into();
        // Check before creating nodes, so a refused module leaves no stray nodes behind.
        kind.check(&name, n_in, n_out)?;
        let inputs = self.add_nodes(n_in);
        let outputs = self.add_nodes(n_out);
        let id = self.add_module(name.clone(), kind, &inputs, &outputs)?;
        Ok((
            id,
            SubGraph {
                name,
                inputs,
                outputs,
            },
        ))
    }

    /// Connects `sources` (output nodes of one block) to `destinations` (input nodes of the
    /// next) one to one, merging each pair into one node (Rockpool's `connect_modules`).
    ///
    /// The source node survives; the destination node's source and sink modules are
    /// appended to its lists and every module that referred to the destination node now
    /// refers to the source node. Pairs that are already the same node are left alone.
    ///
    /// # Errors
    /// [`GraphError::SizeMismatch`] if the lists differ in length (nothing is merged then);
    /// [`GraphError::UnknownNode`] for foreign ids.
    pub fn connect(&mut self, sources: &[NodeId], destinations: &[NodeId]) -> Result<()> {
        if sources.len() != destinations.len() {
            return Err(GraphError::SizeMismatch {
                context: "connect".into(),
                left: sources.len(),
                left_what: "source output nodes",
                right: destinations.len(),
                right_what: "destination input nodes",
            });
        }
        self.resolve_all(sources)?;
        self.resolve_all(destinations)?;
        for (&s, &d) in sources.iter().zip(destinations) {
            let (s, d) = (self.root(s.0), self.root(d.0));
            if s != d {
                self.merge(s, d);
            }
        }
        Ok(())
    }

    /// Merges live node `d` into live node `s`.
    fn merge(&mut self, s: usize, d: usize) {
        let d_sources = std::mem::take(&mut self.nodes[d].sources);
        let d_sinks = std::mem::take(&mut self.nodes[d].sinks);
        self.nodes[d].parent = s;
        let (from, to) = (NodeId(d), NodeId(s));
        for &m in &d_sources {
            push_unique(&mut self.nodes[s].sources, m);
            replace(&mut self.modules[m.0].outputs, from, to);
        }
        for &m in &d_sinks {
            push_unique(&mut self.nodes[s].sinks, m);
            replace(&mut self.modules[m.0].inputs, from, to);
        }
    }

    /// Declares the ordered input nodes of the whole network.
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] for foreign ids.
    pub fn set_inputs(&mut self, inputs: &[NodeId]) -> Result<()> {
        self.inputs = self.resolve_all(inputs)?;
        Ok(())
    }

    /// Declares the ordered output nodes of the whole network.
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] for foreign ids.
    pub fn set_outputs(&mut self, outputs: &[NodeId]) -> Result<()> {
        self.outputs = self.resolve_all(outputs)?;
        Ok(())
    }

    /// Declares the network's inputs and outputs to be those of `net`.
    ///
    /// # Errors
    /// [`GraphError::UnknownNode`] for foreign ids.
    pub fn set_io(&mut self, net: &SubGraph) -> Result<()> {
        self.set_inputs(&net.inputs)?;
        self.set_outputs(&net.outputs)
    }

    /// The network's input nodes, resolved.
    pub fn inputs(&self) -> Vec<NodeId> {
        self.inputs.iter().map(|n| NodeId(self.root(n.0))).collect()
    }

    /// The network's output nodes, resolved.
    pub fn outputs(&self) -> Vec<NodeId> {
        self.outputs
            .iter()
            .map(|n| NodeId(self.root(n.0)))
            .collect()
    }
}

impl fmt::Display for Graph {
    /// A summary: the graph's sizes, then each reachable module in discovery order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Graph \"{}\" with {} input nodes -> {} output nodes",
            self.name,
            self.inputs.len(),
            self.outputs.len()
        )?;
        for m in self.modules_in_discovery_order() {
            write!(f, "\n  {}", self.module(m))?;
        }
        Ok(())
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn replace(v: &mut [NodeId], from: NodeId, to: NodeId) {
    for n in v.iter_mut().filter(|n| **n == from) {
        *n = to;
    }
}
