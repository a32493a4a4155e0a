//! The fused Rate operation: the whole recurrence of Rockpool's non-spiking `Rate` neuron
//! over a sequence (leaky Euler integration, activation, optional recurrence and noise) as
//! one Burn operation with a hand-written backward. The same layout as `lif/`:
//!
//! - `sequence.rs`: the entry point [`rate_sequence`] with its [`RateSequenceInput`] and
//!   [`RateSequence`] (start here);
//! - `config.rs`: [`RateSequenceOptions`] (what a caller chooses) and [`RateOpConfig`] (what
//!   the backends receive);
//! - `op.rs`: the backend extension [`RateBackend`], its host bodies, and the autodiff node;
//! - `host_io.rs`: the op's tensors in and out of host vectors;
//! - `host_forward.rs`, `host_backward.rs`: the recurrence and its adjoint on host memory
//!   (f64 state, parallel over the batch), with the equations;
//! - `cube.rs`, `fusion.rs` (`wgpu`, `cuda`): the CubeCL kernels, and the output shapes for
//!   Burn's fusion.

mod config;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod cube;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod fusion;
pub mod host_backward;
pub mod host_forward;
mod host_io;
mod op;
mod sequence;

pub use config::{RateOpConfig, RateSequenceOptions};
pub use op::RateBackend;
pub use sequence::{RateSequence, RateSequenceInput, rate_sequence};
