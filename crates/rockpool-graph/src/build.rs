//! Block builders: what Rockpool's `as_graph()` methods produce, one function per kind of
//! block, each returning the block's [`SubGraph`].
//!
//! The builders create nodes and register modules in the same order as Rockpool 3.1.0's
//! `as_graph()` implementations, so that a network built here is discovered — and mapped to
//! Xylo hardware ids — in the same order as the same network exported by Rockpool:
//!
//! - [`Graph::lif_recurrent`]: the neurons first, then a `LinearWeights` module from their
//!   outputs back to their inputs (named `<name>_recurrent`).
//! - [`Graph::sequential`]: the blocks as given, then `connect(block[i].outputs,
//!   block[i+1].inputs)` for each consecutive pair.
//! - [`Graph::residual`]: the block as given, then an `AliasConnection` (named
//!   `<name>_aliases`) from the block's input nodes to its output nodes.

use ndarray::{Array1, Array2};

use crate::error::{GraphError, Result};
use crate::graph::{Graph, ModuleId, NodeId, SubGraph};
use crate::module::{LifNeurons, LinearWeights, ModuleKind, RateNeurons};

impl Graph {
    /// A weight matrix `(Nin, Nout)` with optional biases `(Nout,)` on fresh nodes
    /// (Rockpool's `Linear.as_graph()`).
    ///
    /// # Errors
    /// [`GraphError::Shape`] if the biases do not have `Nout` entries.
    pub fn linear(
        &mut self,
        name: impl Into<String>,
        weights: Array2<f64>,
        biases: Option<Array1<f64>>,
    ) -> Result<SubGraph> {
        let (n_in, n_out) = weights.dim();
        let kind = ModuleKind::LinearWeights(LinearWeights { weights, biases });
        Ok(self.add_module_with_new_nodes(name, kind, n_in, n_out)?.1)
    }

    /// LIF neurons on fresh nodes: `N·Nsyn` inputs, `N` outputs (Rockpool's `LIF.as_graph()`
    /// without recurrence).
    ///
    /// # Errors
    /// [`GraphError::Shape`] / [`GraphError::Value`] for inconsistent parameters (see
    /// [`LifNeurons`]).
    pub fn lif(&mut self, name: impl Into<String>, params: LifNeurons) -> Result<SubGraph> {
        let (n_in, n_out) = (params.tau_syn.len(), params.n_neurons());
        Ok(self
            .add_module_with_new_nodes(name, ModuleKind::LifNeurons(params), n_in, n_out)?
            .1)
    }

    /// LIF neurons with recurrent weights `w_rec (N, N·Nsyn)`: row `i` is the spike output of
    /// neuron `i`, column `k` synapse `k % Nsyn` of neuron `k / Nsyn` (Rockpool's
    /// `LIF(has_rec=True).as_graph()`). The weights are a `LinearWeights` module named
    /// `<name>_recurrent` from the neurons' outputs back to their inputs.
    ///
    /// # Errors
    /// As [`lif`](Self::lif); [`GraphError::Shape`] if `w_rec` is not `(N, N·Nsyn)`.
    pub fn lif_recurrent(
        &mut self,
        name: impl Into<String>,
        params: LifNeurons,
        w_rec: Array2<f64>,
    ) -> Result<SubGraph> {
        let name = name.into();
        let expected = (params.n_neurons(), params.tau_syn.len());
        if w_rec.dim() != expected {
            return Err(GraphError::Shape {
                module: name,
                field: "w_rec",
                got: w_rec.shape().to_vec(),
                expected: format!("(N, N·Nsyn) = {expected:?}"),
            });
        }
        let block = self.lif(name, params)?;
        self.recurrent(&block, w_rec)?;
        Ok(block)
    }

    /// Adds recurrent weights `(n_out, n_in)` of `block` from its output nodes back to its
    /// input nodes, as a `LinearWeights` module named `<block name>_recurrent`.
    ///
    /// # Errors
    /// [`GraphError::NodeCount`] if `w_rec` does not fit the block.
    pub fn recurrent(&mut self, block: &SubGraph, w_rec: Array2<f64>) -> Result<ModuleId> {
        self.add_module(
            format!("{}_recurrent", block.name),
            ModuleKind::LinearWeights(LinearWeights::new(w_rec)),
            &block.outputs,
            &block.inputs,
        )
    }

