//! Reads files written by real NumPy (2.4, see `fixtures/make_fixtures.py`) and checks the exact
//! values the script wrote.

use std::path::PathBuf;

use ndarray::{ArrayD, IxDyn, array};
use rockpool_io::{IoError, NpyArray, read_npy, read_npz};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn arr<T: Clone>(shape: &[usize], values: &[T]) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).unwrap()
}

#[test]
fn float32_matrix() {
    let a = read_npy(fixture("f32_2x3.npy")).unwrap();
    assert_eq!(a.dtype_str(), "<f4");
    assert_eq!(
        a,
        NpyArray::F32(array![[1.5f32, -2.0, 3.25], [0.0, 1e-3, -7.0]].into_dyn())
    );
}

#[test]
fn float64_vector_keeps_every_bit() {
    let NpyArray::F64(a) = read_npy(fixture("f64_vec.npy")).unwrap() else {
        panic!("expected f64");
    };
    let expected = [0.1f64, -2.5, 1e300, -0.0];
    assert_eq!(a.shape(), &[4]);
    for (got, want) in a.iter().zip(expected) {
        assert_eq!(got.to_bits(), want.to_bits());
    }
}

#[test]
fn int64_matrix() {
    let a = read_npy(fixture("i64_2x2.npy")).unwrap();
    assert_eq!(
        a,
        NpyArray::I64(array![[1i64, -2], [1 << 40, -(1 << 62)]].into_dyn())
    );
}

#[test]
fn bool_vector() {
    let a = read_npy(fixture("bool_vec.npy")).unwrap();
    assert_eq!(a.dtype_str(), "|b1");
    assert_eq!(a, NpyArray::Bool(arr(&[3], &[true, false, true])));
}

#[test]
fn zero_dimensional_scalar() {
    let a = read_npy(fixture("scalar_f64.npy")).unwrap();
    assert_eq!(a.shape(), &[] as &[usize]);
    assert_eq!(a.len(), 1);
    assert!(!a.is_empty());
    assert_eq!(a, NpyArray::F64(arr(&[], &[3.5])));
}

#[test]
fn empty_vector() {
    let a = read_npy(fixture("empty_f32.npy")).unwrap();
    assert_eq!(a.shape(), &[0]);
    assert!(a.is_empty());
    assert_eq!(a.dtype_str(), "<f4");
}

#[test]
fn fortran_order_becomes_standard_layout() {
    let NpyArray::I32(a) = read_npy(fixture("fortran_i32_2x3.npy")).unwrap() else {
        panic!("expected i32");
    };
    assert_eq!(a, array![[0, 1, 2], [3, 4, 5]].into_dyn());
    assert!(a.is_standard_layout());
    assert_eq!(a.as_slice().unwrap(), &[0, 1, 2, 3, 4, 5]);
}

#[test]
fn big_endian_data() {
    let a = read_npy(fixture("big_endian_f64.npy")).unwrap();
    assert_eq!(a, NpyArray::F64(arr(&[3], &[1.0, -2.0, 0.5])));
    // Re-serialised as little-endian, whatever it was read from.
    assert_eq!(a.dtype_str(), "<f8");
    let b = read_npy(fixture("big_endian_i16.npy")).unwrap();
    assert_eq!(b, NpyArray::I16(arr(&[3], &[1, -2, 300])));
}

#[test]
fn uint8_three_dimensional() {
    let a = read_npy(fixture("u8_3d.npy")).unwrap();
    let values: Vec<u8> = (0..24).collect();
    assert_eq!(a, NpyArray::U8(arr(&[2, 3, 4], &values)));
}

#[test]
fn format_versions_2_and_3() {
    let a = read_npy(fixture("v2_f32.npy")).unwrap();
    assert_eq!(a, NpyArray::F32(arr(&[2], &[1.0, 2.0])));
    let b = read_npy(fixture("v3_i8.npy")).unwrap();
    assert_eq!(b, NpyArray::I8(arr(&[2], &[-1, 127])));
}

#[test]
fn unicode_and_object_arrays_are_clear_errors() {
    for (name, descr) in [("unicode.npy", "'<U2'"), ("object.npy", "'|O'")] {
        let err = read_npy(fixture(name)).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, IoError::Format { .. }), "{message}");
        assert!(message.contains(name), "{message}");
        assert!(
            message.contains(&format!("unsupported dtype {descr}")),
            "{message}"
        );
    }
}

#[test]
fn savez_archive_in_order_with_empty_flag() {
    let entries = read_npz(fixture("params.npz")).unwrap();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["w", "tau", "flag"]);
    assert_eq!(
        entries[0].1,
        NpyArray::F32(array![[0.5f32, -1.0], [2.0, 4.0]].into_dyn())
    );
    assert_eq!(entries[1].1, NpyArray::F64(arr(&[2], &[0.02, 0.01])));
    // `np.array([])` is float64 with shape (0,).
    assert_eq!(entries[2].1.dtype_str(), "<f8");
    assert_eq!(entries[2].1.shape(), &[0]);
}

#[test]
fn savez_compressed_archive() {
    let entries = read_npz(fixture("compressed.npz")).unwrap();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["spikes", "dt"]);
    assert_eq!(
        entries[0].1,
        NpyArray::I64(array![[0i64, 1, 0], [2, 0, 1]].into_dyn())
    );
    assert_eq!(entries[1].1, NpyArray::F64(arr(&[], &[0.001])));
}
