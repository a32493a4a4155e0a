//! The event-driven product as one Burn operation: the backend extension
//! [`SpikeMatmulBackend`], its autodiff node, and the entry point [`spike_matmul`].
//!
//! Spiking networks feed weight layers with rasters in which a few percent of the entries are
//! non-zero. A dense product spends almost all of its work on zeros; here a sparse `x` is
//! compressed row by row (CSR) and each event adds its weighted row of `W`:
//! `y[r, :] = Σ_{i: x[r,i] ≠ 0} x[r,i]·W[i, :]`. The backward reuses the compressed input for
//! `∂L/∂W = xᵀ·g` (again one row update per event) and computes `∂L/∂x = g·Wᵀ` with the
//! backend's dense product only when the input needs a gradient.
//!
//! Whether `x` is sparse enough is decided per call from a strided sample of its rows
//! (density ≤ [`SPARSE_MAX_DENSITY`]); dense inputs go to the backend's `matmul` unchanged.
//! The host path runs on the CPU backends; on a GPU backend the op is the plain `matmul`.

// The `ndarray` backend is deprecated upstream but still offered behind its feature.
#![cfg_attr(feature = "ndarray", allow(deprecated))]

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Slice, Tensor, TensorData};

use super::csr::Csr;
use super::products::dense_spike_matmul;
#[cfg(feature = "flex")]
use crate::nn::kernels::host::filled_by;
use crate::nn::kernels::host::{host_view, read_host, with_host};

/// Largest fraction of non-zero inputs for which the event-driven product is used (above it
/// the dense product is faster).
pub const SPARSE_MAX_DENSITY: f64 = 0.12;

/// Rows sampled to estimate the density.
const SAMPLE_ROWS: usize = 64;

/// Fraction of non-zero entries in a strided sample of the rows of `x` `[R, I]`.
fn sampled_density<B: Backend>(x: &FloatTensor<B>) -> f64 {
    let shape = x.shape();
    let (r, i) = (shape[0], shape[1]);
    if r == 0 || i == 0 {
        // Nothing to gain: let the dense product handle empty shapes.
        return 1.0;
    }
    let step = (r / SAMPLE_ROWS).max(1);
    if let Some(v) = host_view::<B>(x) {
        let (mut nz, mut seen) = (0usize, 0usize);
        for row in v.chunks_exact(i).step_by(step) {
            nz += row.iter().filter(|&&e| e != 0.0).count();
            seen += i;
        }
        return nz as f64 / seen.max(1) as f64;
    }
    let sample = B::float_slice(
        x.clone(),
        &[
            Slice::new(0, Some(r as isize), step as isize),
            Slice::new(0, Some(i as isize), 1),
        ],
    );
    let (v, _) = read_host::<B>(sample);
    v.iter().filter(|&&e| e != 0.0).count() as f64 / v.len().max(1) as f64
}

/// The host product for a sparse `x`: `(y [R, O], x compressed)`.
fn sparse_product<B: Backend>(x: FloatTensor<B>, w: FloatTensor<B>) -> (FloatTensor<B>, Csr) {
    let device = x.device();
    let xs = x.shape();
    // The input is often shared (a dataset batch, a cloned tensor): borrow it where possible.
    let csr = with_host::<B, _>(x, |v| Csr::from_dense(v, xs[0], xs[1]));
    let (wh, ws) = read_host::<B>(w);
    let y = csr.matmul(&wh, ws[1]);
    (
        B::float_from_data(TensorData::new(y, [xs[0], ws[1]]), &device),
        csr,
    )
}

/// Backends with the event-driven product.
#[backend_extension(
    Autodiff,
    Flex: cfg(feature = "flex"),
    NdArray: cfg(feature = "ndarray"),
    Cube: cfg(any(feature = "wgpu", feature = "cuda"))
)]
pub trait SpikeMatmulBackend: Backend {
    /// `x` `[R, I]` times `w` `[I, O]` → `[R, O]`, event by event when `x` is sparse.
    fn spike_matmul(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        if sampled_density::<Self>(&x) > SPARSE_MAX_DENSITY {
            return Self::float_matmul(x, w);
        }
        // Inference: no compressed copy is needed afterwards, so the rows are scanned and
        // multiplied in one pass.
        let device = x.device();
        let xs = x.shape();
        let (wh, ws) = read_host::<Self>(w);
        let y = with_host::<Self, _>(x, |v| dense_spike_matmul(v, xs[1], &wh, ws[1]));
        Self::float_from_data(TensorData::new(y, [xs[0], ws[1]]), &device)
    }
}

#[cfg(feature = "flex")]
impl SpikeMatmulBackend for burn::backend::Flex {}
#[cfg(feature = "ndarray")]
#[allow(deprecated)]
impl SpikeMatmulBackend for burn::backend::NdArray {}
#[cfg(any(feature = "wgpu", feature = "cuda"))]
impl SpikeMatmulBackend for burn::backend::Cube {
    fn spike_matmul(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::float_matmul(x, w)
    }
}

