//! [`Node`]: every node type of the NIR specification, with its parameters, the shape rules the
//! specification (and Python `nir` 1.0.8) states for it, and the input and output shapes it
//! implies.
//!
//! NIR is continuous-time: time constants (`tau`, `tau_mem`, `tau_syn`) and delays are in
//! seconds (the exporter's unit; NIR fixes none, but every exporter in the NIR paper uses
//! seconds), `r` is a resistance (input gain), voltages (`v_leak`, `v_threshold`, `v_reset`)
//! are in the units of the membrane. Per-neuron parameters are arrays of one common shape, the
//! node's input and output shape (usually `[N]`).

use crate::array::Array;
use crate::error::{NirError, Result, shape_text};
use crate::graph::NirGraph;

/// One node of a NIR graph.
///
/// The variants are NIR's node types; [`Node::type_name`] gives the spelling of the file's
/// `type` dataset (`"LIF"` for [`Node::Lif`], `"NIRGraph"` for [`Node::Graph`], …).
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // a graph holds tens of nodes; boxes would only complicate matching
pub enum Node {
    /// Graph input port (`Input`). No computation; `shape` is the shape of the data entering
    /// the graph, without batch or time dimensions (e.g. `[2, 34, 34]`).
    Input {
        /// The input's shape.
        shape: Vec<usize>,
    },
    /// Graph output port (`Output`); `shape` is the shape of the data leaving the graph.
    Output {
        /// The output's shape.
        shape: Vec<usize>,
    },
    /// `y = W x + b` (`Affine`).
    Affine(Affine),
    /// `y = W x` (`Linear`).
    Linear(Linear),
    /// `y = s ⊙ x` (`Scale`).
    Scale(Scale),
    /// `z = H(x − θ)`, the Heaviside step (`Threshold`).
    Threshold(Threshold),
    /// `y(t) = x(t − τ)` (`Delay`).
    Delay(Delay),
    /// Reshape to fewer dimensions (`Flatten`).
    Flatten(Flatten),
    /// Integrator `dv/dt = R·I` (`I`).
    #[doc(alias = "Integrator")]
    I(Integrator),
    /// Integrate-and-fire neuron (`IF`).
    #[doc(alias = "IF")]
    If(IntegrateAndFire),
    /// Leaky integrator (`LI`).
    #[doc(alias = "LI")]
    Li(LeakyIntegrator),
    /// Leaky integrate-and-fire neuron (`LIF`).
    #[doc(alias = "LIF")]
    Lif(Lif),
    /// Current-based leaky integrator (`CubaLI`).
    #[doc(alias = "CubaLI")]
    CubaLi(CubaLi),
    /// Current-based leaky integrate-and-fire neuron (`CubaLIF`).
    #[doc(alias = "CubaLIF")]
    CubaLif(CubaLif),
    /// 1-D cross-correlation (`Conv1d`).
    Conv1d(Conv1d),
    /// 2-D cross-correlation (`Conv2d`).
    Conv2d(Conv2d),
    /// 2-D sum pooling (`SumPool2d`).
    SumPool2d(Pool2d),
    /// 2-D average pooling: sum pooling, then a scale by `1 / (kx·ky)` (`AvgPool2d`).
    AvgPool2d(Pool2d),
    /// A nested graph (`NIRGraph`); edges of the enclosing graph may address its nodes as
    /// `"<graph>.<node>"`.
    #[doc(alias = "NIRGraph")]
    Graph(NirGraph),
}

/// `y = W x + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Affine {
    /// `[out, in]` (at least 2-D; leading dimensions are batch dimensions).
    pub weight: Array,
    /// `[out]` (or the weight's shape without its last dimension).
    pub bias: Array,
}

/// `y = W x`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// `[out, in]` (at least 2-D; leading dimensions are batch dimensions).
    pub weight: Array,
}

/// `y = s ⊙ x`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    /// The factors, in the shape of the input (`[N]`).
    pub scale: Array,
}

/// `z = 1` where `x > θ`, else 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// `θ`, in the shape of the input (`[N]`).
    pub threshold: Array,
}

/// `y(t) = x(t − τ)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delay {
    /// `τ` per element, in seconds, in the shape of the input (`[N]`).
    pub delay: Array,
}

