//! Fused multi-step operations with hand-written backward passes: the layer below the neuron
//! models. A model builds its tensors and calls one entry point; everything generic about
//! running a recurrence fast (host loops, SIMD, GPU kernels, autodiff nodes) lives here.
//!
//! One folder per fused operation, each with its entry point, its autodiff node (`op.rs`),
//! its host bodies and, on the GPU backends (`wgpu`, `cuda`), its CubeCL kernels:
//!
//! - [`lif`]: the LIF recurrence ([`lif_sequence`]), under `Lif`, `ALif`, `LifNeuron`,
//!   `ExpSyn`;
//! - [`rate`]: the non-spiking `Rate` recurrence ([`rate_sequence`]);
//! - [`spike_matmul`]: the event-driven weight product for sparse spike rasters
//!   ([`spike_matmul::spike_matmul`]), under `Linear`.
//!
//! Helpers shared by the operations, in files of their own:
//!
//! - `host.rs`: reading backend buffers on the host (borrowed where the backend lends them),
//!   buffers filled in parallel without a clearing pass, the allocator setting;
//! - `simd.rs`: `simd_dispatch!` (a hot loop compiled twice, the AVX2 copy picked at run
//!   time) and small vector routines;
//! - `cube.rs` (`wgpu`, `cuda`): packing tensors into kernel buffers and back, the launch
//!   layout.
//!
//! Rules: kernel files import only Burn, std, rayon, ndarray, gemm, libc, the shared pieces
//! below the models (`nn::activation`, `nn::surrogate`) and each other; never a model file.
//! Within an operation the imports run one way too, from `sequence.rs` (the entry point) down
//! to the host recurrences: no file imports one that imports it.

#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod cube;
mod host;
pub mod lif;
pub mod rate;
mod simd;
pub mod spike_matmul;

pub use lif::{LifSequence, LifSequenceInput, LifSequenceOptions, lif_sequence};
pub use rate::{RateSequence, RateSequenceInput, RateSequenceOptions, rate_sequence};
