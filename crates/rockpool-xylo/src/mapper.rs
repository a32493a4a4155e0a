//! Mapping a computational graph onto a Xylo SNN core: design-rule checks, hardware-id
//! allocation and the float [`XyloSpec`] (Rockpool's `<family>.mapper(graph)`).
//!
//! [`map_graph`] reads a [`rockpool_graph::Graph`] of `LinearWeights`, LIF neurons and
//! alias connections and returns a [`MappedNetwork`]: a `XyloSpec<f64>` (float weights,
//! float `dash = log2(tau / dt)` computed in single precision, as Rockpool computes it from
//! `LIFTorch`'s float32 time constants), which hardware ids each neuron module got, and the
//! warnings. Quantise the spec next ([`global_quantize`](crate::global_quantize) or
//! [`channel_quantize`](crate::channel_quantize)), then validate, configure or simulate it.
//!
//! ```
//! use ndarray::Array2;
//! use rockpool_graph::{Graph, LifNeurons};
//! use rockpool_xylo::{QuantizeOptions, XyloFamily, global_quantize, map_graph, validate_spec};
//!
//! // Linear(2 -> 4), recurrent LIF(4), Linear(4 -> 1), LIF(1)
//! let mut g = Graph::new("net");
//! let blocks = [
//!     g.linear("w_in", Array2::from_elem((2, 4), 0.5), None)?,
//!     g.lif_recurrent("hidden", LifNeurons::new(4, 1), Array2::from_elem((4, 4), -0.1))?,
//!     g.linear("w_out", Array2::from_elem((4, 1), 1.0), None)?,
//!     g.lif("readout", LifNeurons::new(1, 1))?,
//! ];
//! let net = g.sequential("net", &blocks)?;
//! g.set_io(&net)?;
//!
//! let mapped = map_graph(&g, XyloFamily::Audio2).expect("maps");
//! assert_eq!(mapped.hidden[0].ids, [0, 1, 2, 3]);
//! assert_eq!(mapped.spec.dash_mem[0], f64::from(20f32.log2())); // tau_mem 20 ms, dt 1 ms
//! let q = global_quantize(&mapped.spec, &QuantizeOptions::default()).expect("quantises");
//! assert!(validate_spec(&q, XyloFamily::Audio2).is_valid());
//! # Ok::<(), rockpool_graph::GraphError>(())
//! ```
//!
//! ## Neurons and hardware ids
//! Neuron modules that drive one of the graph's output nodes are **readout** neurons; every
//! other neuron module is **hidden**. Ids follow the graph's discovery order
//! ([`Graph::discovery_order`], Rockpool's `bag_graph`):
//!
//! - XyloAudio 2: hidden modules take consecutive ids `0..` in discovery order; every hidden
//!   neuron may receive input weights and drive readout weights (`Nien = Noen = Nhid`).
//! - XyloAudio 3 and XyloIMU: only the first 128 hidden neurons can receive input weights
//!   (input-expansion neurons, IEN) and only the last 128 drive the readout (OEN). The hidden
//!   modules read by the input weights take the first ids, then the other hidden modules,
//!   then the modules read by the readout weights. `weights_in` is `(Nin, Nien, Nsyn)` with
//!   `Nien` = the end of the IEN modules' ids, `weights_out` is `(Noen, Nout)` with row `k` =
//!   hidden neuron `Nhid - Noen + k`. (This layout is the fix of Rockpool issue #18: networks
//!   of more than 128 hidden neurons on XyloIMU.)
//! - Readout modules take consecutive readout indices `0..` in discovery order. (Rockpool's
//!   `_hw_ids` of readout neurons are these plus the chip's hidden-neuron count.)
//!
//! A hidden module with `2N` input nodes has two synapses per neuron: input `2i + s` is
//! synapse `s` of neuron `i`. If any hidden module has two synapses, the spec has
//! `Nsyn = 2` and one-synapse modules use synapse 0 (their `dash_syn_2` is 0, as in Rockpool).
//! Each `AliasConnection` makes the neuron driving its input `i` alias the neuron driving its
//! output `i`.
//!
//! ## Design rules ([`DesignRule`])
//! Errors, checked in this order (the first failure is returned): the graph declares inputs
//! and outputs; outputs come straight from neurons; neurons are fed only by weights; the
//! input goes first through weights; all neurons share one `dt` (to NumPy's `isclose`) and one
//! has it; readout neurons are not recurrent; no weights feed weights; aliases read neurons
//! (or aliases) and write onto neurons; at least one hidden and one readout neuron module; only
//! LIF neurons; 1 or 2 synapses per hidden neuron (1 on XyloIMU), 1 per readout neuron;
//! time constants positive and finite, and longer than `dt` on XyloAudio 2 and XyloIMU;
//! finite weights, thresholds and biases; readout neurons drive nothing; weights read only
//! graph inputs or neurons; input weights reach only hidden neurons; aliases link hidden
//! neurons. Then the allocation: too many hidden, readout, input-expansion or
//! output-expansion neurons ([`MapError::Resources`]).
//!
//! Warnings: more than 16 input channels, more readout channels than Rockpool accepts
//! without warning (8 on XyloAudio 2, 16 on XyloAudio 3 and XyloIMU), non-zero biases on
//! `LinearWeights` (not transferred to Xylo), time constants `<= dt` on XyloAudio 3 (the
//! state is cleared every step), a neuron aliased to itself.
//!
//! ## Differences from Rockpool 3.1.0
//! Outputs equal Rockpool's wherever Rockpool works (fixtures in
//! `tests/fixtures/make_mapper_fixtures.py`). Where it fails or is wrong, this mapper:
//! maps single-hidden-layer networks on XyloIMU (Rockpool raises `ValueError: n is not in
//! list`); fills `dash_syn_2` on XyloAudio 3 with two synapses (Rockpool writes `dash_syn`
//! from the interleaved list and leaves `dash_syn_2` at 0); places `weights_out` correctly on
//! XyloAudio 3 when the input-expansion module also drives the readout next to other hidden
//! modules (Rockpool sizes `weights_out` by that module alone); *adds* parallel weights onto
//! the same connection (Rockpool keeps the last one); rejects more than 128 input- or
//! output-expansion neurons at mapping time (Rockpool's `le_128_…_expansion_neurons` rules
//! never trigger); reports rate/generic neurons, input weights onto readout neurons, readout
//! neurons that drive other modules, and hidden layers split across one input matrix with
//! clear errors or maps them (Rockpool crashes); warns about biases only when non-zero, and
//! about time constants `<= dt` on XyloAudio 3 (Rockpool accepts them silently).

