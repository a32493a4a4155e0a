//! Fused multi-step neuron operations with hand-written backward passes.
//!
//! `lif_cpu` holds the LIF recurrence and its adjoint over host arrays; `lif_op` wraps it as
//! one Burn operation (a backend extension with an autodiff implementation). `rate_cpu` and
//! `rate_op` do the same for the non-spiking `Rate` neuron. On the GPU backends (`wgpu`,
//! `cuda`) `lif_cube` and `rate_cube` hold the same recurrences and adjoints as CubeCL
//! kernels. `spike_matmul` is the event-driven weight product for sparse spike rasters.

/// Makes glibc's allocator keep freed memory for reuse (once per process; Linux/glibc only;
/// `ROCKPOOL_KEEP_MALLOC=1` leaves the allocator alone).
///
/// The host kernels allocate sequence-sized buffers (`[B, T, N]`, megabytes) on every call.
/// By default glibc serves them with fresh `mmap`s and returns them on free, so every call
/// page-faults its buffers in again, which cost a quarter of a training step. Raising the mmap
/// threshold to its maximum (32 MiB) and the trim threshold to 1 GiB keeps such buffers in
/// the heap, as the caching allocators of PyTorch and XLA do. The price is that the process
/// keeps up to 1 GiB of freed memory mapped.
pub(crate) fn retain_host_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var("ROCKPOOL_KEEP_MALLOC").is_ok_and(|v| v == "1") {
            return;
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes allocator tunables; valid parameters and values.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        }
    });
}

/// A new `len`-element buffer written in parallel without a clearing pass: task `k` gets
/// elements `k·chunk…` (the last chunk may be shorter) and `fill(k, chunk)` must write every
/// one of them before reading any. Returns the buffer and the tasks' results in task order.
pub(crate) fn par_fill<R: Send>(
    len: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut [f32]) -> R + Sync + Send,
) -> (Vec<f32>, Vec<R>) {
    use rayon::prelude::*;
    // The chunks cover the whole buffer and each task writes all of its own chunk before
    // reading it, which is `filled_by`'s contract.
    filled_by(len, |buf| {
        buf.par_chunks_mut(chunk.max(1))
            .enumerate()
            .map(|(k, part)| fill(k, part))
            .collect()
    })
}

/// A new `len`-element buffer without a clearing pass: `fill` gets it uninitialised and must
/// write every element before reading it, or before returning if it reads none.
pub(crate) fn filled_by<R>(len: usize, fill: impl FnOnce(&mut [f32]) -> R) -> (Vec<f32>, R) {
    let mut buf: Vec<f32> = Vec::with_capacity(len);
    let part = &mut buf.spare_capacity_mut()[..len];
    // SAFETY: f32 has no invalid bit patterns and no drop, and `fill` writes every element
    // before reading it (its documented contract).
    let r = fill(unsafe { &mut *(part as *mut [std::mem::MaybeUninit<f32>] as *mut [f32]) });
    // SAFETY: all `len` elements were written by `fill`.
    unsafe { buf.set_len(len) };
    (buf, r)
}

pub mod lif_cpu;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod lif_cube;
pub mod lif_op;
mod lif_simd;
pub mod rate_cpu;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod rate_cube;
pub mod rate_op;
pub mod spike_matmul;

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
