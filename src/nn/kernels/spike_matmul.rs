//! Event-driven matrix products for spike rasters: `y = x·W` where most entries of `x` are 0.
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
use rayon::prelude::*;

use super::lif_op::{host_view, read_host, with_host};

/// Largest fraction of non-zero inputs for which the event-driven product is used (above it
/// the dense product is faster).
pub const SPARSE_MAX_DENSITY: f64 = 0.12;

/// Rows sampled to estimate the density.
const SAMPLE_ROWS: usize = 64;

/// A row-compressed host matrix `[rows, cols]`.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Start of each row's entries in `idx`/`val` (`rows + 1` entries).
    pub ptr: Vec<usize>,
    /// Column of each non-zero entry.
    pub idx: Vec<u32>,
    /// Value of each non-zero entry.
    pub val: Vec<f32>,
}

/// Rows handled by one parallel task.
const CHUNK_ROWS: usize = 256;

impl Csr {
    /// Compresses a dense row-major matrix.
    pub fn from_dense(x: &[f32], rows: usize, cols: usize) -> Self {
        assert_eq!(x.len(), rows * cols, "Csr::from_dense: size");
        let parts: Vec<(Vec<usize>, Vec<u32>, Vec<f32>)> = if cols == 0 {
            Vec::new()
        } else {
            x.par_chunks(CHUNK_ROWS * cols)
                .map(|chunk| compress_fast(chunk, cols))
                .collect()
        };
        let nnz = parts.iter().map(|p| p.1.len()).sum();
        let mut csr = Csr {
            rows,
            cols,
            ptr: Vec::with_capacity(rows + 1),
            idx: Vec::with_capacity(nnz),
            val: Vec::with_capacity(nnz),
        };
        csr.ptr.push(0);
        for (counts, idx, val) in parts {
            for c in counts {
                let last = *csr.ptr.last().expect("non-empty");
                csr.ptr.push(last + c);
            }
            csr.idx.extend_from_slice(&idx);
            csr.val.extend_from_slice(&val);
        }
        csr.ptr.resize(rows + 1, 0);
        csr
    }

    /// `x·W` `[rows, o]` for `w` `[cols, o]` row-major.
    pub fn matmul(&self, w: &[f32], o: usize) -> Vec<f32> {
        assert_eq!(w.len(), self.cols * o, "Csr::matmul: weight size");
        let len = self.rows * o;
        if o == 0 {
            return Vec::new();
        }
        if w.len() > TILED_MIN_WEIGHTS {
            // Large weights: column tiles, so the rows of W that events fetch come from cache
            // (each event would otherwise fetch a whole row of W from memory), and W repacked
            // tile by tile, so that one tile's rows are contiguous: in place, the rows of a
            // tile lie a whole row of W apart, every event lands on another 4 KiB page, and
            // address translation (TLB misses) bounds the product.
            let wt = tile_major(w, self.cols, o);
            let chunk = self.rows.div_ceil(rayon::current_num_threads() * 4).max(1);
            return super::par_fill(len, chunk * o, |k, out| {
                tiled_rows_fast(self, k * chunk, out, &wt, o)
            })
            .0;
        }
        // Every row is zeroed (in cache) right before it is accumulated, so the buffer is not
        // cleared in a separate pass.
        super::par_fill(len, CHUNK_ROWS * o, |chunk, out| {
            matmul_rows_fast(self, chunk * CHUNK_ROWS, out, w, o)
        })
        .0
    }

    /// `xᵀ·g` `[cols, o]` for `g` `[rows, o]` row-major. Parallel over blocks of output rows
    /// (input columns of `x`), each summing its events in row order: the result does not
    /// depend on the number of threads or on scheduling (training runs are reproducible).
    pub fn t_matmul(&self, g: &[f32], o: usize) -> Vec<f32> {
        assert_eq!(g.len(), self.rows * o, "Csr::t_matmul: gradient size");
        let mut out = vec![0.0f32; self.cols * o];
        if o == 0 || self.rows == 0 || self.cols == 0 {
            return out;
        }
        if out.len() > TILED_MIN_WEIGHTS {
            // Large weights: each task owns a tile of output columns for all weight rows
            // (kept in cache), summing every row's events in order as below.
            let tiles: Vec<(usize, Vec<f32>)> = (0..o)
                .step_by(T_TILE)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|t0| (t0, t_tile_fast(self, t0, T_TILE.min(o - t0), g, o)))
                .collect();
            for (t0, tile) in tiles {
                let tw = T_TILE.min(o - t0);
                for (c, row) in tile.chunks_exact(tw).enumerate() {
                    out[c * o + t0..c * o + t0 + tw].copy_from_slice(row);
                }
            }
            return out;
        }
        // Every task streams all of `g`: one task per thread.
        let tasks = rayon::current_num_threads().clamp(1, self.cols);
        let block = self.cols.div_ceil(tasks);
        out.par_chunks_mut(block * o)
            .enumerate()
            .for_each(|(k, acc)| t_matmul_block_fast(self, k * block, acc, g, o));
        out
    }
}