use std::fmt;

use ndarray::Array1;
use rockpool_graph::{Graph, LifNeurons, ModuleId, ModuleKind, NodeId};

use crate::chips::{ChipSpec, XyloFamily};
use crate::spec::XyloSpec;

/// A design rule of the Xylo mapper. Displays as Rockpool's rule name where Rockpool has the
/// rule (`output_nodes_have_neurons_as_source`, …), else as a name in the same style, and
/// parses back from it ([`rockpool_io::text_enum!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DesignRule {
    /// The graph declares at least one input and one output node.
    GraphHasInputsAndOutputs,
    /// Every graph output node is driven only by neurons.
    OutputNodesHaveNeuronsAsSource,
    /// Every neuron input is driven only by `LinearWeights`.
    InputToNeuronsIsAWeight,
    /// Every graph input node is read only by `LinearWeights`.
    FirstModuleIsAWeight,
    /// Warning: at most 16 input channels.
    InputChannels,
    /// Warning: at most 8 (XyloAudio 2) or 16 (XyloAudio 3, XyloIMU) output channels.
    OutputChannels,
    /// All neuron modules share one `dt`, and at least one has a `dt`.
    AllNeuronsHaveSameDt,
    /// No readout neuron module is part of a one-hop loop.
    OutputNeuronsCannotBeRecurrent,
    /// No `LinearWeights` output feeds another `LinearWeights`.
    NoConsecutiveWeights,
    /// Alias inputs are driven by neurons (or other aliases), at least one neuron each.
    AliasInputsMustBeNeurons,
    /// Alias outputs are driven by a neuron.
    AliasOutputNodesMustHaveNeuronsAsInput,
    /// At least one hidden and one readout neuron module.
    AtLeastTwoNeuronLayersNeeded,
    /// Warning: `LinearWeights` biases are not transferred to Xylo.
    WeightNodesHaveNoBiases,
    /// Only LIF neurons have a Xylo equivalent.
    NeuronsAreLif,
    /// Hidden neurons have 1 or 2 synapses (1 on XyloIMU); readout neurons have 1.
    MaxSynapsesPerNeuron,
    /// Time constants are positive and finite, and longer than `dt` on XyloAudio 2 and
    /// XyloIMU (a warning on XyloAudio 3).
    TimeConstantsLongerThanDt,
    /// Weights, thresholds and biases are finite.
    ParametersAreFinite,
    /// Readout neurons drive no module (the readout has no outgoing synapses).
    OutputNeuronsDriveNothing,
    /// Every input of a `LinearWeights` is a graph input or a neuron output.
    WeightsReadInputsOrNeurons,
    /// Input weights reach only hidden neurons.
    InputWeightsTargetHiddenNeurons,
    /// Aliases link hidden neurons; warning for a neuron aliased to itself.
    AliasesLinkHiddenNeurons,
}

rockpool_io::text_enum! {
    DesignRule("design rule") {
        GraphHasInputsAndOutputs => "graph_has_inputs_and_outputs",
        OutputNodesHaveNeuronsAsSource => "output_nodes_have_neurons_as_source",
        InputToNeuronsIsAWeight => "input_to_neurons_is_a_weight",
        FirstModuleIsAWeight => "first_module_is_a_weight",
        InputChannels => "le_16_input_channels",
        OutputChannels => "le_max_output_channels",
        AllNeuronsHaveSameDt => "all_neurons_have_same_dt",
        OutputNeuronsCannotBeRecurrent => "output_neurons_cannot_be_recurrent",
        NoConsecutiveWeights => "no_consecutive_weights",
        AliasInputsMustBeNeurons => "alias_inputs_must_be_neurons",
        AliasOutputNodesMustHaveNeuronsAsInput => "alias_output_nodes_must_have_neurons_as_input",
        AtLeastTwoNeuronLayersNeeded => "at_least_two_neuron_layers_needed",
        WeightNodesHaveNoBiases => "weight_nodes_have_no_biases",
        NeuronsAreLif => "neurons_are_lif",
        MaxSynapsesPerNeuron => "max_synapses_per_neuron",
        TimeConstantsLongerThanDt => "time_constants_longer_than_dt",
        ParametersAreFinite => "parameters_are_finite",
        OutputNeuronsDriveNothing => "output_neurons_drive_nothing",
        WeightsReadInputsOrNeurons => "weights_read_inputs_or_neurons",
        InputWeightsTargetHiddenNeurons => "input_weights_target_hidden_neurons",
        AliasesLinkHiddenNeurons => "aliases_link_hidden_neurons",
    }
}

