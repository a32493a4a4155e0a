//! Computational graphs of rockpool networks: Rockpool's `rockpool.graph` model in Rust.
//!
//! A network exports itself as a graph of **modules** connected through **nodes**. A node is
//! one signal channel; a module reads its ordered input nodes and drives its ordered output
//! nodes. Weights ([`LinearWeights`]), neurons ([`LifNeurons`], [`RateNeurons`], generic
//! neurons) and alias connections are modules; containers (`Sequential`, `Residual`) are not
//! modules but [`SubGraph`]s, named groups of input and output nodes. The Xylo mapper
//! (`rockpool_xylo::mapper`) reads this graph, and so will NIR export and import.
//!
//! Everything lives in one arena, the [`Graph`], and is referred to by plain ids
//! ([`NodeId`], [`ModuleId`]). Connecting two blocks merges their nodes
//! ([`Graph::connect`], Rockpool's `connect_modules`); merged ids keep resolving to the
//! surviving node.
//!
//! | Rockpool | here |
//! | --- | --- |
//! | `GraphNode` | [`NodeId`] ([`Graph::sources`], [`Graph::sinks`]) |
//! | `GraphModule` subclasses | [`GraphModule`] with a [`ModuleKind`] |
//! | `GraphHolder`, `as_GraphHolder` | [`SubGraph`] |
//! | `XModule._factory(...)` | [`Graph::add_module_with_new_nodes`] |
//! | `connect_modules` | [`Graph::connect`] |
//! | `Linear/LIF/Rate.as_graph()` | [`Graph::linear`], [`Graph::lif`], [`Graph::lif_recurrent`], [`Graph::rate`] |
//! | `Sequential/Residual.as_graph()` | [`Graph::sequential`], [`Graph::residual`] |
//! | dropout's pass-through holder | [`Graph::pass_through`] |
//! | `bag_graph` | [`Graph::discovery_order`] |
//! | `find_recurrent_modules` | [`Graph::find_recurrent_modules`] |
//! | `find_modules_of_subclass` | [`Graph::find_modules`] |
//!
//! The order in which modules are discovered matters (Xylo hardware ids are allocated in it),
//! so node lists, merges and the walk reproduce Rockpool 3.1.0's order, including its
//! surprises (see [`Graph::discovery_order`]).
//!
//! ```
//! use ndarray::Array2;
//! use rockpool_graph::{Graph, LifNeurons};
//!
//! // Linear(2 -> 3), recurrent LIF(3), Residual(Linear(3 -> 3), LIF(3)), Linear(3 -> 1), LIF(1)
//! let mut g = Graph::new("net");
//! let blocks = vec![
//!     g.linear("w_in", Array2::ones((2, 3)), None)?,
//!     g.lif_recurrent("lif_rec", LifNeurons::new(3, 1), Array2::zeros((3, 3)))?,
//!     {
//!         let w = g.linear("w_res", Array2::eye(3), None)?;
//!         let n = g.lif("lif_res", LifNeurons::new(3, 1))?;
//!         let inner = g.sequential("inner", &[w, n])?;
//!         g.residual("res", &inner)?
//!     },
//!     g.linear("w_out", Array2::ones((3, 1)), None)?,
//!     g.lif("lif_out", LifNeurons::new(1, 1))?,
//! ];
//! let net = g.sequential("net", &blocks)?;
//! g.set_io(&net)?;
//!
//! let name = |m| g.module(m).name();
//! let rec: Vec<_> = g.find_recurrent_modules().into_iter().map(name).collect();
//! assert_eq!(rec, ["lif_rec_recurrent", "lif_rec"]);
//! let out: Vec<_> = g.output_neuron_modules().into_iter().map(name).collect();
//! assert_eq!(out, ["lif_out"]);
//! # Ok::<(), rockpool_graph::GraphError>(())
//! ```

#![warn(missing_docs)]

mod build;
mod error;
mod graph;
mod module;
mod query;

pub use error::{GraphError, Result};
pub use graph::{Graph, ModuleId, NodeId, SubGraph};
pub use module::{GraphModule, LifNeurons, LinearWeights, ModuleKind, RateNeurons};
pub use query::Discovery;
