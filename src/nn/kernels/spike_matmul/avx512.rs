//! AVX-512 rows of the event-driven product `y = x·W`: each row's events are compacted
//! with compress instructions (sixteen entries per compare, no branches), and each column
//! tile of up to 128 outputs is summed in eight 512-bit registers over the row's events and
//! stored once, so `y` is never read back while it is accumulated (the AVX2 loops load and
//! store every output row once per event).
//!
//! Every output starts at 0 and adds `v·w` per event in the events' order, with separate
//! multiplies and adds: the same bits as the portable and AVX2 rows in
//! [`super::products`].

use super::csr::Csr;

/// Whether the CPU runs these rows (AVX-512 F).
pub(super) use crate::nn::kernels::simd::avx512_available as available;

/// Rows of `x·W` for the dense rows `xs` of `x` (`cols` entries each) into `out`
/// (`o` entries per row), `w` `[cols, o]`.
///
/// # Panics
/// If the sizes disagree or [`available`] is false.
pub(super) fn scan_rows(xs: &[f32], cols: usize, out: &mut [f32], w: &[f32], o: usize) {
    assert!(cols > 0 && o > 0, "scan_rows: empty shapes");
    assert!(
        xs.len().is_multiple_of(cols) && out.len() == xs.len() / cols * o && w.len() == cols * o,
        "scan_rows: sizes"
    );
    assert!(available(), "scan_rows: AVX-512 is not available");
    #[cfg(target_arch = "x86_64")]
    {
        let mut idx = vec![0u32; cols + 16];
        let mut val = vec![0.0f32; cols + 16];
        for (row, y) in xs.chunks_exact(cols).zip(out.chunks_exact_mut(o)) {
            // SAFETY: AVX-512 F is present; `idx`/`val` hold `cols + 16` entries; the column
            // indices written are below `cols`, so every row of `w` read is in bounds.
            unsafe {
                let n = imp::compact(row, idx.as_mut_ptr(), val.as_mut_ptr());
                imp::accumulate(&idx[..n], &val[..n], w, o, y);
            }
        }
    }
}

/// Row counts, columns and values of the non-zero entries of the dense rows `chunk`
/// (`cols` entries each), as [`Csr::from_dense`] gathers them.
///
/// # Panics
/// If `cols` is 0 or does not divide the chunk, or [`available`] is false.
pub(super) fn compress_rows(chunk: &[f32], cols: usize) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
    assert!(
        cols > 0 && chunk.len().is_multiple_of(cols),
        "compress_rows: sizes"
    );
    assert!(available(), "compress_rows: AVX-512 is not available");
    let mut counts = Vec::with_capacity(chunk.len() / cols);
    let (mut idx, mut val): (Vec<u32>, Vec<f32>) = (Vec::new(), Vec::new());
    #[cfg(target_arch = "x86_64")]
    for row in chunk.chunks_exact(cols) {
        let len = idx.len();
        idx.reserve(cols + 16);
        val.reserve(cols + 16);
        // SAFETY: AVX-512 F is present; both buffers have room for `cols + 16` entries from
        // `len`, and the first `n` of them are written before the lengths cover them.
        unsafe {
            let n = imp::compact(row, idx.as_mut_ptr().add(len), val.as_mut_ptr().add(len));
            idx.set_len(len + n);
            val.set_len(len + n);
            counts.push(n);
        }
    }
    (counts, idx, val)
}