/// Flattens dimensions `start_dim ..= end_dim` of the input into one.
///
/// NIR shapes have no batch dimension, so PyTorch's `start_dim = 1` is `0` here.
#[derive(Clone, Debug, PartialEq)]
pub struct Flatten {
    /// The input shape, when known (the file's `input_type`).
    pub input_type: Option<Vec<usize>>,
    /// First dimension flattened (negative counts from the end; Python's default 1).
    pub start_dim: i64,
    /// Last dimension flattened (negative counts from the end; default −1).
    pub end_dim: i64,
}

/// Integrator: `dv/dt = R·I`.
#[derive(Clone, Debug, PartialEq)]
pub struct Integrator {
    /// Resistance `R`, `[N]`.
    pub r: Array,
}

/// Integrate-and-fire: `dv/dt = R·I`; when `v > v_threshold`, a spike and `v ← v_reset`.
#[derive(Clone, Debug, PartialEq)]
pub struct IntegrateAndFire {
    /// Resistance `R`, `[N]`.
    pub r: Array,
    /// Firing threshold, `[N]`.
    pub v_threshold: Array,
    /// Reset potential, `[N]`. Files written before `v_reset` existed (NIR < 1.0, 2023) have
    /// none; it is read as zeros of `v_threshold`'s shape and dtype, the specification's
    /// default.
    pub v_reset: Array,
}

/// Leaky integrator: `τ dv/dt = (v_leak − v) + R·I`.
#[derive(Clone, Debug, PartialEq)]
pub struct LeakyIntegrator {
    /// Time constant `τ` in seconds, `[N]`.
    pub tau: Array,
    /// Resistance `R`, `[N]`.
    pub r: Array,
    /// Leak (resting) potential, `[N]`.
    pub v_leak: Array,
}

/// Leaky integrate-and-fire: `τ dv/dt = (v_leak − v) + R·I`; when `v > v_threshold`, a spike
/// and `v ← v_reset`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lif {
    /// Membrane time constant `τ` in seconds, `[N]`.
    pub tau: Array,
    /// Resistance `R`, `[N]`.
    pub r: Array,
    /// Leak (resting) potential, `[N]`.
    pub v_leak: Array,
    /// Firing threshold, `[N]`.
    pub v_threshold: Array,
    /// Reset potential, `[N]`; zeros when the file has none (see
    /// [`IntegrateAndFire::v_reset`]).
    pub v_reset: Array,
}

/// Current-based leaky integrator: `τ_syn dI/dt = −I + w_in·S`,
/// `τ_mem dv/dt = (v_leak − v) + R·I`.
#[derive(Clone, Debug, PartialEq)]
pub struct CubaLi {
    /// Synaptic time constant in seconds, `[N]`.
    pub tau_syn: Array,
    /// Membrane time constant in seconds, `[N]`.
    pub tau_mem: Array,
    /// Resistance `R`, `[N]`.
    pub r: Array,
    /// Leak (resting) potential, `[N]`.
    pub v_leak: Array,
    /// Input weight, `[N]`; ones (of `v_leak`'s dtype) when the file has none, and a scalar
    /// in the file is broadcast to `[N]`, as Python `nir` does.
    pub w_in: Array,
}

/// Current-based leaky integrate-and-fire: [`CubaLi`] plus a spike when `v > v_threshold`,
/// then `v ← v_reset`.
#[derive(Clone, Debug, PartialEq)]
pub struct CubaLif {
    /// Synaptic time constant in seconds, `[N]`.
    pub tau_syn: Array,
    /// Membrane time constant in seconds, `[N]`.
    pub tau_mem: Array,
    /// Resistance `R`, `[N]`.
    pub r: Array,
    /// Leak (resting) potential, `[N]`.
    pub v_leak: Array,
    /// Firing threshold, `[N]`.
    pub v_threshold: Array,
    /// Reset potential, `[N]`; zeros (of `v_threshold`'s dtype) when the file has none.
    pub v_reset: Array,
    /// Input weight, `[N]`; ones (of `v_threshold`'s dtype) when the file has none, and a
    /// scalar is broadcast to `[N]`.
    pub w_in: Array,
}

/// Padding of a convolution: explicit (`P` = `usize` for [`Conv1d`], `[usize; 2]` for
/// [`Conv2d`]), or one of PyTorch's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding<P> {
    /// `'same'`: the output has the input's spatial size (stride 1).
    Same,
    /// `'valid'`: no padding.
    Valid,
    /// Zeros added on both sides, per spatial dimension.
    Explicit(P),
}

