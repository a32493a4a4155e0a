//! GPU helpers shared by the CubeCL kernels of `lif/` and `rate/` (backends `wgpu`, `cuda`):
//! preparing inputs, allocating outputs, packing several tensors into one buffer and cutting
//! it back, and the launch layout.
//!
//! Packing: WebGPU caps the storage buffers of one kernel (at 8 by default, 16 on some
//! adapters), so the kernels take their inputs and outputs packed, flat, into a few buffers.
//!
//! Launch layout: each batch element is one row of cubes (`CUBE_POS_Y`), and each unit
//! carries one or more neurons through time. Without recurrence the neurons are independent
//! and the cubes along x cover them, one unit per neuron; with recurrence every step needs
//! the previous step's outputs of the whole layer, so one cube holds a whole batch element,
//! its units stride over the neurons, and a storage barrier separates the steps.

// The `#[cube]` expansion names the `cubecl` crate.
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::calculate_cube_count_elemwise;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;

use burn::backend::ops::FloatTensorOps;
use burn::tensor::{DType, Shape};

/// Largest number of units per cube of the fused kernels.
const MAX_UNITS: u32 = 256;

/// Cube count and size: without recurrence one unit per neuron over as many cubes as needed;
/// with recurrence one cube per batch element.
pub(super) fn launch_layout(t: &CubeTensor, b: usize, n: usize, rec: bool) -> (CubeCount, CubeDim) {
    let hw_max = t.client.properties().hardware.max_cube_dim.0;
    let units = (n.max(1) as u32).min(hw_max).min(MAX_UNITS);
    let cubes_x = if rec {
        1
    } else {
        (n.max(1) as u32).div_ceil(units)
    };
    assert!(
        b <= u16::MAX as usize,
        "a fused kernel on the GPU: batch size {b} exceeds the {} cubes per launch axis",
        u16::MAX
    );
    (
        CubeCount::Static(cubes_x, b.max(1) as u32, 1),
        CubeDim::new_1d(units),
    )
}

/// A contiguous f32 tensor (the kernels index linearly).
pub(super) fn prepared(t: CubeTensor, what: &str) -> CubeTensor {
    assert_eq!(
        t.dtype,
        DType::F32,
        "a fused kernel on the GPU: `{what}` must be f32, not {:?}",
        t.dtype
    );
    into_contiguous(t)
}

/// A new flat f32 buffer of `len` values (uninitialised: the kernels write all of it).
pub(super) fn empty(like: &CubeTensor, len: usize) -> CubeTensor {
    let buf = empty_device_contiguous_dtype(
        like.client.clone(),
        like.device.clone(),
        Shape::from(vec![len.max(1)]),
        DType::F32,
    );
    if len == 0 {
        CubeBackend::float_slice(buf, &[(0..0).into()])
    } else {
        buf
    }
}

/// A zero f32 tensor of `shape` on `like`'s device (placeholders and empty results).
pub(super) fn zeros(like: &CubeTensor, shape: Vec<usize>) -> CubeTensor {
    CubeBackend::float_zeros(Shape::from(shape), &like.device, DType::F32.into())
}

/// The tensors flattened and concatenated, each as `len` values (a kernel's packed buffer);
/// those with a zero `len` are left out.
pub(super) fn pack(parts: Vec<(CubeTensor, usize)>) -> CubeTensor {
    let like = parts[0].0.clone();
    let flat: Vec<CubeTensor> = parts
        .into_iter()
        .filter(|(_, len)| *len > 0)
        .map(|(t, len)| CubeBackend::float_reshape(t, Shape::from(vec![len])))
        .collect();
    match flat.len() {
        0 => zeros(&like, vec![1]),
        1 => flat.into_iter().next().expect("one part"),
        _ => CubeBackend::float_cat(flat, 0),
    }
}

/// Copies `dst.len()` values of `src` from `offset` on.
#[cube(launch)]
fn take_range(src: &Tensor<f32>, dst: &mut Tensor<f32>, offset: u32) {
    let i = ABSOLUTE_POS;
    if i < dst.len() {
        dst[i] = src[offset as usize + i];
    }
}

/// The packed buffer cut back into its parts, with their shapes (new buffers: a slice of the
/// packed buffer, returned from a fused operation, read back empty through Burn 0.22.1's
/// fusion).
pub(super) fn unpack(buf: CubeTensor, shapes: Vec<Vec<usize>>) -> Vec<CubeTensor> {
    let mut at = 0;
    shapes
        .into_iter()
        .map(|shape| {
            let len: usize = shape.iter().product();
            let part = empty(&buf, len);
            if len > 0 {
                let dim = CubeDim::new(&buf.client, len);
                let count = calculate_cube_count_elemwise(&buf.client, len, dim);
                take_range::launch(
                    &buf.client,
                    count,
                    dim,
                    buf.clone().into_tensor_arg(),
                    part.clone().into_tensor_arg(),
                    at as u32,
                );
            }
            at += len;
            CubeBackend::float_reshape(part, Shape::from(shape))
        })
        .collect()
}