impl DesignRule {
    /// The rule's name (Rockpool's where it exists).
    pub fn name(self) -> &'static str {
        rockpool_io::TextEnum::name(&self)
    }
}

/// A class of neurons on the chip, for resource errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeuronClass {
    /// Hidden neurons.
    Hidden,
    /// Readout (output) neurons.
    Output,
    /// Hidden neurons that receive input weights (IEN).
    InputExpansion,
    /// Hidden neurons that drive readout weights (OEN).
    OutputExpansion,
}

impl fmt::Display for NeuronClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NeuronClass::Hidden => "hidden neurons",
            NeuronClass::Output => "output neurons",
            NeuronClass::InputExpansion => "input-expansion neurons",
            NeuronClass::OutputExpansion => "output-expansion neurons",
        })
    }
}

/// Why a graph cannot be mapped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// A design rule is broken; the message names the module and what to change.
    #[error("Design rule {rule} triggered an error: {message}")]
    DesignRule {
        /// The rule.
        rule: DesignRule,
        /// The offending module, if one is to blame.
        module: Option<String>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The chip has too few neurons of one class.
    #[error(
        "Failed to allocate HW resources for {class}: graph module \"{module}\" brings the network to {needed} {class}, but {} has {available}",
        .family.product_name()
    )]
    Resources {
        /// Which neurons ran out.
        class: NeuronClass,
        /// The chip.
        family: XyloFamily,
        /// The module that did not fit.
        module: String,
        /// How many neurons of the class the network needs up to and including this module.
        needed: usize,
        /// How many the chip has.
        available: usize,
    },
}

/// A design rule that is only a warning here: the network maps, but probably not as meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapWarning {
    /// The rule.
    pub rule: DesignRule,
    /// The module concerned, if any.
    pub module: Option<String>,
    /// What is odd and what to do about it.
    pub message: String,
}

impl fmt::Display for MapWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning ({}): {}", self.rule, self.message)
    }
}

/// The hardware ids one neuron module was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardwareIds {
    /// The module in the graph.
    pub module: ModuleId,
    /// Its name.
    pub name: String,
    /// For a hidden module: the hidden-neuron id of each of its neurons (indices into the
    /// spec's hidden arrays). For a readout module: the readout index of each neuron.
    pub ids: Vec<usize>,
}

/// A graph mapped onto a Xylo core.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedNetwork {
    /// The chip it was mapped for.
    pub family: XyloFamily,
    /// Float weights, float dashes, thresholds, biases, aliases and `dt`; weight shifts 0.
    pub spec: XyloSpec<f64>,
    /// The hardware ids of each hidden neuron module, in allocation order.
    pub hidden: Vec<HardwareIds>,
    /// The readout indices of each readout neuron module, in allocation order.
    pub outputs: Vec<HardwareIds>,
    /// Design-rule warnings.
    pub warnings: Vec<MapWarning>,
}

impl MappedNetwork {
    /// The hidden-neuron ids of `module`, if it is a hidden neuron module.
    pub fn hidden_ids(&self, module: ModuleId) -> Option<&[usize]> {
        find_ids(&self.hidden, module)
    }

    /// The readout indices of `module`, if it is a readout neuron module.
    pub fn output_ids(&self, module: ModuleId) -> Option<&[usize]> {
        find_ids(&self.outputs, module)
    }
}

fn find_ids(table: &[HardwareIds], module: ModuleId) -> Option<&[usize]> {
    table
        .iter()
        .find(|h| h.module == module)
        .map(|h| h.ids.as_slice())
}

/// Maps `graph` onto `family`'s SNN core (see the [module docs](self) for the rules and the
/// layout).
///
/// The graph's declared input nodes become the input channels (in order) and the neuron
/// modules driving its output nodes become the readout neurons.
///
/// # Errors
/// [`MapError::DesignRule`] for the first broken rule, [`MapError::Resources`] when the
/// network needs more neurons of a class than the chip has.
pub fn map_graph(graph: &Graph, family: XyloFamily) -> Result<MappedNetwork, MapError> {
    Mapper::new(graph, family).run()
}

/// What drives a `LinearWeights` row or alias input.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Graph input channel.
    Input(usize),
    /// Neuron `index` of neuron module `module`.
    Neuron(ModuleId, usize),
}

