//! Fused multi-step neuron operations with hand-written backward passes.
//!
//! `lif_cpu` holds the LIF recurrence and its adjoint over host arrays; `lif_op` wraps it as
//! one Burn operation (a backend extension with an autodiff implementation). `rate_cpu` and
//! `rate_op` do the same for the non-spiking `Rate` neuron.

pub mod lif_cpu;
pub mod lif_op;
pub mod rate_cpu;
pub mod rate_op;