/// `∂L/∂x = g·Wᵀ` `[R, I]` for `g` `[R, O]` and `w` `[I, O]` on host buffers the backend
/// lends (flex), written straight into a new buffer; `None` where the buffers are not on the
/// host (the backend's `matmul` then runs instead).
fn host_dx<B: Backend>(g: &FloatTensor<B>, w: &FloatTensor<B>) -> Option<(Vec<f32>, [usize; 2])> {
    #[cfg(feature = "flex")]
    if let (Some(gv), Some(wv)) = (host_view::<B>(g), host_view::<B>(w)) {
        let (gs, ws) = (g.shape(), w.shape());
        let (r, o, i) = (gs[0], gs[1], ws[0]);
        assert!(
            gv.len() == r * o && wv.len() == i * o && ws[1] == o,
            "spike_matmul backward: gradient {gs:?} and weights {ws:?} do not match"
        );
        if r == 0 || i == 0 || o == 0 {
            return None;
        }
        let parallelism = if r * i * o >= 1 << 20 {
            gemm::Parallelism::Rayon(0)
        } else {
            gemm::Parallelism::None
        };
        let (dx, ()) = filled_by(r * i, |dst| {
            // SAFETY: dst is `[r, i]` row-major, g `[r, o]` row-major and Wᵀ is read from
            // `w` `[i, o]` with strides (1, o); all three hold exactly those sizes (asserted).
            // With `read_dst = false` the product overwrites every element of dst.
            unsafe {
                gemm::gemm(
                    r,
                    i,
                    o,
                    dst.as_mut_ptr(),
                    1,
                    i as isize,
                    false,
                    gv.as_ptr(),
                    1,
                    o as isize,
                    wv.as_ptr(),
                    o as isize,
                    1,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism,
                )
            }
        });
        return Some((dx, [r, i]));
    }
    let _ = (g, w);
    None
}

#[derive(Debug)]
struct SpikeMatmulBackward;

impl<B: Backend> Backward<B, 2> for SpikeMatmulBackward {
    /// The compressed input and the weights.
    type State = (Arc<Csr>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [n_x, n_w] = ops.parents;
        let g = grads.consume::<B>(&ops.node);
        let (csr, w) = ops.state;
        let device = g.device();
        if let Some(node) = n_x {
            let gx = match host_dx::<B>(&g, &w) {
                Some((v, shape)) => B::float_from_data(TensorData::new(v, shape), &device),
                None => B::float_matmul(g.clone(), B::float_transpose(w.clone())),
            };
            grads.register::<B>(node.id, gx);
        }
        if let Some(node) = n_w {
            let o = w.shape()[1];
            let gw = with_host::<B, _>(g, |gh| csr.t_matmul(gh, o));
            grads.register::<B>(
                node.id,
                B::float_from_data(TensorData::new(gw, [csr.cols, o]), &device),
            );
        }
    }
}

impl<B: Backend, C: CheckpointStrategy> SpikeMatmulBackend for Autodiff<B, C> {
    fn spike_matmul(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        if sampled_density::<B>(x.primitive()) > SPARSE_MAX_DENSITY {
            return <Self as FloatTensorOps<Self>>::float_matmul(x, w);
        }
        let nodes = [x.node(), w.node()];
        let wp = w.into_primitive();
        let (y, csr) = sparse_product::<B>(x.into_primitive(), wp.clone());
        match SpikeMatmulBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish((Arc::new(csr), wp), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }
}

/// `x` `[R, I]` times `w` `[I, O]`, event-driven when `x` is a sparse raster (see the module
/// docs); differentiable with respect to both.
pub fn spike_matmul(x: Tensor<2>, w: Tensor<2>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as SpikeMatmulBackend>::spike_matmul(
        x.into_dispatch(),
        w.into_dispatch(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::device;
    use burn::tensor::Distribution;

    fn host(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec_as::<f32>().unwrap()
    }

    fn assert_close(what: &str, a: &[f32], b: &[f32]) {
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-5 * scale, "{what}[{i}]: {x} vs {y}");
        }
    }

    /// Sparse (event-driven) and dense inputs against Burn's matmul: values, and gradients
    /// for both operands, with and without autodiff, for shapes with a remainder after the
    /// eight-column blocks.
    #[test]
    fn matches_the_dense_product_and_its_gradients() {
        for (density, cols) in [(0.05, 37), (0.5, 16), (0.02, 129)] {
            let dev = device().autodiff();
            let mask = Tensor::<2>::random([300, cols], Distribution::Bernoulli(density), &dev);
            let x = mask * Tensor::<2>::random([300, cols], Distribution::Normal(1.0, 1.0), &dev);
            let w = Tensor::<2>::random([cols, 11], Distribution::Normal(0.0, 1.0), &dev);
            let g = Tensor::<2>::random([300, 11], Distribution::Normal(0.0, 1.0), &dev);
            let run = |sparse: bool| {
                let (xr, wr) = (x.clone().require_grad(), w.clone().require_grad());
                let y = if sparse {
                    spike_matmul(xr.clone(), wr.clone())
                } else {
                    xr.clone().matmul(wr.clone())
                };
                let grads = (y.clone() * g.clone()).sum().backward();
                (
                    host(y),
                    host(xr.grad(&grads).unwrap()),
                    host(wr.grad(&grads).unwrap()),
                )
            };
            let (ys, gxs, gws) = run(true);
            let (yd, gxd, gwd) = run(false);
            assert_close("y", &ys, &yd);
            assert_close("dL/dx", &gxs, &gxd);
            assert_close("dL/dw", &gws, &gwd);
            // Without autodiff (the inference path).
            let plain = device();
            let xp = Tensor::<2>::from_data(x.clone().into_data(), &plain);
            let wp = Tensor::<2>::from_data(w.clone().into_data(), &plain);
            assert_close("y (inference)", &host(spike_matmul(xp, wp)), &yd);
        }
    }
}