/// 1-D cross-correlation over `[C_in, N]` inputs, PyTorch's `Conv1d`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv1d {
    /// `[C_out, C_in / groups, K]`.
    pub weight: Array,
    /// Stride (≥ 1).
    pub stride: usize,
    /// Padding.
    pub padding: Padding<usize>,
    /// Dilation (≥ 1).
    pub dilation: usize,
    /// Groups (≥ 1, dividing `C_out`).
    pub groups: usize,
    /// `[C_out]`.
    pub bias: Array,
    /// The input length `N`, when known; it fixes the output shape. Python `nir` 1.0.8 cannot
    /// read a file without it (its `Conv1d` requires the argument).
    pub input_shape: Option<usize>,
}

/// 2-D cross-correlation over `[C_in, Nx, Ny]` inputs, PyTorch's `Conv2d`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    /// `[C_out, C_in / groups, Kx, Ky]`.
    pub weight: Array,
    /// Stride per spatial dimension (≥ 1); a single integer in the file is used for both.
    pub stride: [usize; 2],
    /// Padding (an integer in the file is used for both dimensions).
    pub padding: Padding<[usize; 2]>,
    /// Dilation per spatial dimension (≥ 1).
    pub dilation: [usize; 2],
    /// Groups (≥ 1, dividing `C_out`).
    pub groups: usize,
    /// `[C_out]`.
    pub bias: Array,
    /// The input's spatial size `(Nx, Ny)`, when known; it fixes the output shape. Python
    /// `nir` 1.0.8 cannot read a file without it.
    pub input_shape: Option<[usize; 2]>,
}

/// 2-D pooling over `[C, H, W]` inputs ([`Node::SumPool2d`], [`Node::AvgPool2d`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2d {
    /// Window `(height, width)` (≥ 1); a single integer in the file is used for both.
    pub kernel_size: [usize; 2],
    /// Stride `(height, width)` (≥ 1).
    pub stride: [usize; 2],
    /// Zero padding `(height, width)`.
    pub padding: [usize; 2],
}

/// The `type` strings of every node type, as Python `nir` 1.0.8 spells them.
pub const NODE_TYPES: [&str; 19] = [
    "Input",
    "Output",
    "Affine",
    "Linear",
    "Scale",
    "Threshold",
    "Delay",
    "Flatten",
    "I",
    "IF",
    "LI",
    "LIF",
    "CubaLI",
    "CubaLIF",
    "Conv1d",
    "Conv2d",
    "SumPool2d",
    "AvgPool2d",
    "NIRGraph",
];

