//! The computational modules of a graph and their parameters.
//!
//! A module sits between nodes: it reads its ordered input nodes and drives its ordered output
//! nodes. What it computes is its [`ModuleKind`]:
//!
//! | kind | Rockpool class | inputs → outputs |
//! | --- | --- | --- |
//! | [`LinearWeights`] | `LinearWeights` | `Nin → Nout`, `y = x · W (+ b)` |
//! | [`LifNeurons`] | `LIFNeuronWithSynsRealValue` | `N·Nsyn → N` |
//! | [`RateNeurons`] | `RateNeuronWithSynsRealValue` | `N → N` |
//! | [`ModuleKind::AliasConnection`] | `AliasConnection` | `N → N`: output `i` is neuron input `i` "again" |
//! | [`ModuleKind::GenericNeurons`] | `GenericNeurons` | any, no parameters |
//!
//! Parameters are `f64` arrays, time constants in seconds.

use std::fmt;

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{GraphError, Result};
use crate::graph::NodeId;

/// A weight matrix between two groups of nodes (Rockpool's `LinearWeights`).
///
/// Output node `j` carries `Σ_i x_i · weights[i, j] (+ biases[j])`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearWeights {
    /// `(Nin, Nout)`: row `i` is input node `i`, column `j` output node `j`.
    pub weights: Array2<f64>,
    /// `(Nout,)` output biases, if the layer has them.
    pub biases: Option<Array1<f64>>,
}

impl LinearWeights {
    /// Weights without biases.
    pub fn new(weights: Array2<f64>) -> Self {
        LinearWeights {
            weights,
            biases: None,
        }
    }

    /// Input nodes `Nin`.
    pub fn n_in(&self) -> usize {
        self.weights.nrows()
    }

    /// Output nodes `Nout`.
    pub fn n_out(&self) -> usize {
        self.weights.ncols()
    }

    fn check(&self, module: &str) -> Result<()> {
        if let Some(b) = &self.biases
            && b.len() != self.n_out()
        {
            return Err(GraphError::Shape {
                module: module.to_string(),
                field: "biases",
                got: b.shape().to_vec(),
                expected: format!("(Nout,) = ({},)", self.n_out()),
            });
        }
        Ok(())
    }
}

/// Leaky integrate-and-fire neurons with `Nsyn` exponential synapses each (Rockpool's
/// `LIFNeuronWithSynsRealValue`, exported by `LIF`, `LIFTorch`, …).
///
/// Input node `k` is synapse `k % Nsyn` of neuron `k / Nsyn`; output node `i` carries the
/// spikes of neuron `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct LifNeurons {
    /// Membrane time constants `(N,)`, seconds.
    pub tau_mem: Array1<f64>,
    /// Synaptic time constants `(N·Nsyn,)`, seconds, row-major over (neuron, synapse).
    pub tau_syn: Array1<f64>,
    /// Firing thresholds `(N,)`.
    pub threshold: Array1<f64>,
    /// Membrane biases `(N,)`, added every step.
    pub bias: Array1<f64>,
    /// Time step of the discrete-time model, seconds; `None` for a continuous-time
    /// description (e.g. one read from NIR).
    pub dt: Option<f64>,
}

impl LifNeurons {
    /// `n` neurons with `n_syn` synapses each and Rockpool's `LIF` defaults: `tau_mem` and
    /// `tau_syn` 20 ms, threshold 1, bias 0, `dt` 1 ms.
    pub fn new(n: usize, n_syn: usize) -> Self {
        LifNeurons {
            tau_mem: Array1::from_elem(n, 0.02),
            tau_syn: Array1::from_elem(n * n_syn, 0.02),
            threshold: Array1::ones(n),
            bias: Array1::zeros(n),
            dt: Some(1e-3),
        }
    }

    /// Neurons `N` (= output nodes).
    pub fn n_neurons(&self) -> usize {
        self.tau_mem.len()
    }

