//! Errors: every message names where the problem is — the file, the node (dotted path for a
//! node inside a subgraph), the field or the edge — so it can be shown to a user as it is.

use std::path::PathBuf;

/// `Result` with this crate's [`NirError`].
pub type Result<T, E = NirError> = std::result::Result<T, E>;

/// Everything that can go wrong reading, checking or writing a NIR graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NirError {
    /// The file could not be read or written (missing, too large, permissions, disk full).
    #[error(transparent)]
    Io(#[from] rockpool_io::IoError),
    /// An error inside a file, with the file's path in front.
    #[error("{}: {source}", .path.display())]
    File {
        /// The file being read or written.
        path: PathBuf,
        /// What is wrong inside it.
        #[source]
        source: Box<NirError>,
    },
    /// The bytes are not an HDF5 file this crate can read (truncated, corrupt, not HDF5), or
    /// the HDF5 library refused to build the file being written.
    #[error("not a readable HDF5 file: {message}")]
    Hdf5 {
        /// The HDF5 library's description.
        message: String,
    },
    /// The HDF5 layout is not NIR's: an object is missing or has the wrong kind. `location` is
    /// the HDF5 path, e.g. `/node/edges`.
    #[error("{location}: {message}")]
    Layout {
        /// The HDF5 object path.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A node's field (parameter dataset) is missing, unreadable, or has a wrong type, shape or
    /// value.
    #[error("node '{node}': field '{field}' {message}")]
    Field {
        /// The node's name (dotted for a node inside a subgraph).
        node: String,
        /// The field's name, as in the file (`tau`, `weight`, …).
        field: String,
        /// What is wrong, e.g. "has shape (3,) but 'v_threshold' has (4,)".
        message: String,
    },
    /// A node as a whole is wrong (no `type`, an unknown type, a bad name).
    #[error("node '{node}': {message}")]
    Node {
        /// The node's name (dotted for a node inside a subgraph).
        node: String,
        /// What is wrong.
        message: String,
    },
    /// An edge names a node that does not exist, is repeated, or joins two nodes whose
    /// shapes disagree.
    #[error("edge ('{from}', '{to}'){}: {message}", graph_suffix(.graph))]
    Edge {
        /// The graph holding the edge (dotted path; empty for the top-level graph).
        graph: String,
        /// The source node as written in the edge.
        from: String,
        /// The target node as written in the edge.
        to: String,
        /// What is wrong.
        message: String,
    },
    /// A metadata entry cannot be read or written.
    #[error("metadata '{key}'{}: {message}", graph_suffix(.owner))]
    Metadata {
        /// The node or graph the metadata belongs to (empty for the top-level graph).
        owner: String,
        /// The metadata key (dotted for nested groups).
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// " in graph 'g'" for a subgraph, nothing for the top level.
fn graph_suffix(graph: &str) -> String {
    if graph.is_empty() {
        String::new()
    } else {
        format!(" of '{graph}'")
    }
}

impl NirError {
    /// Puts the file path in front of an error from inside a file (I/O errors already name it).
    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        match self {
            NirError::Io(_) | NirError::File { .. } => self,
            other => NirError::File {
                path: path.to_path_buf(),
                source: Box::new(other),
            },
        }
    }

    /// A field error.
    pub(crate) fn field(node: &str, field: &str, message: impl Into<String>) -> Self {
        NirError::Field {
            node: node.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A node error.
    pub(crate) fn node(node: &str, message: impl Into<String>) -> Self {
        NirError::Node {
            node: node.to_owned(),
            message: message.into(),
        }
    }

    /// A layout error.
    pub(crate) fn layout(location: &str, message: impl Into<String>) -> Self {
        NirError::Layout {
            location: location.to_owned(),
            message: message.into(),
        }
    }
}

/// A shape as Python prints it: `()`, `(3,)`, `(38, 12)`.
pub(crate) fn shape_text(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(ToString::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}
