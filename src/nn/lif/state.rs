//! [`LifState`]: the batched state of a [`Lif`](super::Lif) layer, typed. It becomes
//! Rockpool's state tree (`vmem`, `isyn`, `spikes`) only at the module view.

use burn::tensor::{Device, Tensor};

use crate::error::Result;
use crate::module::{StateTree, Tree, state_entry};

/// The state of a [`Lif`](super::Lif) layer for a batch, as Burn's `LstmState` keeps an LSTM's.
#[derive(Clone, Debug)]
pub struct LifState {
    /// Membrane potentials after reset `[B, N]`.
    pub vmem: Tensor<2>,
    /// Synaptic currents `[B, N, N_syn]`.
    pub isyn: Tensor<3>,
    /// Spike counts of the last step `[B, N]` (they drive the recurrent weights).
    pub spikes: Tensor<2>,
}

impl LifState {
    /// The initial (zero) state of `batch` rows of `n` neurons with `n_syn` synapses each.
    pub fn initial(batch: usize, n: usize, n_syn: usize, device: &Device) -> Self {
        Self {
            vmem: Tensor::zeros([batch, n], device),
            isyn: Tensor::zeros([batch, n, n_syn], device),
            spikes: Tensor::zeros([batch, n], device),
        }
    }

    /// Reads a batched state tree (as [`Evolution::state`](crate::module::Evolution) holds
    /// it), checking every entry's shape; `module` names the layer in errors.
    pub fn from_tree(
        tree: &StateTree,
        batch: usize,
        n: usize,
        n_syn: usize,
        module: &str,
    ) -> Result<Self> {
        Ok(Self {
            vmem: state_entry(tree, "vmem", [batch, n], module)?,
            isyn: state_entry(tree, "isyn", [batch, n, n_syn], module)?,
            spikes: state_entry(tree, "spikes", [batch, n], module)?,
        })
    }

    /// Rockpool's state tree: `vmem`, `isyn`, `spikes`.
    pub fn into_tree(self) -> StateTree {
        Tree::new()
            .with("vmem", self.vmem.into())
            .with("isyn", self.isyn.into())
            .with("spikes", self.spikes.into())
    }
}