    /// Synapses per neuron `Nsyn` (`tau_syn.len() / N`; 0 for an empty module).
    pub fn n_synapses(&self) -> usize {
        self.tau_syn
            .len()
            .checked_div(self.n_neurons())
            .unwrap_or_default()
    }

    /// `tau_syn` as an `(N, Nsyn)` matrix.
    pub fn tau_syn_matrix(&self) -> ArrayView2<'_, f64> {
        let n = self.n_neurons();
        self.tau_syn
            .view()
            .into_shape_with_order((n, self.n_synapses()))
            .expect("tau_syn has N·Nsyn elements (checked when the module is added)")
    }

    fn check(&self, module: &str) -> Result<()> {
        let n = self.n_neurons();
        if n == 0 || self.tau_syn.is_empty() || !self.tau_syn.len().is_multiple_of(n) {
            return Err(GraphError::Shape {
                module: module.to_string(),
                field: "tau_syn",
                got: self.tau_syn.shape().to_vec(),
                expected: format!(
                    "(N·Nsyn,) with N = {n} neurons (from tau_mem) and Nsyn >= 1 synapses"
                ),
            });
        }
        check_len(module, "threshold", &self.threshold, n)?;
        check_len(module, "bias", &self.bias, n)?;
        check_dt(module, self.dt)
    }
}

/// Rate (non-spiking) neurons (Rockpool's `RateNeuronWithSynsRealValue`, exported by `Rate`).
#[derive(Debug, Clone, PartialEq)]
pub struct RateNeurons {
    /// Time constants `(N,)`, seconds.
    pub tau: Array1<f64>,
    /// Biases `(N,)`.
    pub bias: Array1<f64>,
    /// Time step, seconds; `None` for a continuous-time description.
    pub dt: Option<f64>,
}

impl RateNeurons {
    /// Neurons `N` (= input nodes = output nodes).
    pub fn n_neurons(&self) -> usize {
        self.tau.len()
    }

    fn check(&self, module: &str) -> Result<()> {
        check_len(module, "bias", &self.bias, self.n_neurons())?;
        check_dt(module, self.dt)
    }
}

fn check_len(module: &str, field: &'static str, a: &Array1<f64>, n: usize) -> Result<()> {
    if a.len() == n {
        Ok(())
    } else {
        Err(GraphError::Shape {
            module: module.to_string(),
            field,
            got: a.shape().to_vec(),
            expected: format!("(N,) = ({n},)"),
        })
    }
}

fn check_dt(module: &str, dt: Option<f64>) -> Result<()> {
    match dt {
        Some(dt) if !(dt.is_finite() && dt > 0.0) => Err(GraphError::Value {
            module: module.to_string(),
            field: "dt",
            value: dt.to_string(),
            reason: "the time step must be a positive number of seconds (or None)".into(),
        }),
        _ => Ok(()),
    }
}

/// What a [`GraphModule`] computes.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleKind {
    /// A weight matrix ([`LinearWeights`]).
    LinearWeights(LinearWeights),
    /// LIF neurons with exponential synapses ([`LifNeurons`]).
    #[doc(alias = "LIFNeuronWithSynsRealValue")]
    LifNeurons(LifNeurons),
    /// Rate neurons ([`RateNeurons`]).
    #[doc(alias = "RateNeuronWithSynsRealValue")]
    RateNeurons(RateNeurons),
    /// Output node `i` repeats the neuron that drives input node `i` (what Rockpool's
    /// `Residual` adds: on Xylo the source neuron's events are also the target neuron's).
    AliasConnection,
    /// Neurons of an unknown model: any number of inputs and outputs, no parameters.
    GenericNeurons,
}

