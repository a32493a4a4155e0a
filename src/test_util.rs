//! Helpers for the unit tests.

use burn::tensor::{Device, Tensor};

/// The CPU device the tests run on.
pub fn device() -> Device {
    crate::device::device_from_name("flex").expect("flex is compiled in for tests")
}

/// Flattens a rank-3 tensor.
pub fn vec3(t: &Tensor<3>) -> Vec<f32> {
    t.to_data().try_to_vec_as::<f32>().unwrap()
}

/// Asserts equality within `tol` absolute.
pub fn close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "length: got {got:?}, want {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "[{i}]: got {g}, want {w} (got {got:?})"
        );
    }
}
