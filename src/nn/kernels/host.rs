//! Host-side helpers shared by the fused kernels: reading backend buffers (borrowed where the
//! backend lends them, else copied), new buffers filled without a clearing pass (in parallel
//! on rayon's pool), and the allocator setting that keeps sequence-sized buffers in the heap.
//!
//! Nothing here knows a neuron model: these are the plumbing between Burn's tensors and the
//! host loops of `lif/`, `rate/` and `spike_matmul/`.

use burn::backend::Backend;
use burn::backend::tensor::FloatTensor;

/// Makes glibc's allocator keep freed memory for reuse (once per process; Linux/glibc only;
/// `ROCKPOOL_KEEP_MALLOC=1` leaves the allocator alone).
///
/// The host kernels allocate sequence-sized buffers (`[B, T, N]`, megabytes) on every call.
/// By default glibc serves them with fresh `mmap`s and returns them on free, so every call
/// page-faults its buffers in again, which cost a quarter of a training step. Raising the mmap
/// threshold to its maximum (32 MiB) and the trim threshold to 1 GiB keeps such buffers in
/// the heap, as the caching allocators of PyTorch and XLA do. The price is that the process
/// keeps up to 1 GiB of freed memory mapped.
pub(super) fn retain_host_memory() {
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
pub(super) fn par_fill<R: Send>(
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
pub(super) fn filled_by<R>(len: usize, fill: impl FnOnce(&mut [f32]) -> R) -> (Vec<f32>, R) {
    let mut buf: Vec<f32> = Vec::with_capacity(len);
    let part = &mut buf.spare_capacity_mut()[..len];
    // SAFETY: f32 has no invalid bit patterns and no drop, and `fill` writes every element
    // before reading it (its documented contract).
    let r = fill(unsafe { &mut *(part as *mut [std::mem::MaybeUninit<f32>] as *mut [f32]) });
    // SAFETY: all `len` elements were written by `fill`.
    unsafe { buf.set_len(len) };
    (buf, r)
}

/// Whether `B` keeps its tensors in host memory (the host kernels run on its buffers, and
/// the backward state stays in host vectors).
pub(super) fn on_host<B: Backend>() -> bool {
    let id = std::any::TypeId::of::<B>();
    #[cfg(feature = "flex")]
    if id == std::any::TypeId::of::<burn::backend::Flex>() {
        return true;
    }
    #[cfg(feature = "ndarray")]
    if id == std::any::TypeId::of::<burn::backend::NdArray>() {
        return true;
    }
    let _ = id;
    false
}

/// A borrowed view of a tensor's f32 values when the backend keeps them in host memory and
/// can lend them (flex, contiguous f32); `None` otherwise (read a copy with [`read_host`]).
pub(super) fn host_view<B: Backend>(t: &FloatTensor<B>) -> Option<&[f32]> {
    #[cfg(feature = "flex")]
    if let Some(f) = (t as &dyn std::any::Any).downcast_ref::<burn_flex::FlexTensor>() {
        return f.as_slice::<f32>();
    }
    let _ = t;
    None
}

/// A tensor's f32 values: borrowed where the backend lends them ([`host_view`]), else a host
/// copy ([`read_host`]).
pub(super) fn host_values<B: Backend>(t: &FloatTensor<B>) -> std::borrow::Cow<'_, [f32]> {
    match host_view::<B>(t) {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(read_host::<B>(t.clone()).0),
    }
}

/// Runs `f` on a tensor's f32 values: borrowed where the backend lends them
/// ([`host_view`]), else on a host copy ([`read_host`]).
pub(super) fn with_host<B: Backend, R>(t: FloatTensor<B>, f: impl FnOnce(&[f32]) -> R) -> R {
    match host_view::<B>(&t) {
        Some(v) => f(v),
        None => f(&read_host::<B>(t).0),
    }
}

/// A tensor's values and shape on the host (no copy when the backend can hand its buffer over).
pub(super) fn read_host<B: Backend>(t: FloatTensor<B>) -> (Vec<f32>, Vec<usize>) {
    retain_host_memory();
    let data = burn::tensor::try_read_sync(B::float_into_data(t))
        .expect("reading a tensor synchronously")
        .expect("tensor data is readable");
    let shape = data.shape().to_vec();
    // Consuming the data avoids a second copy when it is already f32.
    (
        data.try_into_vec_as::<f32>()
            .expect("float data converts to f32"),
        shape,
    )
}