/// Row counts, columns and values of the non-zero entries of some rows.
fn compress_fast(chunk: &[f32], cols: usize) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { compress_avx2(chunk, cols) };
    }
    compress(chunk, cols, mask8_scalar)
}

/// [`compress`] with the eight-entry masks from vector compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn compress_avx2(chunk: &[f32], cols: usize) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
    compress(chunk, cols, |b| unsafe { mask8_avx2(b) })
}

/// Row counts, columns and values of the non-zero entries of some rows.
#[inline(always)]
fn compress(
    chunk: &[f32],
    cols: usize,
    mask8: impl Fn(&[f32]) -> u32,
) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
    let mut counts = Vec::with_capacity(chunk.len() / cols);
    let (mut idx, mut val) = (Vec::new(), Vec::new());
    for row in chunk.chunks_exact(cols) {
        let before = idx.len();
        for_each_nonzero(row, &mask8, |c, v| {
            idx.push(c as u32);
            val.push(v);
        });
        counts.push(idx.len() - before);
    }
    (counts, idx, val)
}

/// Bit `k` set where `block[k] ≠ 0` (eight entries).
#[inline(always)]
fn mask8_scalar(block: &[f32]) -> u32 {
    block
        .iter()
        .enumerate()
        .fold(0u32, |m, (k, &v)| m | (u32::from(v != 0.0) << k))
}

/// [`mask8_scalar`] as one vector compare.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn mask8_avx2(block: &[f32]) -> u32 {
    use std::arch::x86_64::{
        _CMP_NEQ_UQ, _mm256_cmp_ps, _mm256_loadu_ps, _mm256_movemask_ps, _mm256_setzero_ps,
    };
    debug_assert!(block.len() >= 8);
    // SAFETY: `block` holds at least 8 floats; AVX2 is enabled for this function.
    unsafe {
        let v = _mm256_loadu_ps(block.as_ptr());
        _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(v, _mm256_setzero_ps())) as u32
    }
}

/// Calls `f(column, value)` for every non-zero entry of `row`, eight entries per mask, so
/// runs of zeros cost no branches.
#[inline(always)]
fn for_each_nonzero(row: &[f32], mask8: &impl Fn(&[f32]) -> u32, mut f: impl FnMut(usize, f32)) {
    let mut blocks = row.chunks_exact(8);
    for (bn, block) in blocks.by_ref().enumerate() {
        let mut mask = mask8(block);
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            f(bn * 8 + k, block[k]);
            mask &= mask - 1;
        }
    }
    let base = row.len() - blocks.remainder().len();
    for (c, &v) in blocks.remainder().iter().enumerate() {
        if v != 0.0 {
            f(base + c, v);
        }
    }
}

/// `x·W` `[rows, o]` straight from a dense sparse-valued `x` `[rows, cols]` (no compressed
/// copy: for inference).
pub fn dense_spike_matmul(x: &[f32], cols: usize, w: &[f32], o: usize) -> Vec<f32> {
    assert_eq!(w.len(), cols * o, "dense_spike_matmul: weight size");
    if o == 0 || cols == 0 {
        // No outputs, or no input columns (an empty `x` carries no row count; callers take
        // the dense product for such shapes).
        return Vec::new();
    }
    let rows = x.len() / cols;
    if w.len() > TILED_MIN_WEIGHTS {
        return Csr::from_dense(x, rows, cols).matmul(w, o);
    }
    // Every row is zeroed (in cache) right before it is accumulated.
    super::par_fill(rows * o, CHUNK_ROWS * o, |chunk, out| {
        let first = chunk * CHUNK_ROWS;
        let xs = &x[first * cols..(first + out.len() / o) * cols];
        scan_matmul_fast(xs, cols, out, w, o);
    })
    .0
}

fn scan_matmul_fast(xs: &[f32], cols: usize, out: &mut [f32], w: &[f32], o: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { scan_matmul_avx2(xs, cols, out, w, o) };
    }
    scan_matmul(xs, cols, out, w, o, mask8_scalar)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scan_matmul_avx2(xs: &[f32], cols: usize, out: &mut [f32], w: &[f32], o: usize) {
    scan_matmul(xs, cols, out, w, o, |b| unsafe { mask8_avx2(b) })
}

/// Rows of `x·W` for the rows `xs` of `x`.
#[inline(always)]
fn scan_matmul(
    xs: &[f32],
    cols: usize,
    out: &mut [f32],
    w: &[f32],
    o: usize,
    mask8: impl Fn(&[f32]) -> u32,
) {
    for (row, yr) in xs.chunks_exact(cols).zip(out.chunks_exact_mut(o)) {
        yr.fill(0.0);
        for_each_nonzero(row, &mask8, |c, v| axpy(yr, v, &w[c * o..(c + 1) * o]));
    }
}

