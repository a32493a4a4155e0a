//! Questions about a whole graph: what is reachable and in which order, which modules are
//! recurrent, which neurons are the network's outputs.

use crate::graph::{Graph, ModuleId, NodeId};

/// The nodes and modules reachable from a graph's inputs (then its outputs), in discovery
/// order (Rockpool's `bag_graph`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Discovery {
    /// Reachable nodes, in the order they were first visited.
    pub nodes: Vec<NodeId>,
    /// Reachable modules, in the order they were first visited.
    pub modules: Vec<ModuleId>,
}

/// A list of nodes whose modules are being walked: the node at `node`, and the position
/// `module` in that node's `sources ++ sinks`.
struct Frame {
    nodes: Vec<NodeId>,
    node: usize,
    module: usize,
}

impl Graph {
    /// Every node and module reachable from the network's input and output nodes, in
    /// Rockpool's discovery order (`bag_graph`).
    ///
    /// The walk starts by recording the network's input and then output nodes. Visiting a
    /// module records the module, then records those of its nodes (inputs, then outputs) not
    /// seen before, then goes through *all* its nodes in that order and visits, depth first,
    /// every module not seen before among each node's sources and then its sinks. The network's
    /// own nodes are gone through in the same way. Because sources are visited too, the walk
    /// also runs upstream: in a residual block the alias reaches the block's *last* neurons
    /// before its first ones. Xylo hardware ids are allocated in this order, so it follows
    /// Rockpool 3.1.0 exactly (checked against `bag_graph` on thousands of random graphs).
    pub fn discovery_order(&self) -> Discovery {
        let mut seen_nodes = vec![false; self.nodes_len()];
        let mut seen_modules = vec![false; self.module_count()];
        let mut out = Discovery::default();
        let mut record = |nodes: &[NodeId], out: &mut Discovery| {
            for &n in nodes {
                if !std::mem::replace(&mut seen_nodes[n.0], true) {
                    out.nodes.push(n);
                }
            }
        };
        let start: Vec<NodeId> = self.inputs().into_iter().chain(self.outputs()).collect();
        record(&start, &mut out);
        let mut stack = vec![Frame {
            nodes: start,
            node: 0,
            module: 0,
        }];
        while let Some(top) = stack.last_mut() {
            let Some(&n) = top.nodes.get(top.node) else {
                stack.pop();
                continue;
            };
            let (src, snk) = (self.sources(n), self.sinks(n));
            let i = top.module;
            let next = if i < src.len() {
                src[i]
            } else if i - src.len() < snk.len() {
                snk[i - src.len()]
            } else {
                top.node += 1;
                top.module = 0;
                continue;
            };
            top.module += 1;
            if !std::mem::replace(&mut seen_modules[next.0], true) {
                out.modules.push(next);
                let m = self.module(next);
                let nodes: Vec<NodeId> = m.inputs().iter().chain(m.outputs()).copied().collect();
                record(&nodes, &mut out);
                stack.push(Frame {
                    nodes,
                    node: 0,
                    module: 0,
                });
            }
        }
        out
    }

    /// The reachable modules in discovery order (see [`discovery_order`](Self::discovery_order)).
    pub fn modules_in_discovery_order(&self) -> Vec<ModuleId> {
        self.discovery_order().modules
    }

    /// The reachable modules that are part of a one-hop loop, in discovery order (Rockpool's
    /// `find_recurrent_modules`): a module `m` and a module `s` reading one of `m`'s outputs
    /// are both recurrent if `s` drives one of `m`'s inputs. A module whose output nodes
    /// include one of its own input nodes is recurrent on its own. Longer loops are not
    /// reported.
    pub fn find_recurrent_modules(&self) -> Vec<ModuleId> {
        let order = self.modules_in_discovery_order();
        let mut recurrent = vec![false; self.module_count()];
        for &m in &order {
            let module = self.module(m);
            for &out in module.outputs() {
                for &s in self.sinks(out) {
                    if self
                        .module(s)
                        .outputs()
                        .iter()
                        .any(|n| module.inputs().contains(n))
                    {
                        recurrent[m.0] = true;
                        recurrent[s.0] = true;
                    }
                }
            }
        }
        order.into_iter().filter(|m| recurrent[m.0]).collect()
    }

    /// The reachable neuron modules, in discovery order.
    pub fn neuron_modules(&self) -> Vec<ModuleId> {
        self.find_modules(|m| m.kind().is_neurons())
    }

    /// The reachable modules for which `pred` holds, in discovery order (Rockpool's
    /// `find_modules_of_subclass`).
    pub fn find_modules(&self, mut pred: impl FnMut(&crate::GraphModule) -> bool) -> Vec<ModuleId> {
        self.modules_in_discovery_order()
            .into_iter()
            .filter(|&m| pred(self.module(m)))
            .collect()
    }

    /// The neuron modules that drive at least one of the network's output nodes, in discovery
    /// order: on Xylo these are the readout (output) neurons.
    pub fn output_neuron_modules(&self) -> Vec<ModuleId> {
        let outputs = self.outputs();
        self.find_modules(|m| {
            m.kind().is_neurons() && m.outputs().iter().any(|n| outputs.contains(n))
        })
    }

    /// The neuron modules that drive none of the network's output nodes, in discovery order:
    /// on Xylo these are the hidden neurons.
    pub fn hidden_neuron_modules(&self) -> Vec<ModuleId> {
        let outputs = self.outputs();
        self.find_modules(|m| {
            m.kind().is_neurons() && !m.outputs().iter().any(|n| outputs.contains(n))
        })
    }

    /// The position of node `id` among the network's input nodes, if it is one.
    pub fn input_index(&self, id: NodeId) -> Option<usize> {
        let id = self.resolve(id).ok()?;
        self.inputs().iter().position(|&n| n == id)
    }

    /// The position of node `id` among the network's output nodes, if it is one.
    pub fn output_index(&self, id: NodeId) -> Option<usize> {
        let id = self.resolve(id).ok()?;
        self.outputs().iter().position(|&n| n == id)
    }
}
