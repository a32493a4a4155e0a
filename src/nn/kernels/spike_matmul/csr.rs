//! The compressed spike raster: [`Csr`] holds the non-zero entries of a dense row-major
//! matrix row by row, found eight entries at a time (one vector compare per block with AVX2),
//! so runs of zeros cost no branches. The products over it are in [`super::products`].

use rayon::prelude::*;

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
pub(super) const CHUNK_ROWS: usize = 256;

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
}

/// Row counts, columns and values of the non-zero entries of some rows.
fn compress_fast(chunk: &[f32], cols: usize) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
    if super::avx512::available() {
        return super::avx512::compress_rows(chunk, cols);
    }
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
pub(super) fn mask8_scalar(block: &[f32]) -> u32 {
    block
        .iter()
        .enumerate()
        .fold(0u32, |m, (k, &v)| m | (u32::from(v != 0.0) << k))
}

/// [`mask8_scalar`] as one vector compare.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn mask8_avx2(block: &[f32]) -> u32 {
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
pub(super) fn for_each_nonzero(
    row: &[f32],
    mask8: &impl Fn(&[f32]) -> u32,
    mut f: impl FnMut(usize, f32),
) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every compressor the CPU has (AVX-512, AVX2) gathers the same entries as the scalar
    /// one: row lengths with partial blocks, NaN (non-zero), negative zero (zero), empty rows.
    #[test]
    fn compressors_agree() {
        for cols in [1, 7, 8, 15, 16, 17, 33, 100] {
            let rows = 9;
            let mut x: Vec<f32> = (0..rows * cols)
                .map(|k| {
                    if k % 5 == 1 {
                        k as f32 * 0.5 - 3.0
                    } else {
                        0.0
                    }
                })
                .collect();
            x[0] = f32::NAN;
            if x.len() > 2 {
                x[2] = -0.0;
            }
            if rows * cols > 4 * cols {
                x[3 * cols..4 * cols].fill(0.0);
            }
            let key = |(c, i, v): (Vec<usize>, Vec<u32>, Vec<f32>)| {
                (c, i, v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
            };
            let want = key(compress(&x, cols, mask8_scalar));
            assert!(want.0.iter().sum::<usize>() >= 2);
            if super::super::avx512::available() {
                assert_eq!(
                    key(super::super::avx512::compress_rows(&x, cols)),
                    want,
                    "{cols}"
                );
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                assert_eq!(key(unsafe { compress_avx2(&x, cols) }), want, "{cols}");
            }
        }
    }
}
