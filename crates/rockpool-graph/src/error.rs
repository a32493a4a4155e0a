//! The one error type of this crate.

use crate::graph::{ModuleId, NodeId};

/// `Result` with [`GraphError`].
pub type Result<T, E = GraphError> = std::result::Result<T, E>;

/// Everything that can go wrong when building a graph. Messages name the module, the field,
/// what was found and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Two lists of nodes that must pair up one to one have different lengths
    /// (connecting outputs to inputs, an alias, a residual block).
    #[error("{context}: {left} {left_what} cannot be paired with {right} {right_what}")]
    SizeMismatch {
        /// What was being done, e.g. `connect` or `residual "block"`.
        context: String,
        /// Length of the first list.
        left: usize,
        /// What the first list holds, e.g. `source output nodes`.
        left_what: &'static str,
        /// Length of the second list.
        right: usize,
        /// What the second list holds, e.g. `destination input nodes`.
        right_what: &'static str,
    },
    /// A module parameter has the wrong shape for the module.
    #[error("module \"{module}\": `{field}` has shape {got:?}, expected {expected}")]
    Shape {
        /// The module's name.
        module: String,
        /// The parameter, e.g. `tau_syn`.
        field: &'static str,
        /// The shape found.
        got: Vec<usize>,
        /// The shape required, in words.
        expected: String,
    },
    /// A module parameter has a value that is not acceptable (a non-positive `dt`, …).
    #[error("module \"{module}\": `{field}` = {value}: {reason}")]
    Value {
        /// The module's name.
        module: String,
        /// The parameter.
        field: &'static str,
        /// The value, printed.
        value: String,
        /// Why it is refused and what is allowed.
        reason: String,
    },
    /// A module was given a number of input or output nodes that its parameters do not fit.
    #[error("module \"{module}\" of kind {kind} needs {expected} {side} nodes, got {got}")]
    NodeCount {
        /// The module's name.
        module: String,
        /// The module kind, e.g. `LinearWeights`.
        kind: &'static str,
        /// `input` or `output`.
        side: &'static str,
        /// How many its parameters require.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A node id that does not belong to this graph.
    #[error("node {0:?} does not belong to this graph")]
    UnknownNode(NodeId),
    /// A module id that does not belong to this graph.
    #[error("module {0:?} does not belong to this graph")]
    UnknownModule(ModuleId),
}
