//! `as_graph`: the computational graph of a network (Rockpool's `as_graph()`), which the Xylo
//! mapper (and later NIR export) reads. Graph types live in [`rockpool_graph`].
//!
//! `Linear` → `LinearWeights`; `LIF` → `LifNeurons` with time constants recovered from the
//! layer's decays whatever its leak mode (`τ = −dt/ln α`), plus a `LinearWeights` loop for
//! `w_rec`; `Rate` → `RateNeurons`; `Sequential` connects its children in order; `Residual`
//! adds an alias from the block's inputs to its outputs. In a `Sequential`, a LIF layer after a
//! fake-quantised `Linear` (Xylo-mode training) exports the threshold and bias it evolves with,
//! on the weights' integer grid ([`Lif::integer_threshold_bias`]).

use burn::tensor::Tensor;
use ndarray::{Array1, Array2};
use rockpool_graph::{Graph, LifNeurons, RateNeurons, SubGraph};

use crate::error::{Error, Result};
use crate::module::{Evolve, ModuleView};
use crate::nn::{Layer, Lif, Linear, Rate, Residual, Sequential};

fn g_err(e: rockpool_graph::GraphError) -> Error {
    Error::value("graph", e.to_string())
}

fn host1(t: burn::tensor::Tensor<1>) -> Array1<f64> {
    Array1::from(t.into_data().try_to_vec_as::<f64>().expect("f64"))
}

fn host2(t: burn::tensor::Tensor<2>) -> Array2<f64> {
    let [r, c] = t.dims();
    Array2::from_shape_vec((r, c), t.into_data().try_to_vec_as::<f64>().expect("f64"))
        .expect("shape")
}

/// A module that can describe itself as a computational graph.
pub trait AsGraph {
    /// Adds this module's graph to `g` under `name` and returns its inputs and outputs.
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph>;

    /// The module's graph on its own, with the graph inputs and outputs set.
    fn as_graph(&self) -> Result<Graph> {
        let mut g = Graph::new("network");
        let sub = self.add_to_graph(&mut g, "")?;
        g.set_io(&sub).map_err(g_err)?;
        Ok(g)
    }
}

impl AsGraph for Linear {
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        let w = host2(self.weight.val());
        let b = self.bias.as_ref().map(|b| host1(b.val()));
        g.linear(name, w, b).map_err(g_err)
    }
}

impl AsGraph for Lif {
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        lif_graph(self, g, name, None)
    }
}

/// A LIF layer's graph with the threshold and bias its dynamics use on the `grid` of the
/// weights feeding it ([`Lif::integer_threshold_bias`]).
fn lif_graph(lif: &Lif, g: &mut Graph, name: &str, grid: Option<Tensor<1>>) -> Result<SubGraph> {
    let (alpha, beta) = lif.decays();
    let (threshold, bias) = lif.integer_threshold_bias(grid);
    let tau = |d: Array1<f64>| d.mapv(|a| -lif.dt / a.ln());
    let params = LifNeurons {
        tau_mem: tau(host1(alpha)),
        tau_syn: tau(host1(beta)),
        threshold: host1(threshold),
        bias: host1(bias),
        dt: Some(lif.dt),
    };
    match &lif.w_rec {
        Some(w) => g.lif_recurrent(name, params, host2(w.val())).map_err(g_err),
        None => g.lif(name, params).map_err(g_err),
    }
}

impl AsGraph for Rate {
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        if self.w_rec.is_some() {
            return Err(Error::value(
                format!("Rate '{name}'"),
                "recurrent Rate modules have no graph form yet",
            ));
        }
        g.rate(
            name,
            RateNeurons {
                tau: host1(self.tau.val()),
                bias: host1(self.bias.val()),
                dt: Some(self.dt),
            },
        )
        .map_err(g_err)
    }
}

impl AsGraph for Layer {
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        match self {
            Layer::Linear(m) => m.add_to_graph(g, name),
            Layer::Lif(m) => m.add_to_graph(g, name),
            Layer::Rate(m) => m.add_to_graph(g, name),
            // The chip delays events between layers by itself.
            Layer::Delay(m) => Ok(g.pass_through(name, m.n)),
            Layer::ExpSyn(_) | Layer::LifNeuron(_) | Layer::ALif(_) => Err(Error::value(
                format!("{} '{name}'", self.class_name()),
                "this module has no graph form yet",
            )),
            Layer::Sequential(m) => m.add_to_graph(g, name),
            Layer::Residual(m) => m.add_to_graph(g, name),
            Layer::Instant(m) => Err(Error::value(
                format!("{} '{name}'", m.class_name()),
                "an Instant function has no graph form (it cannot be mapped to hardware)",
            )),
        }
    }
}

impl AsGraph for Sequential<Layer> {
    /// Children in order; a LIF layer after a fake-quantised `Linear` shows the threshold and
    /// bias it evolves with (on the weights' integer grid, see [`Lif::integer_threshold_bias`]).
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        let mut grid = None;
        let mut blocks = Vec::with_capacity(self.len());
        for (n, m) in self.iter() {
            blocks.push(match m {
                Layer::Lif(lif) => lif_graph(lif, g, n, grid.take())?,
                other => other.add_to_graph(g, n)?,
            });
            grid = m.output_grid();
        }
        g.sequential(name, &blocks).map_err(g_err)
    }
}

impl AsGraph for Residual<Layer> {
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        let block = self.block().add_to_graph(g, name)?;
        g.residual(name, &block).map_err(g_err)
    }
}