super::simd_dispatch!(fn matmul_rows_fast = matmul_rows(csr: &Csr, first: usize, out: &mut [f32], w: &[f32], o: usize));

/// Rows `first…` of `x·W` into `out`.
#[inline(always)]
fn matmul_rows(csr: &Csr, first: usize, out: &mut [f32], w: &[f32], o: usize) {
    for (k, yr) in out.chunks_exact_mut(o).enumerate() {
        let r = first + k;
        yr.fill(0.0);
        for e in csr.ptr[r]..csr.ptr[r + 1] {
            let (c, v) = (csr.idx[e] as usize, csr.val[e]);
            axpy(yr, v, &w[c * o..(c + 1) * o]);
        }
    }
}

/// Weights (entries) above which the products run in column tiles (16 MiB of f32: beyond
/// the caches, where fetching a row of `W` per event is bound by memory bandwidth).
const TILED_MIN_WEIGHTS: usize = 4 << 20;

/// Output columns per tile of the tiled `x·W` (eight AVX registers of f32).
const TILE: usize = 64;

/// Output columns per tile of the tiled `xᵀ·g`.
const T_TILE: usize = 128;

/// `w` `[cols, o]` repacked column tile by column tile: tile `k` (columns `k·TILE…`, the last
/// one maybe narrower, width `tw`) is `[cols, tw]` row-major, starting at `k·TILE·cols`.
fn tile_major(w: &[f32], cols: usize, o: usize) -> Vec<f32> {
    // Every tile writes its whole `[cols, tw]` block.
    super::par_fill(w.len(), TILE * cols, |k, dst| {
        let t0 = k * TILE;
        let tw = TILE.min(o - t0);
        for (c, d) in dst.chunks_exact_mut(tw).enumerate() {
            d.copy_from_slice(&w[c * o + t0..c * o + t0 + tw]);
        }
    })
    .0
}

super::simd_dispatch!(fn tiled_rows_fast = tiled_rows(csr: &Csr, first: usize, out: &mut [f32], wt: &[f32], o: usize));

/// Rows `first…` of `x·W` into `out`, one column tile at a time (`wt`: `W` as
/// [`tile_major`]): every row's tile is summed in registers over the row's events (in order,
/// separate multiplies and adds: the same values as [`matmul_rows`]) and stored once.
#[inline(always)]
fn tiled_rows(csr: &Csr, first: usize, out: &mut [f32], wt: &[f32], o: usize) {
    let n_rows = out.len() / o;
    for t0 in (0..o).step_by(TILE) {
        let tw = TILE.min(o - t0);
        let tile = &wt[t0 * csr.cols..t0 * csr.cols + tw * csr.cols];
        for k in 0..n_rows {
            let r = first + k;
            let y = &mut out[k * o + t0..k * o + t0 + tw];
            let events = csr.ptr[r]..csr.ptr[r + 1];
            if tw == TILE {
                let mut acc = [0.0f32; TILE];
                for e in events {
                    let (c, v) = (csr.idx[e] as usize, csr.val[e]);
                    let wr: &[f32; TILE] = tile[c * TILE..(c + 1) * TILE].try_into().expect("tile");
                    for l in 0..TILE {
                        acc[l] += v * wr[l];
                    }
                }
                y.copy_from_slice(&acc);
            } else {
                y.fill(0.0);
                for e in events {
                    let (c, v) = (csr.idx[e] as usize, csr.val[e]);
                    axpy(y, v, &tile[c * tw..(c + 1) * tw]);
                }
            }
        }
    }
}

super::simd_dispatch!(fn t_tile_fast = t_tile(csr: &Csr, t0: usize, tw: usize, g: &[f32], o: usize) -> Vec<f32>);

/// Columns `t0 … t0 + tw` of `xᵀ·g` as a `[cols, tw]` block, summing the events of every row
/// of `x` in order (the same values as [`t_matmul_block`]).
#[inline(always)]
fn t_tile(csr: &Csr, t0: usize, tw: usize, g: &[f32], o: usize) -> Vec<f32> {
    let mut acc = vec![0.0f32; csr.cols * tw];
    for r in 0..csr.rows {
        let gr = &g[r * o + t0..r * o + t0 + tw];
        for e in csr.ptr[r]..csr.ptr[r + 1] {
            let c = csr.idx[e] as usize;
            axpy(&mut acc[c * tw..(c + 1) * tw], csr.val[e], gr);
        }
    }
    acc
}

super::simd_dispatch!(fn t_matmul_block_fast = t_matmul_block(csr: &Csr, first: usize, acc: &mut [f32], g: &[f32], o: usize));