    /// Rate neurons on fresh nodes, `N` inputs and `N` outputs (Rockpool's `Rate.as_graph()`).
    ///
    /// # Errors
    /// [`GraphError::Shape`] / [`GraphError::Value`] for inconsistent parameters.
    pub fn rate(&mut self, name: impl Into<String>, params: RateNeurons) -> Result<SubGraph> {
        let n = params.n_neurons();
        Ok(self
            .add_module_with_new_nodes(name, ModuleKind::RateNeurons(params), n, n)?
            .1)
    }

    /// Neurons of an unknown model on `n_in` fresh input and `n_out` fresh output nodes.
    pub fn generic_neurons(
        &mut self,
        name: impl Into<String>,
        n_in: usize,
        n_out: usize,
    ) -> SubGraph {
        self.add_module_with_new_nodes(name, ModuleKind::GenericNeurons, n_in, n_out)
            .expect("generic neurons accept any node counts")
            .1
    }

    /// An alias connection from existing `inputs` to existing `outputs` (equal counts).
    ///
    /// # Errors
    /// [`GraphError::SizeMismatch`] for unequal counts; [`GraphError::UnknownNode`].
    pub fn alias(
        &mut self,
        name: impl Into<String>,
        inputs: &[NodeId],
        outputs: &[NodeId],
    ) -> Result<ModuleId> {
        self.add_module(name, ModuleKind::AliasConnection, inputs, outputs)
    }

    /// A block that passes its `n` signals through unchanged: its input and output nodes are
    /// the same nodes, and it holds no module (what Rockpool exports for dropout layers).
    pub fn pass_through(&mut self, name: impl Into<String>, n: usize) -> SubGraph {
        let nodes = self.add_nodes(n);
        SubGraph {
            name: name.into(),
            inputs: nodes.clone(),
            outputs: nodes,
        }
    }

    /// Chains `blocks`: the outputs of each are connected to the inputs of the next
    /// (Rockpool's `Sequential.as_graph()`). The result has the first block's inputs and the
    /// last block's outputs; with no blocks it is empty.
    ///
    /// # Errors
    /// [`GraphError::SizeMismatch`] naming the two blocks whose sizes do not fit.
    pub fn sequential(&mut self, name: impl Into<String>, blocks: &[SubGraph]) -> Result<SubGraph> {
        let name = name.into();
        for pair in blocks.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.n_out() != b.n_in() {
                return Err(GraphError::SizeMismatch {
                    context: format!(
                        "sequential \"{name}\": connecting \"{}\" to \"{}\"",
                        a.name, b.name
                    ),
                    left: a.n_out(),
                    left_what: "output nodes",
                    right: b.n_in(),
                    right_what: "input nodes",
                });
            }
        }
        for pair in blocks.windows(2) {
            self.connect(&pair[0].outputs, &pair[1].inputs)?;
        }
        let (inputs, outputs) = match (blocks.first(), blocks.last()) {
            (Some(first), Some(last)) => (first.inputs.clone(), last.outputs.clone()),
            _ => (Vec::new(), Vec::new()),
        };
        Ok(SubGraph {
            name,
            inputs: self.resolve_all(&inputs)?,
            outputs: self.resolve_all(&outputs)?,
        })
    }

    /// Wraps `block` in a residual connection (Rockpool's `Residual.as_graph()`): an
    /// `AliasConnection` named `<name>_aliases` from the block's input nodes to its output
    /// nodes. On Xylo this makes each neuron that drives block input `i` also emit the events
    /// of the neuron that drives block output `i`.
    ///
    /// # Errors
    /// [`GraphError::SizeMismatch`] if the block changes the number of signals.
    pub fn residual(&mut self, name: impl Into<String>, block: &SubGraph) -> Result<SubGraph> {
        let name = name.into();
        if block.n_in() != block.n_out() {
            return Err(GraphError::SizeMismatch {
                context: format!("residual \"{name}\" around \"{}\"", block.name),
                left: block.n_in(),
                left_what: "input nodes",
                right: block.n_out(),
                right_what: "output nodes",
            });
        }
        self.alias(format!("{name}_aliases"), &block.inputs, &block.outputs)?;
        Ok(SubGraph {
            name,
            inputs: self.resolve_all(&block.inputs)?,
            outputs: self.resolve_all(&block.outputs)?,
        })
    }
}
