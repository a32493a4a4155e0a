//! The event-driven products over a spike raster, on host memory: `x·W` from the compressed
//! raster ([`Csr::matmul`]) or straight from the dense one ([`dense_spike_matmul`], for
//! inference), and `xᵀ·g` ([`Csr::t_matmul`], the weight gradient). Each event adds its
//! weighted row of `W` (or of `g`). Large weights run in column tiles that stay in cache.
//!
//! Every output element sums its events in row order with separate multiplies and adds, so
//! the tiled and row-by-row products, the AVX2 and baseline builds, and any number of
//! threads give the same bits (training runs are reproducible).

use rayon::prelude::*;

use super::avx512;
#[cfg(target_arch = "x86_64")]
use super::csr::mask8_avx2;
use super::csr::{CHUNK_ROWS, Csr, for_each_nonzero, mask8_scalar};
use crate::nn::kernels::host::par_fill;
use crate::nn::kernels::simd::{add, axpy, simd_dispatch, simd_dispatch_wide};

impl Csr {
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
            return par_fill(len, chunk * o, |k, out| {
                tiled_rows_fast(self, k * chunk, out, &wt, o)
            })
            .0;
        }
        // Every row is zeroed (in cache) right before it is accumulated, so the buffer is not
        // cleared in a separate pass.
        let wide = avx512::available();
        par_fill(len, CHUNK_ROWS * o, |chunk, out| {
            if wide {
                avx512::csr_rows(self, chunk * CHUNK_ROWS, out, w, o)
            } else {
                matmul_rows_fast(self, chunk * CHUNK_ROWS, out, w, o)
            }
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
        if out.len() <= PARTS_MAX_WEIGHTS && self.rows >= 64 * T_PARTS {
            // Small weights: a fixed number of row ranges, each summed into its own full
            // `[cols, o]` (in cache), then the partial sums added in range order. Each task
            // reads only its rows of `g`, and the result does not depend on the threads.
            let per = self.rows.div_ceil(T_PARTS);
            let parts: Vec<Vec<f32>> = (0..T_PARTS)
                .into_par_iter()
                .map(|p| {
                    let mut acc = vec![0.0f32; self.cols * o];
                    let rows = p * per..((p + 1) * per).min(self.rows);
                    t_rows_fast(self, rows.start, rows.end, &mut acc, g, o);
                    acc
                })
                .collect();
            let mut parts = parts.into_iter();
            let mut out = parts.next().expect("T_PARTS > 0");
            for part in parts {
                add(&mut out, &part);
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
    par_fill(rows * o, CHUNK_ROWS * o, |chunk, out| {
        let first = chunk * CHUNK_ROWS;
        let xs = &x[first * cols..(first + out.len() / o) * cols];
        scan_matmul_fast(xs, cols, out, w, o);
    })
    .0
}

fn scan_matmul_fast(xs: &[f32], cols: usize, out: &mut [f32], w: &[f32], o: usize) {
    if avx512::available() {
        return avx512::scan_rows(xs, cols, out, w, o);
    }
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

simd_dispatch!(fn matmul_rows_fast = matmul_rows(csr: &Csr, first: usize, out: &mut [f32], w: &[f32], o: usize));

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
    par_fill(w.len(), TILE * cols, |k, dst| {
        let t0 = k * TILE;
        let tw = TILE.min(o - t0);
        for (c, d) in dst.chunks_exact_mut(tw).enumerate() {
            d.copy_from_slice(&w[c * o + t0..c * o + t0 + tw]);
        }
    })
    .0
}

simd_dispatch!(fn tiled_rows_fast = tiled_rows(csr: &Csr, first: usize, out: &mut [f32], wt: &[f32], o: usize));

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

simd_dispatch_wide!(fn t_tile_fast = t_tile(csr: &Csr, t0: usize, tw: usize, g: &[f32], o: usize) -> Vec<f32>);

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

/// Row ranges of the partitioned `xᵀ·g` (a constant, so the sums do not depend on the number
/// of threads).
const T_PARTS: usize = 4;

/// Weights (entries) up to which `xᵀ·g` is partitioned by rows (1 MiB of f32 per partial sum).
const PARTS_MAX_WEIGHTS: usize = 1 << 18;

simd_dispatch_wide!(fn t_rows_fast = t_rows(csr: &Csr, r0: usize, r1: usize, acc: &mut [f32], g: &[f32], o: usize));

/// `acc += x[r0..r1]ᵀ·g[r0..r1]` (`acc` `[cols, o]`), the events of every row in order.
#[inline(always)]
fn t_rows(csr: &Csr, r0: usize, r1: usize, acc: &mut [f32], g: &[f32], o: usize) {
    for r in r0..r1 {
        let gr = &g[r * o..(r + 1) * o];
        for e in csr.ptr[r]..csr.ptr[r + 1] {
            let c = csr.idx[e] as usize;
            axpy(&mut acc[c * o..(c + 1) * o], csr.val[e], gr);
        }
    }
}

simd_dispatch_wide!(fn t_matmul_block_fast = t_matmul_block(csr: &Csr, first: usize, acc: &mut [f32], g: &[f32], o: usize));

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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The AVX-512 rows (where the CPU has them) give the bits of the row-by-row products,
    /// from the dense raster and from the compressed one, for widths with partial registers
    /// and tiles on both sides, NaN and negative-zero events, and empty rows.
    #[test]
    fn avx512_rows_equal_the_row_by_row_ones() {
        if !avx512::available() {
            return;
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for (cols, o) in [
            (1, 1),
            (15, 17),
            (16, 16),
            (17, 128),
            (37, 129),
            (64, 300),
            (300, 10),
        ] {
            let rows = 41;
            let mut x = sparse_pattern(rows * cols, 7, 2, 6, 0.75, 1.5);
            let at = (3 * cols).min(x.len() - 1);
            x[at] = -0.0;
            if x.len() > 2 * cols {
                x[2 * cols..3 * cols].fill(0.0);
            }
            let last = x.len() - 1;
            x[last] = f32::NAN;
            let w: Vec<f32> = (0..cols * o)
                .map(|k| ((k * 7919) % 1009) as f32 * 0.001 - 0.5)
                .collect();
            let csr = Csr::from_dense(&x, rows, cols);
            let mut want = vec![0.0f32; rows * o];
            matmul_rows_fast(&csr, 0, &mut want, &w, o);
            let mut got = vec![f32::NAN; rows * o];
            avx512::scan_rows(&x, cols, &mut got, &w, o);
            assert_eq!(bits(&got), bits(&want), "dense raster, {cols} × {o}");
            let mut got = vec![f32::NAN; rows * o];
            avx512::csr_rows(&csr, 0, &mut got, &w, o);
            assert_eq!(bits(&got), bits(&want), "compressed raster, {cols} × {o}");
            // Rows from the middle.
            let mut part = vec![f32::NAN; 5 * o];
            avx512::csr_rows(&csr, 30, &mut part, &w, o);
            assert_eq!(bits(&part), bits(&want[30 * o..35 * o]));
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