struct Mapper<'g> {
    graph: &'g Graph,
    family: XyloFamily,
    chip: &'static ChipSpec,
    order: Vec<ModuleId>,
    inputs: Vec<NodeId>,
    outputs: Vec<NodeId>,
    warnings: Vec<MapWarning>,
}

fn error(rule: DesignRule, module: Option<&str>, message: impl Into<String>) -> MapError {
    MapError::DesignRule {
        rule,
        module: module.map(str::to_string),
        message: message.into(),
    }
}

/// `dash = log2(tau / dt)` in single precision, as Rockpool computes it from float32 taus.
fn dash(tau: f64, dt: f64) -> f64 {
    f64::from(((tau as f32) / (dt as f32)).log2())
}

/// NumPy's `isclose(a, b)` with its default tolerances.
fn isclose(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 + 1e-5 * b.abs()
}

impl<'g> Mapper<'g> {
    fn new(graph: &'g Graph, family: XyloFamily) -> Self {
        Mapper {
            graph,
            family,
            chip: family.chip(),
            order: graph.modules_in_discovery_order(),
            inputs: graph.inputs(),
            outputs: graph.outputs(),
            warnings: Vec::new(),
        }
    }

    fn show(&self, m: ModuleId) -> String {
        self.graph.module(m).to_string()
    }

    fn name(&self, m: ModuleId) -> &str {
        self.graph.module(m).name()
    }

    fn kind(&self, m: ModuleId) -> &ModuleKind {
        self.graph.module(m).kind()
    }

    fn warn(&mut self, rule: DesignRule, module: Option<ModuleId>, message: String) {
        let module = module.map(|m| self.name(m).to_string());
        self.warnings.push(MapWarning {
            rule,
            module,
            message,
        });
    }

    fn modules_where(&self, pred: impl Fn(&ModuleKind) -> bool) -> Vec<ModuleId> {
        self.order
            .iter()
            .copied()
            .filter(|&m| pred(self.kind(m)))
            .collect()
    }

    /// The neuron driving `node` (first neuron among its sources) and its output index.
    fn neuron_source(&self, node: NodeId) -> Option<(ModuleId, usize)> {
        self.graph.sources(node).iter().find_map(|&m| {
            let module = self.graph.module(m);
            if !module.kind().is_neurons() {
                return None;
            }
            module
                .outputs()
                .iter()
                .position(|&n| n == node)
                .map(|k| (m, k))
        })
    }

    fn source_of(&self, node: NodeId) -> Option<Source> {
        match self.inputs.iter().position(|&n| n == node) {
            Some(c) => Some(Source::Input(c)),
            None => self.neuron_source(node).map(|(m, k)| Source::Neuron(m, k)),
        }
    }

