//! Event-driven matrix products for spike rasters: `y = x·W` where most entries of `x` are 0.
//!
//! - `op.rs`: the entry point [`spike_matmul`] and the backend extension
//!   [`SpikeMatmulBackend`] with its autodiff node (start here);
//! - `csr.rs`: the compressed raster [`Csr`];
//! - `avx512.rs`: the rows of `x·W` with AVX-512 (outputs summed in registers);
//! - `products.rs`: the host products over it ([`Csr::matmul`], [`Csr::t_matmul`],
//!   [`dense_spike_matmul`]).

mod avx512;
mod csr;
mod op;
mod products;

pub use csr::Csr;
pub use op::{SPARSE_MAX_DENSITY, SpikeMatmulBackend, spike_matmul};
pub use products::dense_spike_matmul;
