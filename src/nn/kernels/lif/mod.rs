//! The fused LIF operation: the whole LIF recurrence of a sequence (membrane, synapses,
//! multi-spike threshold, subtractive reset, optional recurrence and noise) as one Burn
//! operation with a hand-written backward. `Lif`, `ALif`, `LifNeuron` and `ExpSyn` all run on
//! it.
//!
//! - `sequence.rs`: the entry point [`lif_sequence`] with its [`LifSequenceInput`] and
//!   [`LifSequence`] (start here);
//! - `config.rs`: [`LifSequenceOptions`] (what a caller chooses) and [`LifOpConfig`] (what the
//!   backends receive);
//! - `op.rs`: the backend extension [`LifBackend`], its host bodies, and the autodiff node;
//! - `host_io.rs`: the op's tensors in and out of host vectors;
//! - `host_forward.rs`, `host_backward.rs`: the recurrence and its adjoint on host memory
//!   (f64 state, parallel over the batch), with the equations;
//! - `simd.rs`, `simd_forward.rs`: the AVX2 steps of the adjoint and of the forward;
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
mod simd;
mod simd_forward;

pub use config::{LifOpConfig, LifSequenceOptions};
pub use op::LifBackend;
pub use sequence::{LifSequence, LifSequenceInput, lif_sequence};