impl Node {
    /// The node's `type` as written in the file: `"Input"`, `"LIF"`, `"CubaLIF"`,
    /// `"NIRGraph"`, … (see [`NODE_TYPES`]).
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Input { .. } => "Input",
            Node::Output { .. } => "Output",
            Node::Affine(_) => "Affine",
            Node::Linear(_) => "Linear",
            Node::Scale(_) => "Scale",
            Node::Threshold(_) => "Threshold",
            Node::Delay(_) => "Delay",
            Node::Flatten(_) => "Flatten",
            Node::I(_) => "I",
            Node::If(_) => "IF",
            Node::Li(_) => "LI",
            Node::Lif(_) => "LIF",
            Node::CubaLi(_) => "CubaLI",
            Node::CubaLif(_) => "CubaLIF",
            Node::Conv1d(_) => "Conv1d",
            Node::Conv2d(_) => "Conv2d",
            Node::SumPool2d(_) => "SumPool2d",
            Node::AvgPool2d(_) => "AvgPool2d",
            Node::Graph(_) => "NIRGraph",
        }
    }

    /// The node's array parameters with their field names, in the specification's order
    /// (empty for nodes without array parameters and for subgraphs).
    pub fn arrays(&self) -> Vec<(&'static str, &Array)> {
        match self {
            Node::Affine(a) => vec![("weight", &a.weight), ("bias", &a.bias)],
            Node::Linear(l) => vec![("weight", &l.weight)],
            Node::Scale(s) => vec![("scale", &s.scale)],
            Node::Threshold(t) => vec![("threshold", &t.threshold)],
            Node::Delay(d) => vec![("delay", &d.delay)],
            Node::I(n) => vec![("r", &n.r)],
            Node::If(n) => vec![
                ("r", &n.r),
                ("v_threshold", &n.v_threshold),
                ("v_reset", &n.v_reset),
            ],
            Node::Li(n) => vec![("tau", &n.tau), ("r", &n.r), ("v_leak", &n.v_leak)],
            Node::Lif(n) => vec![
                ("tau", &n.tau),
                ("r", &n.r),
                ("v_leak", &n.v_leak),
                ("v_threshold", &n.v_threshold),
                ("v_reset", &n.v_reset),
            ],
            Node::CubaLi(n) => vec![
                ("tau_syn", &n.tau_syn),
                ("tau_mem", &n.tau_mem),
                ("r", &n.r),
                ("v_leak", &n.v_leak),
                ("w_in", &n.w_in),
            ],
            Node::CubaLif(n) => vec![
                ("tau_syn", &n.tau_syn),
                ("tau_mem", &n.tau_mem),
                ("r", &n.r),
                ("v_leak", &n.v_leak),
                ("v_threshold", &n.v_threshold),
                ("v_reset", &n.v_reset),
                ("w_in", &n.w_in),
            ],
            Node::Conv1d(c) => vec![("weight", &c.weight), ("bias", &c.bias)],
            Node::Conv2d(c) => vec![("weight", &c.weight), ("bias", &c.bias)],
            Node::Input { .. }
            | Node::Output { .. }
            | Node::Flatten(_)
            | Node::SumPool2d(_)
            | Node::AvgPool2d(_)
            | Node::Graph(_) => Vec::new(),
        }
    }

    /// Checks the node's own shape rules; `name` (dotted inside subgraphs) is used in errors.
    ///
    /// - neuron models, `Scale`, `Threshold`, `Delay`: all parameters have one shape;
    /// - `Affine`/`Linear`: weight at least 2-D, `Affine` bias `[out]`;
    /// - `Conv1d`/`Conv2d`: weight 3-D/4-D, bias `[C_out]`, stride, dilation and groups ≥ 1,
    ///   `groups` divides `C_out`, and a known input size gives an output of at least 1;
    /// - pooling: kernel and stride ≥ 1; `Flatten`: dimensions inside a known input shape;
    /// - `NIRGraph`: the whole subgraph ([`NirGraph::check`]).
    ///
    /// # Errors
    /// [`NirError::Field`] naming the node and the field, or [`NirError::Node`].
    pub fn check(&self, name: &str) -> Result<()> {
        match self {
            Node::Input { .. } | Node::Output { .. } => Ok(()),
            Node::Affine(a) => {
                check_weight(name, &a.weight)?;
                let w = a.weight.shape();
                let out = w[w.len() - 2];
                let lead = &w[..w.len() - 1];
                let b = a.bias.shape();
                if b != [out] && b != lead {
                    return Err(NirError::field(
                        name,
                        "bias",
                        format!(
                            "has shape {} but 'weight' has shape {} (bias must be ({out},))",
                            a.bias.shape_text(),
                            a.weight.shape_text()
                        ),
                    ));
                }
                Ok(())
            }
            Node::Linear(l) => check_weight(name, &l.weight),
            Node::Graph(g) => g.check_in(name),
            Node::Conv1d(c) => c.check(name),
            Node::Conv2d(c) => c.check(name),
            Node::SumPool2d(p) | Node::AvgPool2d(p) => p.check(name),
            Node::Flatten(f) => f.check(name),
            _ => check_same_shapes(name, self.type_name(), &self.arrays()),
        }
    }

    /// The shape of the node's input, where the node alone fixes it (`None` for pooling, for
    /// convolutions without `input_shape`, for `Flatten` without `input_type`, and for a
    /// subgraph without exactly one `Input` node).
    pub fn input_shape(&self) -> Option<Vec<usize>> {
        match self {
            Node::Input { shape } | Node::Output { shape } => Some(shape.clone()),
            Node::Affine(Affine { weight, .. }) | Node::Linear(Linear { weight }) => {
                let w = weight.shape();
                let (lead, last) = w.split_at(w.len().checked_sub(2)?);
                Some([lead, &last[1..]].concat())
            }
            Node::Flatten(f) => f.input_type.clone(),
            Node::Conv1d(c) => {
                let w = c.weight.shape();
                Some(vec![w.get(1)?.checked_mul(c.groups)?, c.input_shape?])
            }
            Node::Conv2d(c) => {
                let w = c.weight.shape();
                let [x, y] = c.input_shape?;
                Some(vec![w.get(1)?.checked_mul(c.groups)?, x, y])
            }
            Node::SumPool2d(_) | Node::AvgPool2d(_) => None,
            Node::Graph(g) => g.single_port(true),
            _ => self.arrays().first().map(|(_, a)| a.shape().to_vec()),
        }
    }

    /// The shape of the node's output, where the node alone fixes it (see
    /// [`input_shape`](Self::input_shape)).
    pub fn output_shape(&self) -> Option<Vec<usize>> {
        match self {
            Node::Affine(Affine { weight, .. }) | Node::Linear(Linear { weight }) => {
                let w = weight.shape();
                let (lead, last) = w.split_at(w.len().checked_sub(2)?);
                Some([lead, &last[..1]].concat())
            }
            Node::Graph(g) => g.single_port(false),
            Node::SumPool2d(_)
            | Node::AvgPool2d(_)
            | Node::Flatten(_)
            | Node::Conv1d(_)
            | Node::Conv2d(_) => self.output_for_input(&self.input_shape()?).ok().flatten(),
            _ => self.input_shape(),
        }
    }

    /// The output shape this node gives for an input of shape `input` (for the nodes whose
    /// output depends on their input: `Output`, convolutions, pooling, `Flatten`); `Ok(None)`
    /// for the others. `Err(message)` if the input cannot go through the node.
    pub(crate) fn output_for_input(
        &self,
        input: &[usize],
    ) -> std::result::Result<Option<Vec<usize>>, String> {
        let spatial = |what: &str, n: usize| -> std::result::Result<&[usize], String> {
            if input.len() == n + 1 {
                Ok(&input[1..])
            } else {
                Err(format!(
                    "{what} takes inputs of {} dimensions (channels, {}), not {}",
                    n + 1,
                    if n == 1 { "length" } else { "height, width" },
                    shape_text(input)
                ))
            }
        };
        match self {
            Node::Output { .. } => Ok(Some(input.to_vec())),
            Node::Conv1d(c) => {
                let n = spatial("Conv1d", 1)?;
                let w = c.weight.shape();
                let (pad, same) = match c.padding {
                    Padding::Same => (0, true),
                    Padding::Valid => (0, false),
                    Padding::Explicit(p) => (p, false),
                };
                let out = conv_size(n[0], pad, same, c.dilation, w[2], c.stride)?;
                Ok(Some(vec![w[0], out]))
            }
            Node::Conv2d(c) => {
                let n = spatial("Conv2d", 2)?;
                let w = c.weight.shape();
                let (pad, same) = match c.padding {
                    Padding::Same => ([0, 0], true),
                    Padding::Valid => ([0, 0], false),
                    Padding::Explicit(p) => (p, false),
                };
                let mut shape = vec![w[0]];
                for (d, &size) in n.iter().enumerate() {
                    shape.push(conv_size(
                        size,
                        pad[d],
                        same,
                        c.dilation[d],
                        w[2 + d],
                        c.stride[d],
                    )?);
                }
                Ok(Some(shape))
            }
            Node::SumPool2d(p) | Node::AvgPool2d(p) => {
                let n = spatial(self.type_name(), 2)?;
                let mut shape = vec![input[0]];
                for (d, &size) in n.iter().enumerate() {
                    shape.push(conv_size(
                        size,
                        p.padding[d],
                        false,
                        1,
                        p.kernel_size[d],
                        p.stride[d],
                    )?);
                }
                Ok(Some(shape))
            }
            Node::Flatten(f) => f.flatten(input).map(Some),
            _ => Ok(None),
        }
    }
}