/// Rows `first…` of `x·W` from the compressed `x` into `out` (`o` entries per row).
///
/// # Panics
/// If the sizes disagree or [`available`] is false.
pub(super) fn csr_rows(csr: &Csr, first: usize, out: &mut [f32], w: &[f32], o: usize) {
    assert!(o > 0 && out.len().is_multiple_of(o), "csr_rows: sizes");
    assert!(
        first + out.len() / o <= csr.rows && w.len() == csr.cols * o,
        "csr_rows: sizes"
    );
    assert!(available(), "csr_rows: AVX-512 is not available");
    #[cfg(target_arch = "x86_64")]
    for (k, y) in out.chunks_exact_mut(o).enumerate() {
        let r = first + k;
        let (idx, val) = (
            &csr.idx[csr.ptr[r]..csr.ptr[r + 1]],
            &csr.val[csr.ptr[r]..csr.ptr[r + 1]],
        );
        assert!(
            idx.iter().all(|&c| (c as usize) < csr.cols),
            "csr_rows: a column index is out of range"
        );
        // SAFETY: AVX-512 F is present; every column index is below `cols` (checked), so
        // every row of `w` read is in bounds.
        unsafe { imp::accumulate(idx, val, w, o, y) };
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::*;

    /// Writes the columns and values of the non-zero entries of `row` (in column order) to
    /// `idx` and `val`; returns how many.
    ///
    /// # Safety
    /// AVX-512 F is available; `idx` and `val` are valid for writing `row.len() + 16`
    /// entries (which may be uninitialised).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn compact(row: &[f32], idx: *mut u32, val: *mut f32) -> usize {
        let cols = row.len();
        let mut len = 0;
        let mut c = 0;
        // SAFETY: loads stay within `row` (the last block is masked); each store writes 16
        // entries from `len ≤ c ≤ cols`, within the `cols + 16` entries.
        unsafe {
            let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            let zero = _mm512_setzero_ps();
            while c < cols {
                let left = cols - c;
                let live: __mmask16 = if left >= 16 {
                    0xFFFF
                } else {
                    (1u16 << left) - 1
                };
                let x = _mm512_maskz_loadu_ps(live, row.as_ptr().add(c));
                // Non-zero (NaN included, as `v != 0.0`), within the row.
                let k = _mm512_mask_cmp_ps_mask::<_CMP_NEQ_UQ>(live, x, zero);
                let cols_v = _mm512_add_epi32(iota, _mm512_set1_epi32(c as i32));
                _mm512_storeu_si512(idx.add(len).cast(), _mm512_maskz_compress_epi32(k, cols_v));
                _mm512_storeu_ps(val.add(len), _mm512_maskz_compress_ps(k, x));
                len += k.count_ones() as usize;
                c += 16;
            }
        }
        len
    }

    /// `y = Σ_e val[e]·w[idx[e], :]` in event order, column tile by column tile.
    ///
    /// # Safety
    /// AVX-512 F is available; `y` holds `o` values and every `idx[e] < w.len() / o`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn accumulate(idx: &[u32], val: &[f32], w: &[f32], o: usize, y: &mut [f32]) {
        debug_assert!(y.len() == o && idx.len() == val.len());
        let mut t0 = 0;
        while t0 < o {
            let tw = (o - t0).min(128);
            let regs = tw.div_ceil(16);
            let last: __mmask16 = if tw.is_multiple_of(16) {
                0xFFFF
            } else {
                (1u16 << (tw % 16)) - 1
            };
            // SAFETY: as this function's contract; the tile is columns `t0…t0 + tw` ≤ `o`.
            unsafe {
                match regs {
                    8 => tile::<8>(idx, val, w, o, t0, last, y),
                    7 => tile::<7>(idx, val, w, o, t0, last, y),
                    6 => tile::<6>(idx, val, w, o, t0, last, y),
                    5 => tile::<5>(idx, val, w, o, t0, last, y),
                    4 => tile::<4>(idx, val, w, o, t0, last, y),
                    3 => tile::<3>(idx, val, w, o, t0, last, y),
                    2 => tile::<2>(idx, val, w, o, t0, last, y),
                    _ => tile::<1>(idx, val, w, o, t0, last, y),
                }
            }
            t0 += tw;
        }
    }

    /// One tile of `K` registers (the last one `last`-masked) starting at column `t0`.
    ///
    /// # Safety
    /// As [`accumulate`], with `t0 + 16·(K − 1) + (lanes of last) ≤ o`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const K: usize>(
        idx: &[u32],
        val: &[f32],
        w: &[f32],
        o: usize,
        t0: usize,
        last: __mmask16,
        y: &mut [f32],
    ) {
        // SAFETY: every load reads row `idx[e]` of `w` within columns `t0…t0 + tw` (the
        // last register masked), and the stores write `y[t0…t0 + tw]`.
        unsafe {
            let mut acc = [_mm512_setzero_ps(); K];
            for (&c, &v) in idx.iter().zip(val) {
                let vv = _mm512_set1_ps(v);
                let base = w.as_ptr().add(c as usize * o + t0);
                for (j, a) in acc.iter_mut().enumerate() {
                    let wv = if j + 1 == K {
                        _mm512_maskz_loadu_ps(last, base.add(16 * j))
                    } else {
                        _mm512_loadu_ps(base.add(16 * j))
                    };
                    *a = _mm512_add_ps(*a, _mm512_mul_ps(vv, wv));
                }
            }
            let dst = y.as_mut_ptr().add(t0);
            for (j, a) in acc.iter().enumerate() {
                if j + 1 == K {
                    _mm512_mask_storeu_ps(dst.add(16 * j), last, *a);
                } else {
                    _mm512_storeu_ps(dst.add(16 * j), *a);
                }
            }
        }
    }
}
