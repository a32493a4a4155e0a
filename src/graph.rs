//! `as_graph`: the computational graph of a network (Rockpool's `as_graph()`), which the Xylo
//! mapper (and later NIR export) reads. Graph types live in [`rockpool_graph`].
//!
//! `Linear` → `LinearWeights`; `LIF` → `LifNeurons` with time constants recovered from the
//! layer's decays whatever its leak mode (`τ = −dt/ln α`), plus a `LinearWeights` loop for
//! `w_rec`; `Rate` → `RateNeurons`; `Sequential` connects its children in order; `Residual`
//! adds an alias from the block's inputs to its outputs. A network trained in Xylo mode is
//! exported through its effective form ([`crate::quant::XyloMode::effective`]), so the graph
//! carries the weights and thresholds the training used.

use ndarray::{Array1, Array2};
use rockpool_graph::{Graph, LifNeurons, RateNeurons, SubGraph};

use crate::error::{Error, Result};
use crate::module::ModuleView;
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
        let (alpha, beta) = self.decays();
        let tau = |d: Array1<f64>| d.mapv(|a| -self.dt / a.ln());
        let params = LifNeurons {
            tau_mem: tau(host1(alpha)),
            tau_syn: tau(host1(beta)),
            threshold: host1(self.threshold.val()),
            bias: host1(self.bias.val()),
            dt: Some(self.dt),
        };
        match &self.w_rec {
            Some(w) => g.lif_recurrent(name, params, host2(w.val())).map_err(g_err),
            None => g.lif(name, params).map_err(g_err),
        }
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
            // Dropout acts in training only.
            Layer::Dropout(m) => Ok(g.pass_through(name, m.n)),
            Layer::ExpSyn(_)
            | Layer::LifNeuron(_)
            | Layer::ALif(_)
            | Layer::Conv1d(_)
            | Layer::Conv2d(_)
            | Layer::Pool2d(_)
            | Layer::Flatten(_)
            | Layer::XyloSim(_)
            | Layer::WaveSenseNet(_) => Err(Error::value(
                format!("{} '{name}'", self.class_name()),
                "this module has no graph form yet",
            )),
            Layer::FrontEnd(_) => Err(Error::value(
                format!("{} '{name}'", self.class_name()),
                "a front end is the chip's fixed input stage, not part of the network it runs; map the network after it",
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
    /// Children in order.
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        let blocks = self
            .iter()
            .map(|(n, m)| m.add_to_graph(g, n))
            .collect::<Result<Vec<_>>>()?;
        g.sequential(name, &blocks).map_err(g_err)
    }
}

impl AsGraph for Residual<Layer> {
    fn add_to_graph(&self, g: &mut Graph, name: &str) -> Result<SubGraph> {
        let block = self.block().add_to_graph(g, name)?;
        g.residual(name, &block).map_err(g_err)
    }
}