/// `floor((n + 2p − d(k − 1) − 1) / s) + 1`, PyTorch's output size; `n` for `'same'`.
fn conv_size(
    n: usize,
    pad: usize,
    same: bool,
    dilation: usize,
    kernel: usize,
    stride: usize,
) -> std::result::Result<usize, String> {
    if same {
        return Ok(n);
    }
    let span = dilation
        .checked_mul(kernel.saturating_sub(1))
        .and_then(|s| s.checked_add(1))
        .ok_or("kernel span overflows")?;
    let padded = pad
        .checked_mul(2)
        .and_then(|p| p.checked_add(n))
        .ok_or("padded size overflows")?;
    if padded < span || stride == 0 {
        return Err(format!(
            "an input of size {n} with padding {pad} is smaller than the kernel's span {span}"
        ));
    }
    Ok((padded - span) / stride + 1)
}

/// Weights of `Affine`/`Linear`: at least 2-D.
fn check_weight(name: &str, weight: &Array) -> Result<()> {
    if weight.ndim() < 2 {
        return Err(NirError::field(
            name,
            "weight",
            format!(
                "has shape {} but must be at least 2-D ([out, in])",
                weight.shape_text()
            ),
        ));
    }
    Ok(())
}

/// All arrays of a neuron-like node share the first one's shape.
fn check_same_shapes(name: &str, type_name: &str, arrays: &[(&str, &Array)]) -> Result<()> {
    let Some((first, reference)) = arrays.first() else {
        return Ok(());
    };
    for (field, a) in &arrays[1..] {
        if a.shape() != reference.shape() {
            return Err(NirError::field(
                name,
                first,
                format!(
                    "has shape {} but '{field}' has {} (all parameters of a {type_name} node have one shape)",
                    reference.shape_text(),
                    a.shape_text(),
                ),
            ));
        }
    }
    Ok(())
}

