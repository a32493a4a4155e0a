//! What the regularisers act on, gathered from a network and its record: the spikes of the
//! hidden spiking layers (activity penalty), the weight matrices (L2) and the parameters named
//! in [`TrainingOptions::bounds`](super::TrainingOptions::bounds) (Rockpool's `bounds_cost`).
//! The penalties themselves are in [`loss`](super::loss).

use std::collections::BTreeMap;

use burn::tensor::Tensor;

use crate::module::{DynTensor, ModuleExt, ModuleView, Node, Tree, Value};
use crate::nn::{Layer, Sequential};

/// Outputs `[B,T,N]` of every spiking hidden layer, from a Sequential's record. A `Delay` or
/// `Dropout` only shifts or thins the spikes of the layer before it and is not counted again.
pub(crate) fn hidden_spikes(net: &Sequential<Layer>, record: &Tree<DynTensor>) -> Vec<Tensor<3>> {
    let last = net.names().last().cloned().unwrap_or_default();
    net.iter()
        .filter(|(name, m)| {
            m.spiking_output() && !matches!(m, Layer::Delay(_) | Layer::Dropout(_)) && *name != last
        })
        .filter_map(
            |(name, _)| match record.get_node(&format!("{name}_output")) {
                Some(Node::Leaf(DynTensor::D3(t))) => Some(t.clone()),
                _ => None,
            },
        )
        .collect()
}

/// The bounds cost of every trainable parameter named in `bounds` (see
/// [`TrainingOptions::bounds`](super::TrainingOptions::bounds)); `None` when none matches.
pub(crate) fn bounds_of(
    net: &Sequential<Layer>,
    bounds: &BTreeMap<String, [f64; 2]>,
) -> Option<Tensor<1>> {
    if bounds.is_empty() {
        return None;
    }
    let mut total: Option<Tensor<1>> = None;
    for (path, a) in net.parameters(()).leaves() {
        let name = path.rsplit('.').next().unwrap_or(&path);
        let (Some([lo, hi]), Value::Tensor(t)) = (bounds.get(name), &a.value) else {
            continue;
        };
        let flat: Tensor<1> = match t {
            DynTensor::D1(t) => t.clone(),
            DynTensor::D2(t) => t.clone().flatten(0, 1),
            DynTensor::D3(t) => t.clone().flatten(0, 2),
            DynTensor::D4(t) => t.clone().flatten(0, 3),
        };
        let c = super::loss::bounds_cost(flat, *lo, *hi);
        total = Some(match total {
            Some(acc) => acc + c,
            None => c,
        });
    }
    total
}

/// Every weight matrix `[N_in, N_out]` of `net` (the `weights` family).
pub(crate) fn weights_of(net: &Sequential<Layer>) -> Vec<Tensor<2>> {
    net.parameters("weights")
        .leaves()
        .into_iter()
        .filter_map(|(_, a)| match &a.value {
            Value::Tensor(DynTensor::D2(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}