impl ModuleKind {
    /// Rockpool's class name for this kind (`LinearWeights`, `LIFNeuronWithSynsRealValue`, …).
    pub fn class_name(&self) -> &'static str {
        match self {
            ModuleKind::LinearWeights(_) => "LinearWeights",
            ModuleKind::LifNeurons(_) => "LIFNeuronWithSynsRealValue",
            ModuleKind::RateNeurons(_) => "RateNeuronWithSynsRealValue",
            ModuleKind::AliasConnection => "AliasConnection",
            ModuleKind::GenericNeurons => "GenericNeurons",
        }
    }

    /// Whether this is a neuron module (LIF, rate or generic).
    pub fn is_neurons(&self) -> bool {
        matches!(
            self,
            ModuleKind::LifNeurons(_) | ModuleKind::RateNeurons(_) | ModuleKind::GenericNeurons
        )
    }

    /// Whether this is a [`LinearWeights`] module.
    pub fn is_weights(&self) -> bool {
        matches!(self, ModuleKind::LinearWeights(_))
    }

    /// Whether this is an alias connection.
    pub fn is_alias(&self) -> bool {
        matches!(self, ModuleKind::AliasConnection)
    }

    /// The time step of a neuron module, if it has one.
    pub fn dt(&self) -> Option<f64> {
        match self {
            ModuleKind::LifNeurons(p) => p.dt,
            ModuleKind::RateNeurons(p) => p.dt,
            _ => None,
        }
    }

    /// `(inputs, outputs)` node counts fixed by the parameters; `None` for alias connections
    /// and generic neurons, whose sizes come from the nodes they are given.
    pub fn io_sizes(&self) -> Option<(usize, usize)> {
        match self {
            ModuleKind::LinearWeights(w) => Some((w.n_in(), w.n_out())),
            ModuleKind::LifNeurons(p) => Some((p.tau_syn.len(), p.n_neurons())),
            ModuleKind::RateNeurons(p) => Some((p.n_neurons(), p.n_neurons())),
            ModuleKind::AliasConnection | ModuleKind::GenericNeurons => None,
        }
    }

    /// Checks the parameters against each other and against the node counts.
    pub(crate) fn check(&self, module: &str, n_in: usize, n_out: usize) -> Result<()> {
        match self {
            ModuleKind::LinearWeights(w) => w.check(module)?,
            ModuleKind::LifNeurons(p) => p.check(module)?,
            ModuleKind::RateNeurons(p) => p.check(module)?,
            ModuleKind::AliasConnection => {
                if n_in != n_out {
                    return Err(GraphError::SizeMismatch {
                        context: format!("alias connection \"{module}\""),
                        left: n_in,
                        left_what: "input nodes",
                        right: n_out,
                        right_what: "output nodes",
                    });
                }
            }
            ModuleKind::GenericNeurons => {}
        }
        if let Some((want_in, want_out)) = self.io_sizes() {
            for (side, expected, got) in [("input", want_in, n_in), ("output", want_out, n_out)] {
                if expected != got {
                    return Err(GraphError::NodeCount {
                        module: module.to_string(),
                        kind: self.class_name(),
                        side,
                        expected,
                        got,
                    });
                }
            }
        }
        Ok(())
    }
}

/// One module of a [`Graph`](crate::Graph): a name, a [`ModuleKind`] and its ordered input
/// and output nodes.
///
/// Node ids are kept canonical by the graph (merged nodes are rewritten when
/// [`connect`](crate::Graph::connect) merges them).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphModule {
    pub(crate) name: String,
    pub(crate) kind: ModuleKind,
    pub(crate) inputs: Vec<NodeId>,
    pub(crate) outputs: Vec<NodeId>,
}

impl GraphModule {
    /// The module's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the module computes.
    pub fn kind(&self) -> &ModuleKind {
        &self.kind
    }

    /// The ordered input nodes.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// The ordered output nodes.
    pub fn outputs(&self) -> &[NodeId] {
        &self.outputs
    }
}

impl fmt::Display for GraphModule {
    /// Rockpool's form: `LinearWeights "w1" with 2 input nodes -> 3 output nodes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{}\" with {} input nodes -> {} output nodes",
            self.kind.class_name(),
            self.name,
            self.inputs.len(),
            self.outputs.len()
        )
    }
}