/// At least one, for strides, dilations, kernels and groups.
fn check_positive(name: &str, field: &str, values: &[usize]) -> Result<()> {
    if values.contains(&0) {
        return Err(NirError::field(
            name,
            field,
            format!("is {values:?} but must be at least 1"),
        ));
    }
    Ok(())
}

/// Weight rank, bias, groups of a convolution.
fn check_conv(name: &str, weight: &Array, bias: &Array, groups: usize, rank: usize) -> Result<()> {
    if weight.ndim() != rank {
        return Err(NirError::field(
            name,
            "weight",
            format!(
                "has shape {} but must be {rank}-D ([C_out, C_in / groups, {}])",
                weight.shape_text(),
                if rank == 3 { "K" } else { "Kx, Ky" }
            ),
        ));
    }
    let c_out = weight.shape()[0];
    if bias.shape() != [c_out] {
        return Err(NirError::field(
            name,
            "bias",
            format!(
                "has shape {} but 'weight' has {} output channels (bias must be ({c_out},))",
                bias.shape_text(),
                c_out
            ),
        ));
    }
    check_positive(name, "groups", &[groups])?;
    if !c_out.is_multiple_of(groups) {
        return Err(NirError::field(
            name,
            "groups",
            format!("is {groups}, which does not divide the {c_out} output channels"),
        ));
    }
    Ok(())
}

impl Conv1d {
    fn check(&self, name: &str) -> Result<()> {
        check_conv(name, &self.weight, &self.bias, self.groups, 3)?;
        check_positive(name, "stride", &[self.stride])?;
        check_positive(name, "dilation", &[self.dilation])?;
        if let Some(n) = self.input_shape {
            let node = Node::Conv1d(self.clone());
            let input = node.input_shape().unwrap_or_else(|| vec![0, n]);
            node.output_for_input(&input)
                .map_err(|m| NirError::field(name, "input_shape", format!("is {n}: {m}")))?;
        }
        Ok(())
    }
}

impl Conv2d {
    fn check(&self, name: &str) -> Result<()> {
        check_conv(name, &self.weight, &self.bias, self.groups, 4)?;
        check_positive(name, "stride", &self.stride)?;
        check_positive(name, "dilation", &self.dilation)?;
        if let Some([x, y]) = self.input_shape {
            let node = Node::Conv2d(self.clone());
            let input = node.input_shape().unwrap_or_else(|| vec![0, x, y]);
            node.output_for_input(&input)
                .map_err(|m| NirError::field(name, "input_shape", format!("is ({x}, {y}): {m}")))?;
        }
        Ok(())
    }
}

impl Pool2d {
    fn check(&self, name: &str) -> Result<()> {
        check_positive(name, "kernel_size", &self.kernel_size)?;
        check_positive(name, "stride", &self.stride)
    }
}