/// Rows `first…` of `xᵀ·g` (input columns `first…` of `x`) into `acc`, summing the events
/// of every row of `x` in order.
#[inline(always)]
fn t_matmul_block(csr: &Csr, first: usize, acc: &mut [f32], g: &[f32], o: usize) {
    let end = first + acc.len() / o;
    for r in 0..csr.rows {
        let gr = &g[r * o..(r + 1) * o];
        for e in csr.ptr[r]..csr.ptr[r + 1] {
            let c = csr.idx[e] as usize;
            if (first..end).contains(&c) {
                let k = c - first;
                axpy(&mut acc[k * o..(k + 1) * o], csr.val[e], gr);
            }
        }
    }
}

/// `y += a·x`.
#[inline(always)]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

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
        let (dx, ()) = super::filled_by(r * i, |dst| {
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

    /// `len` values, non-zero at every `every`-th entry (from `phase`): `(k % levels)·scale −
    /// offset` (a deterministic sparse matrix with a few distinct values).
    fn sparse_pattern(
        len: usize,
        every: usize,
        phase: usize,
        levels: usize,
        scale: f32,
        offset: f32,
    ) -> Vec<f32> {
        (0..len)
            .map(|k| {
                if k % every == phase {
                    (k % levels) as f32 * scale - offset
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Large weights take the column-tiled products; they give exactly the values of the
    /// row-by-row products (the same sums in the same order), with partial tiles at the end,
    /// and do not depend on the number of threads.
    #[test]
    fn tiled_products_equal_the_row_by_row_ones() {
        let (rows, cols, o) = (23, 2111, 2050);
        assert!(cols * o > TILED_MIN_WEIGHTS && o % TILE != 0 && o % T_TILE != 0);
        let x = sparse_pattern(rows * cols, 17, 3, 5, 0.5, 0.7);
        let w: Vec<f32> = (0..cols * o)
            .map(|k| ((k * 7919) % 1009) as f32 * 0.001 - 0.5)
            .collect();
        let g: Vec<f32> = (0..rows * o)
            .map(|k| ((k * 31) % 97) as f32 * 0.01 - 0.4)
            .collect();
        let csr = Csr::from_dense(&x, rows, cols);
        // Row by row, as for small weights.
        let mut y_ref = vec![0.0f32; rows * o];
        matmul_rows_fast(&csr, 0, &mut y_ref, &w, o);
        let mut gw_ref = vec![0.0f32; cols * o];
        t_matmul_block_fast(&csr, 0, &mut gw_ref, &g, o);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (y, y_scan, gw) = pool.install(|| {
                (
                    csr.matmul(&w, o),
                    dense_spike_matmul(&x, cols, &w, o),
                    csr.t_matmul(&g, o),
                )
            });
            assert_eq!(bits(&y), bits(&y_ref), "x·W, {threads} threads");
            assert_eq!(
                bits(&y_scan),
                bits(&y_ref),
                "x·W from the raster, {threads} threads"
            );
            assert_eq!(bits(&gw), bits(&gw_ref), "xᵀ·g, {threads} threads");
        }
        assert!(y_ref.iter().any(|&v| v != 0.0) && gw_ref.iter().any(|&v| v != 0.0));
    }

    /// `xᵀ·g` is the same to the bit whatever the number of threads (reproducible training).
    #[test]
    fn weight_gradient_does_not_depend_on_threads() {
        let (rows, cols, o) = (777, 45, 19);
        let x = sparse_pattern(rows * cols, 13, 0, 7, 0.37, 1.0);
        let g: Vec<f32> = (0..rows * o)
            .map(|k| ((k * 31) % 17) as f32 * 0.013 - 0.1)
            .collect();
        let csr = Csr::from_dense(&x, rows, cols);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| csr.t_matmul(&g, o))
        };
        let one = run(1);
        for threads in [2, 3, 5] {
            assert_eq!(run(threads), one, "{threads} threads");
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

    #[test]
    fn csr_products_match_dense_by_hand() {
        // x = [[0, 2, 0], [0, 0, 0], [1, 0, -1]], w = [[1, 2], [3, 4], [5, 6]].
        let x = [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -1.0];
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let csr = Csr::from_dense(&x, 3, 3);
        assert_eq!(csr.ptr, [0, 1, 1, 3]);
        assert_eq!(csr.idx, [1, 0, 2]);
        assert_eq!(csr.matmul(&w, 2), [6.0, 8.0, 0.0, 0.0, -4.0, -4.0]);
        // xᵀ·g with g = [[1, 0], [7, 7], [0, 1]]: rows of xᵀ are the columns of x.
        let g = [1.0, 0.0, 7.0, 7.0, 0.0, 1.0];
        assert_eq!(csr.t_matmul(&g, 2), [0.0, 1.0, 2.0, 0.0, 0.0, -1.0]);
    }
}