    /// Every (neuron module, input position) reading `node`.
    fn neuron_targets(&self, node: NodeId) -> Vec<(ModuleId, usize)> {
        let mut out = Vec::new();
        for &m in self.graph.sinks(node) {
            let module = self.graph.module(m);
            if module.kind().is_neurons() {
                for (k, _) in module
                    .inputs()
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n == node)
                {
                    out.push((m, k));
                }
            }
        }
        out
    }

    fn run(mut self) -> Result<MappedNetwork, MapError> {
        self.check_structure()?;
        let dt = self.check_dt()?;
        let hidden = self.graph.hidden_neuron_modules();
        let readout = self.graph.output_neuron_modules();
        self.check_layers(&hidden, &readout)?;
        self.check_neurons(&hidden, &readout, dt)?;
        self.check_connectivity(&readout)?;
        self.build(&hidden, &readout, dt)
    }

    /// Rockpool's structural rules, in its order, up to the aliases.
    fn check_structure(&mut self) -> Result<(), MapError> {
        use DesignRule as R;
        if self.inputs.is_empty() || self.outputs.is_empty() {
            return Err(error(
                R::GraphHasInputsAndOutputs,
                None,
                format!(
                    "graph \"{}\" declares {} input and {} output nodes; declare the network's ends with Graph::set_io",
                    self.graph.name(),
                    self.inputs.len(),
                    self.outputs.len()
                ),
            ));
        }
        for (i, &node) in self.outputs.iter().enumerate() {
            let sources = self.graph.sources(node);
            if sources.is_empty() {
                return Err(error(
                    R::OutputNodesHaveNeuronsAsSource,
                    None,
                    format!(
                        "All network outputs must be driven directly by neurons. Output node {i} is driven by no module."
                    ),
                ));
            }
            if let Some(&m) = sources.iter().find(|&&m| !self.kind(m).is_neurons()) {
                return Err(error(
                    R::OutputNodesHaveNeuronsAsSource,
                    Some(self.name(m)),
                    format!(
                        "All network outputs must be driven directly by neurons. Output node {i} is driven by {}, which is not a neuron module.",
                        self.show(m)
                    ),
                ));
            }
        }
        for m in self.modules_where(ModuleKind::is_neurons) {
            for (k, &node) in self.graph.module(m).inputs().iter().enumerate() {
                if let Some(&s) = self
                    .graph
                    .sources(node)
                    .iter()
                    .find(|&&s| !self.kind(s).is_weights())
                {
                    return Err(error(
                        R::InputToNeuronsIsAWeight,
                        Some(self.name(m)),
                        format!(
                            "All neurons must receive their inputs through weights. Input {k} of {} is driven by {}, which is not LinearWeights.",
                            self.show(m),
                            self.show(s)
                        ),
                    ));
                }
            }
        }
        for (c, &node) in self.inputs.iter().enumerate() {
            if let Some(&s) = self
                .graph
                .sinks(node)
                .iter()
                .find(|&&s| !self.kind(s).is_weights())
            {
                return Err(error(
                    R::FirstModuleIsAWeight,
                    Some(self.name(s)),
                    format!(
                        "The network input must go first through weights. Input channel {c} is read by {}, which is not LinearWeights.",
                        self.show(s)
                    ),
                ));
            }
        }
        let n_in = self.inputs.len();
        if n_in > self.chip.input_channels {
            self.warn(
                R::InputChannels,
                None,
                format!(
                    "Xylo supports up to {} input channels; the network has {n_in}.",
                    self.chip.input_channels
                ),
            );
        }
        let out_limit = match self.family {
            XyloFamily::Audio2 => 8,
            XyloFamily::Audio3 | XyloFamily::Imu => 16,
        };
        let n_out = self.outputs.len();
        if n_out > out_limit {
            self.warn(
                R::OutputChannels,
                None,
                format!(
                    "{} supports up to {out_limit} output channels; the network has {n_out}.",
                    self.family.product_name()
                ),
            );
        }
        Ok(())
    }

    fn check_dt(&mut self) -> Result<f64, MapError> {
        let neurons = self.modules_where(ModuleKind::is_neurons);
        let mut dts = neurons
            .iter()
            .filter_map(|&m| self.kind(m).dt().map(|dt| (m, dt)));
        let Some((_, dt)) = dts.next() else {
            return Err(error(
                DesignRule::AllNeuronsHaveSameDt,
                None,
                "The network must give a `dt` for at least one neuron module.",
            ));
        };
        if let Some((m, other)) = dts.find(|&(_, d)| !isclose(d, dt)) {
            return Err(error(
                DesignRule::AllNeuronsHaveSameDt,
                Some(self.name(m)),
                format!(
                    "All neurons in the network must share a common `dt`: {} has dt = {other} s, the network dt = {dt} s.",
                    self.show(m)
                ),
            ));
        }
        Ok(dt)
    }

    /// Recurrent readout, consecutive weights, aliases, and at least two neuron layers.
    fn check_layers(&mut self, hidden: &[ModuleId], readout: &[ModuleId]) -> Result<(), MapError> {
        use DesignRule as R;
        let recurrent = self.graph.find_recurrent_modules();
        if let Some(&m) = readout.iter().find(|m| recurrent.contains(m)) {
            return Err(error(
                R::OutputNeuronsCannotBeRecurrent,
                Some(self.name(m)),
                format!(
                    "Output neurons may not be recurrent. {} drives one of the network outputs and has recurrent connections.",
                    self.show(m)
                ),
            ));
        }
        for w in self.modules_where(ModuleKind::is_weights) {
            for &node in self.graph.module(w).outputs() {
                if let Some(&s) = self
                    .graph
                    .sinks(node)
                    .iter()
                    .find(|&&s| self.kind(s).is_weights())
                {
                    return Err(error(
                        R::NoConsecutiveWeights,
                        Some(self.name(w)),
                        format!(
                            "Outputs of weights may not feed weights. {} feeds {}; put neurons between them or multiply the matrices.",
                            self.show(w),
                            self.show(s)
                        ),
                    ));
                }
            }
        }
        for a in self.modules_where(ModuleKind::is_alias) {
            for (i, &node) in self.graph.module(a).inputs().iter().enumerate() {
                let sources = self.graph.sources(node);
                if let Some(&s) = sources
                    .iter()
                    .find(|&&s| !(self.kind(s).is_neurons() || self.kind(s).is_alias()))
                {
                    return Err(error(
                        R::AliasInputsMustBeNeurons,
                        Some(self.name(a)),
                        format!(
                            "Inputs to alias connections must be neurons or another alias. Input {i} of {} is driven by {}.",
                            self.show(a),
                            self.show(s)
                        ),
                    ));
                }
                if self.neuron_source(node).is_none() {
                    return Err(error(
                        R::AliasInputsMustBeNeurons,
                        Some(self.name(a)),
                        format!(
                            "Inputs to alias connections must be neurons. Input {i} of {} is driven by no neuron.",
                            self.show(a)
                        ),
                    ));
                }
            }
            for (i, &node) in self.graph.module(a).outputs().iter().enumerate() {
                if self.neuron_source(node).is_none() {
                    return Err(error(
                        R::AliasOutputNodesMustHaveNeuronsAsInput,
                        Some(self.name(a)),
                        format!(
                            "Alias outputs must be neuron outputs. Output {i} of {} is driven by no neuron.",
                            self.show(a)
                        ),
                    ));
                }
            }
        }
        if hidden.is_empty() || readout.is_empty() {
            return Err(error(
                R::AtLeastTwoNeuronLayersNeeded,
                None,
                format!(
                    "At least two layers of neurons are required to map to hidden and output layers on Xylo; the network has {} hidden and {} output neuron modules.",
                    hidden.len(),
                    readout.len()
                ),
            ));
        }
        let biased: Vec<ModuleId> = self
            .modules_where(ModuleKind::is_weights)
            .into_iter()
            .filter(|&w| match self.kind(w) {
                ModuleKind::LinearWeights(lw) => lw
                    .biases
                    .as_ref()
                    .is_some_and(|b| b.iter().any(|&x| x != 0.0)),
                _ => false,
            })
            .collect();
        for w in biased {
            let msg = format!(
                "Biases of LinearWeights are not transferred to Xylo. {} has non-zero biases; train without them.",
                self.show(w)
            );
            self.warn(R::WeightNodesHaveNoBiases, Some(w), msg);
        }
        Ok(())
    }

    fn lif(&self, m: ModuleId) -> &'g LifNeurons {
        match self.graph.module(m).kind() {
            ModuleKind::LifNeurons(p) => p,
            _ => unreachable!("checked by check_neurons"),
        }
    }

    /// Neuron models, synapse counts, time constants and finite parameters.
    fn check_neurons(
        &mut self,
        hidden: &[ModuleId],
        readout: &[ModuleId],
        dt: f64,
    ) -> Result<(), MapError> {
        use DesignRule as R;
        for &m in hidden.iter().chain(readout) {
            if !matches!(self.kind(m), ModuleKind::LifNeurons(_)) {
                return Err(error(
                    R::NeuronsAreLif,
                    Some(self.name(m)),
                    format!(
                        "{} cannot be mapped: only LIF neurons (LIFNeuronWithSynsRealValue) have a Xylo equivalent.",
                        self.show(m)
                    ),
                ));
            }
        }
        let max_syn = self.chip.synapses_per_neuron;
        for (&m, is_out) in hidden
            .iter()
            .map(|m| (m, false))
            .chain(readout.iter().map(|m| (m, true)))
        {
            let n_syn = self.lif(m).n_synapses();
            let limit = if is_out { 1 } else { max_syn };
            if n_syn > limit {
                let what = if is_out {
                    "Output neurons have one synapse".to_string()
                } else {
                    format!(
                        "Hidden neurons on {} have at most {limit} synapse(s)",
                        self.family.product_name()
                    )
                };
                return Err(error(
                    R::MaxSynapsesPerNeuron,
                    Some(self.name(m)),
                    format!(
                        "{what}. {} has {n_syn} synapses per neuron ({} input nodes for {} neurons).",
                        self.show(m),
                        self.graph.module(m).inputs().len(),
                        self.lif(m).n_neurons()
                    ),
                ));
            }
        }
        let strict = self.family != XyloFamily::Audio3;
        for &m in hidden.iter().chain(readout) {
            let p = self.lif(m);
            let taus = p
                .tau_mem
                .iter()
                .enumerate()
                .map(|(i, &t)| ("tau_mem", i, t))
                .chain(
                    p.tau_syn
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| ("tau_syn", i, t)),
                );
            for (field, i, tau) in taus {
                if !(tau.is_finite() && tau > 0.0) {
                    return Err(error(
                        R::TimeConstantsLongerThanDt,
                        Some(self.name(m)),
                        format!(
                            "{} has {field}[{i}] = {tau}; time constants must be positive numbers of seconds.",
                            self.show(m)
                        ),
                    ));
                }
                if (tau as f32) <= (dt as f32) {
                    let msg = format!(
                        "{} has {field}[{i}] = {tau} s <= dt = {dt} s, which cannot be converted to a `dash` decay parameter (dash = log2(tau / dt) would be <= 0).",
                        self.show(m)
                    );
                    if strict {
                        return Err(error(R::TimeConstantsLongerThanDt, Some(self.name(m)), msg));
                    }
                    self.warn(
                        R::TimeConstantsLongerThanDt,
                        Some(m),
                        format!("{msg} On XyloAudio 3 the state is cleared every step."),
                    );
                    break;
                }
            }
        }
        let first_bad = |a: &Array1<f64>| a.iter().position(|x| !x.is_finite());
        for &m in &self.order {
            let bad = match self.kind(m) {
                ModuleKind::LinearWeights(w) => w
                    .weights
                    .iter()
                    .position(|x| !x.is_finite())
                    .map(|i| ("weights", i)),
                ModuleKind::LifNeurons(p) => first_bad(&p.threshold)
                    .map(|i| ("threshold", i))
                    .or_else(|| first_bad(&p.bias).map(|i| ("bias", i))),
                _ => None,
            };
            if let Some((field, i)) = bad {
                return Err(error(
                    R::ParametersAreFinite,
                    Some(self.name(m)),
                    format!(
                        "{} has a non-finite value in `{field}` (element {i}).",
                        self.show(m)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// What Xylo's wiring allows beyond Rockpool's rules (Rockpool fails obscurely there).
    fn check_connectivity(&self, readout: &[ModuleId]) -> Result<(), MapError> {
        use DesignRule as R;
        for &m in readout {
            for &node in self.graph.module(m).outputs() {
                if let Some(&s) = self.graph.sinks(node).first() {
                    return Err(error(
                        R::OutputNeuronsDriveNothing,
                        Some(self.name(m)),
                        format!(
                            "{} drives a network output, so it is mapped to readout neurons, which have no outgoing connections; but it also drives {}. Take the hidden layer's outputs from a separate readout layer.",
                            self.show(m),
                            self.show(s)
                        ),
                    ));
                }
            }
        }
        for w in self.modules_where(ModuleKind::is_weights) {
            let module = self.graph.module(w);
            for (r, &node) in module.inputs().iter().enumerate() {
                let source = self.source_of(node);
                if source.is_none() {
                    return Err(error(
                        R::WeightsReadInputsOrNeurons,
                        Some(module.name()),
                        format!(
                            "Input {r} of {} is neither a network input nor driven by a neuron.",
                            self.show(w)
                        ),
                    ));
                }
                if let Some(Source::Input(c)) = source {
                    for &node in module.outputs() {
                        if let Some((t, _)) = self
                            .neuron_targets(node)
                            .into_iter()
                            .find(|(t, _)| readout.contains(t))
                        {
                            return Err(error(
                                R::InputWeightsTargetHiddenNeurons,
                                Some(module.name()),
                                format!(
                                    "{} connects input channel {c} to output neurons {}; Xylo's input weights reach hidden neurons only. Add a hidden layer.",
                                    self.show(w),
                                    self.show(t)
                                ),
                            ));
                        }
                    }
                }
            }
        }
        for a in self.modules_where(ModuleKind::is_alias) {
            let module = self.graph.module(a);
            for &node in module.inputs().iter().chain(module.outputs()) {
                if let Some((n, _)) = self.neuron_source(node)
                    && readout.contains(&n)
                {
                    return Err(error(
                        R::AliasesLinkHiddenNeurons,
                        Some(module.name()),
                        format!(
                            "{} links output neurons {}; aliases exist between hidden neurons only.",
                            self.show(a),
                            self.show(n)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Hardware ids, then the matrices.
    fn build(
        mut self,
        hidden: &[ModuleId],
        readout: &[ModuleId],
        dt: f64,
    ) -> Result<MappedNetwork, MapError> {
        // Which hidden modules receive input weights (IEN) and drive readout weights (OEN).
        let mut ien = Vec::new();
        let mut oen = Vec::new();
        for w in self.modules_where(ModuleKind::is_weights) {
            let module = self.graph.module(w);
            let sources: Vec<Source> = module
                .inputs()
                .iter()
                .filter_map(|&n| self.source_of(n))
                .collect();
            let targets: Vec<ModuleId> = module
                .outputs()
                .iter()
                .flat_map(|&n| self.neuron_targets(n))
                .map(|(t, _)| t)
                .collect();
            if sources.iter().any(|s| matches!(s, Source::Input(_))) {
                ien.extend(targets.iter().copied().filter(|t| hidden.contains(t)));
            }
            if targets.iter().any(|t| readout.contains(t)) {
                oen.extend(sources.iter().filter_map(|s| match s {
                    Source::Neuron(m, _) => Some(*m),
                    Source::Input(_) => None,
                }));
            }
        }
        let allocation: Vec<ModuleId> = match self.family {
            XyloFamily::Audio2 => hidden.to_vec(),
            XyloFamily::Audio3 | XyloFamily::Imu => {
                let first = hidden.iter().filter(|m| ien.contains(m));
                let middle = hidden
                    .iter()
                    .filter(|m| !ien.contains(m) && !oen.contains(m));
                let last = hidden
                    .iter()
                    .filter(|m| oen.contains(m) && !ien.contains(m));
                first.chain(middle).chain(last).copied().collect()
            }
        };
        let hidden_ids =
            self.allocate(&allocation, NeuronClass::Hidden, self.chip.hidden_neurons)?;
        let output_ids = self.allocate(readout, NeuronClass::Output, self.chip.output_neurons)?;
        let n_hidden = hidden_ids.iter().map(|h| h.ids.len()).sum::<usize>();
        let n_out = output_ids.iter().map(|h| h.ids.len()).sum::<usize>();
        let ids_of = |table: &[HardwareIds], m: ModuleId| -> Vec<usize> {
            find_ids(table, m)
                .map(<[usize]>::to_vec)
                .unwrap_or_default()
        };

        let (n_ien, n_oen) = match self.family {
            XyloFamily::Audio2 => (n_hidden, n_hidden),
            XyloFamily::Audio3 | XyloFamily::Imu => {
                let mut n_ien = 0;
                for &m in hidden.iter().filter(|m| ien.contains(m)) {
                    n_ien = n_ien.max(ids_of(&hidden_ids, m).iter().max().map_or(0, |i| i + 1));
                    if n_ien > self.chip.input_expansion_neurons {
                        return Err(self.resources(
                            NeuronClass::InputExpansion,
                            m,
                            n_ien,
                            self.chip.input_expansion_neurons,
                        ));
                    }
                }
                let mut n_oen = 0;
                for &m in hidden.iter().filter(|m| oen.contains(m)) {
                    let lowest = ids_of(&hidden_ids, m)
                        .iter()
                        .min()
                        .copied()
                        .unwrap_or(n_hidden);
                    n_oen = n_oen.max(n_hidden - lowest);
                    if n_oen > self.chip.output_expansion_neurons {
                        return Err(self.resources(
                            NeuronClass::OutputExpansion,
                            m,
                            n_oen,
                            self.chip.output_expansion_neurons,
                        ));
                    }
                }
                (n_ien, n_oen)
            }
        };
        let n_syn = if hidden.iter().any(|&m| self.lif(m).n_synapses() == 2) {
            2
        } else {
            1
        };
        let mut spec = XyloSpec::<f64>::zeros_with_expansion(
            self.inputs.len(),
            n_hidden,
            n_out,
            n_syn,
            n_ien,
            n_oen,
        );
        spec.dt = dt;

        for h in &hidden_ids {
            let p = self.lif(h.module);
            let tau_syn = p.tau_syn_matrix();
            for (k, &id) in h.ids.iter().enumerate() {
                spec.dash_mem[id] = dash(p.tau_mem[k], dt);
                spec.dash_syn[id] = dash(tau_syn[[k, 0]], dt);
                spec.dash_syn_2[id] = if tau_syn.ncols() > 1 {
                    dash(tau_syn[[k, 1]], dt)
                } else {
                    0.0
                };
                spec.threshold[id] = p.threshold[k];
                spec.bias[id] = p.bias[k];
            }
        }
        for o in &output_ids {
            let p = self.lif(o.module);
            for (k, &id) in o.ids.iter().enumerate() {
                spec.dash_mem_out[id] = dash(p.tau_mem[k], dt);
                spec.dash_syn_out[id] = dash(p.tau_syn[k], dt);
                spec.threshold_out[id] = p.threshold[k];
                spec.bias_out[id] = p.bias[k];
            }
        }

        let oen_offset = n_hidden - n_oen;
        for w in self.modules_where(ModuleKind::is_weights) {
            let module = self.graph.module(w);
            let ModuleKind::LinearWeights(lw) = module.kind() else {
                unreachable!("filtered to weights")
            };
            let sources: Vec<Source> = module
                .inputs()
                .iter()
                .map(|&n| self.source_of(n).expect("checked by check_connectivity"))
                .collect();
            for (j, &node) in module.outputs().iter().enumerate() {
                for (t, k) in self.neuron_targets(node) {
                    let hid = find_ids(&hidden_ids, t);
                    let out = find_ids(&output_ids, t);
                    for (r, src) in sources.iter().enumerate() {
                        let x = lw.weights[[r, j]];
                        match (*src, hid, out) {
                            (Source::Input(c), Some(ids), _) => {
                                let t_syn = self.lif(t).n_synapses();
                                spec.weights_in[[c, ids[k / t_syn], k % t_syn]] += x;
                            }
                            (Source::Neuron(s, i), Some(ids), _) => {
                                let t_syn = self.lif(t).n_synapses();
                                let pre = ids_of(&hidden_ids, s)[i];
                                spec.weights_rec[[pre, ids[k / t_syn], k % t_syn]] += x;
                            }
                            (Source::Neuron(s, i), None, Some(ids)) => {
                                let pre = ids_of(&hidden_ids, s)[i];
                                spec.weights_out[[pre - oen_offset, ids[k]]] += x;
                            }
                            _ => unreachable!("checked by check_connectivity"),
                        }
                    }
                }
            }
        }

        for a in self.modules_where(ModuleKind::is_alias) {
            let module = self.graph.module(a);
            for (&i, &o) in module.inputs().iter().zip(module.outputs()) {
                let (sm, sk) = self.neuron_source(i).expect("checked by check_layers");
                let (tm, tk) = self.neuron_source(o).expect("checked by check_layers");
                let (src, tgt) = (ids_of(&hidden_ids, sm)[sk], ids_of(&hidden_ids, tm)[tk]);
                if !spec.aliases[src].contains(&tgt) {
                    spec.aliases[src].push(tgt);
                }
                if src == tgt {
                    let msg = format!(
                        "{} aliases hidden neuron {src} to itself; check which nodes the alias reads and writes.",
                        self.show(a)
                    );
                    self.warn(DesignRule::AliasesLinkHiddenNeurons, Some(a), msg);
                }
            }
        }

        Ok(MappedNetwork {
            family: self.family,
            spec,
            hidden: hidden_ids,
            outputs: output_ids,
            warnings: self.warnings,
        })
    }

    /// Consecutive ids for `modules`, in order.
    fn allocate(
        &self,
        modules: &[ModuleId],
        class: NeuronClass,
        available: usize,
    ) -> Result<Vec<HardwareIds>, MapError> {
        let mut next = 0;
        let mut table = Vec::with_capacity(modules.len());
        for &m in modules {
            let n = self.graph.module(m).outputs().len();
            if next + n > available {
                return Err(self.resources(class, m, next + n, available));
            }
            table.push(HardwareIds {
                module: m,
                name: self.name(m).to_string(),
                ids: (next..next + n).collect(),
            });
            next += n;
        }
        Ok(table)
    }

    fn resources(
        &self,
        class: NeuronClass,
        m: ModuleId,
        needed: usize,
        available: usize,
    ) -> MapError {
        MapError::Resources {
            class,
            family: self.family,
            module: self.name(m).to_string(),
            needed,
            available,
        }
    }
}