impl Flatten {
    /// `start_dim` and `end_dim` as indices into a shape of `ndim` dimensions.
    fn dims(&self, ndim: usize) -> std::result::Result<(usize, usize), String> {
        let resolve = |d: i64| -> Option<usize> {
            let n = i64::try_from(ndim).ok()?;
            let d = if d < 0 { d + n } else { d };
            usize::try_from(d).ok().filter(|&d| d < ndim)
        };
        match (resolve(self.start_dim), resolve(self.end_dim)) {
            (Some(s), Some(e)) if s <= e => Ok((s, e)),
            _ => Err(format!(
                "start_dim {} and end_dim {} do not select dimensions of an input with {ndim} \
                 dimensions",
                self.start_dim, self.end_dim,
            )),
        }
    }

    /// The output shape for `input`.
    fn flatten(&self, input: &[usize]) -> std::result::Result<Vec<usize>, String> {
        let (s, e) = self.dims(input.len())?;
        let middle = input[s..=e]
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .ok_or("the flattened size overflows")?;
        Ok([&input[..s], &[middle], &input[e + 1..]].concat())
    }

    fn check(&self, name: &str) -> Result<()> {
        if let Some(input) = &self.input_type {
            self.flatten(input)
                .map_err(|m| NirError::field(name, "start_dim", m))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, ArrayD, IxDyn};

    fn ones(shape: &[usize]) -> Array {
        Array::F32(ArrayD::ones(IxDyn(shape)))
    }

    #[test]
    fn neuron_shape_mismatch_names_node_and_fields() {
        let lif = Node::Lif(Lif {
            tau: ones(&[3]),
            r: ones(&[3]),
            v_leak: ones(&[3]),
            v_threshold: ones(&[4]),
            v_reset: ones(&[3]),
        });
        let err = lif.check("lif1").unwrap_err().to_string();
        assert!(
            err.starts_with("node 'lif1': field 'tau' has shape (3,) but 'v_threshold' has (4,)"),
            "{err}"
        );
    }

    #[test]
    fn shapes_of_weights_and_convolutions() {
        let affine = Node::Affine(Affine {
            weight: ones(&[5, 3]),
            bias: ones(&[5]),
        });
        assert_eq!(affine.input_shape(), Some(vec![3]));
        assert_eq!(affine.output_shape(), Some(vec![5]));
        let bad = Node::Affine(Affine {
            weight: ones(&[5, 3]),
            bias: ones(&[3]),
        });
        assert!(bad.check("fc").unwrap_err().to_string().contains("'bias'"));

        // Sinabs' first N-MNIST layer: 2 → 16 channels, 5×5, stride 2, padding 1, 34×34.
        let conv = Node::Conv2d(Conv2d {
            weight: ones(&[16, 2, 5, 5]),
            stride: [2, 2],
            padding: Padding::Explicit([1, 1]),
            dilation: [1, 1],
            groups: 1,
            bias: ones(&[16]),
            input_shape: Some([34, 34]),
        });
        conv.check("conv").unwrap();
        assert_eq!(conv.input_shape(), Some(vec![2, 34, 34]));
        assert_eq!(conv.output_shape(), Some(vec![16, 16, 16]));

        let pool = Node::SumPool2d(Pool2d {
            kernel_size: [2, 2],
            stride: [2, 2],
            padding: [0, 0],
        });
        assert_eq!(
            pool.output_for_input(&[16, 16, 16]).unwrap(),
            Some(vec![16, 8, 8])
        );
        let flat = Node::Flatten(Flatten {
            input_type: Some(vec![2, 3, 4]),
            start_dim: 0,
            end_dim: -1,
        });
        assert_eq!(flat.output_shape(), Some(vec![24]));
        let flat = Node::Flatten(Flatten {
            input_type: Some(vec![2, 3, 4]),
            start_dim: 1,
            end_dim: 2,
        });
        assert_eq!(flat.output_shape(), Some(vec![2, 12]));
        let bad = Node::Flatten(Flatten {
            input_type: Some(vec![2]),
            start_dim: 1,
            end_dim: -1,
        });
        assert!(bad.check("f").is_err());
    }

    #[test]
    fn conv_too_small_input_is_refused() {
        let conv = Node::Conv1d(Conv1d {
            weight: ones(&[4, 2, 5]),
            stride: 1,
            padding: Padding::Valid,
            dilation: 1,
            groups: 1,
            bias: Array::from(Array1::<f32>::zeros(4)),
            input_shape: Some(3),
        });
        let err = conv.check("c").unwrap_err().to_string();
        assert!(err.contains("field 'input_shape'"), "{err}");
    }
}
