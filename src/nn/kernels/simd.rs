//! Generic SIMD helpers of the host kernels: `simd_dispatch!`, which compiles
//! a hot loop twice and picks the AVX2 copy at run time, and small vector routines (dot
//! product, `y += a·x`, cache prefetch) that the recurrences and products share.
//!
//! None of them changes results: no fused multiply-add is introduced and every sum keeps its
//! order, so the AVX2 and baseline builds agree to the bit.

/// Defines `$name($args)`, which runs `$body($args)` compiled for AVX2 + FMA when the CPU has
/// them, and the baseline build of `$body` otherwise. The crate is built for the baseline
/// x86-64 target (SSE2) so that binaries stay portable; the hot loops are `#[inline(always)]`
/// bodies, so the AVX2 copy is vectorised with 256-bit registers and inlines `floor` etc.
/// No fused multiply-add is introduced (Rust never contracts `a*b + c`), so both copies give
/// identical results.
macro_rules! simd_dispatch {
    (fn $name:ident = $body:ident ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?) => {
        #[allow(clippy::too_many_arguments)]
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has the features `fast` is compiled for.
                    return unsafe { fast($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use simd_dispatch;

/// [`simd_dispatch!`] with a third copy compiled for AVX-512 (512-bit vectors), taken where
/// the CPU has it: for loops that stream long rows (`y += a·x` over hundreds of values),
/// where wider registers halve the instructions. Results are the same bits in every copy.
macro_rules! simd_dispatch_wide {
    (fn $name:ident = $body:ident ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?) => {
        #[allow(clippy::too_many_arguments)]
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                if std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512vl")
                    && std::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has the features `wide` is compiled for.
                    return unsafe { wide($($arg),*) };
                }
            }
            crate::nn::kernels::simd::simd_dispatch!(fn narrow = $body($($arg: $ty),*) $(-> $ret)?);
            narrow($($arg),*)
        }
    };
}
pub(crate) use simd_dispatch_wide;

/// Whether the CPU has AVX-512 F (the explicit 512-bit kernels' requirement).
pub(super) fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `acc += x`, element by element.
#[inline(always)]
pub(super) fn add(acc: &mut [f32], x: &[f32]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a += b;
    }
}

/// Asks the CPU to bring `row` into the cache (a hint; no effect on results).
#[inline(always)]
pub(super) fn prefetch(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in row.chunks(16) {
        // SAFETY: a prefetch of a valid address; SSE is part of the x86-64 baseline.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Dot product with eight independent accumulators, so the compiler can vectorise it (a
/// single running sum forces strict left-to-right float addition).
#[inline]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, ra) = a.split_at(a.len() - a.len() % 8);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(8).zip(cb.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// `y += a·x`.
#[inline(always)]
pub(super) fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}
