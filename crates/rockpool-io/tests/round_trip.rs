//! Round trips through our own writer and reader, conversions, malformed input and atomic
//! writes.

use ndarray::{ArrayD, IxDyn};
use rockpool_io::{
    IoError, NpyArray, npy_from_bytes, npy_to_bytes, npz_from_bytes, npz_to_bytes, read_npy,
    read_npz, write_atomic, write_npy, write_npz, write_npz_compressed,
};

/// A fresh, empty scratch directory for one test, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("rockpool-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn arr<T: Clone>(shape: &[usize], values: &[T]) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(shape), values.to_vec()).unwrap()
}

/// One 2x3 array of every dtype, with extreme values.
fn every_dtype() -> Vec<NpyArray> {
    let s = &[2, 3];
    vec![
        NpyArray::from(arr(
            s,
            &[
                0.0f32,
                -1.5,
                f32::MAX,
                f32::MIN_POSITIVE,
                f32::INFINITY,
                -0.0,
            ],
        )),
        NpyArray::from(arr(
            s,
            &[0.1f64, -1e-300, f64::MAX, f64::NEG_INFINITY, 2.0, 3.0],
        )),
        NpyArray::from(arr(s, &[i8::MIN, -1, 0, 1, 2, i8::MAX])),
        NpyArray::from(arr(s, &[i16::MIN, -1, 0, 1, 2, i16::MAX])),
        NpyArray::from(arr(s, &[i32::MIN, -1, 0, 1, 2, i32::MAX])),
        NpyArray::from(arr(s, &[i64::MIN, -1, 0, 1, 2, i64::MAX])),
        NpyArray::from(arr(s, &[0u8, 1, 2, 3, 4, u8::MAX])),
        NpyArray::from(arr(s, &[0u16, 1, 2, 3, 4, u16::MAX])),
        NpyArray::from(arr(s, &[0u32, 1, 2, 3, 4, u32::MAX])),
        NpyArray::from(arr(s, &[0u64, 1, 2, 3, 4, u64::MAX])),
        NpyArray::from(arr(s, &[true, false, true, true, false, false])),
    ]
}

#[test]
fn every_dtype_round_trips_in_memory() {
    let descrs = [
        "<f4", "<f8", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "|b1",
    ];
    for (array, descr) in every_dtype().into_iter().zip(descrs) {
        assert_eq!(array.dtype_str(), descr);
        let back = npy_from_bytes(&npy_to_bytes(&array)).unwrap();
        assert_eq!(back, array, "{descr}");
    }
}

#[test]
fn nan_round_trips_bit_exactly() {
    let a = NpyArray::from(arr(&[2], &[f64::NAN, -f64::NAN]));
    let NpyArray::F64(back) = npy_from_bytes(&npy_to_bytes(&a)).unwrap() else {
        panic!("expected f64");
    };
    assert_eq!(back[[0]].to_bits(), f64::NAN.to_bits());
    assert_eq!(back[[1]].to_bits(), (-f64::NAN).to_bits());
}

#[test]
fn zero_d_empty_and_3d_round_trip_through_files() {
    let dir = scratch("shapes");
    let values: Vec<f32> = (0..24).map(|v| v as f32 * 0.5).collect();
    let cases = [
        ("scalar", NpyArray::from(arr(&[], &[7i64]))),
        ("empty", NpyArray::from(arr::<f64>(&[0], &[]))),
        ("empty2d", NpyArray::from(arr::<u8>(&[3, 0], &[]))),
        ("cube", NpyArray::from(arr(&[2, 3, 4], &values))),
    ];
    for (name, array) in &cases {
        let path = dir.join(format!("{name}.npy"));
        write_npy(&path, array).unwrap();
        assert_eq!(&read_npy(&path).unwrap(), array, "{name}");
    }
    let entries: Vec<(String, NpyArray)> = cases
        .iter()
        .map(|(n, a)| (n.to_string(), a.clone()))
        .collect();
    let path = dir.join("all.npz");
    write_npz(&path, &entries).unwrap();
    assert_eq!(read_npz(&path).unwrap(), entries);
    write_npz_compressed(&path, &entries).unwrap();
    assert_eq!(read_npz(&path).unwrap(), entries);
}

#[test]
fn npz_keeps_order_and_every_dtype() {
    let entries: Vec<(String, NpyArray)> = every_dtype()
        .into_iter()
        .enumerate()
        .map(|(i, a)| (format!("z{}", 20 - i), a))
        .collect();
    let bytes = npz_to_bytes(&entries).unwrap();
    assert_eq!(npz_from_bytes(&bytes).unwrap(), entries);
}

#[test]
fn non_standard_layout_is_written_in_logical_order() {
    let t = arr(&[2, 3], &[1i32, 2, 3, 4, 5, 6]).reversed_axes(); // 3x2, Fortran layout
    let back = npy_from_bytes(&npy_to_bytes(&NpyArray::from(t.clone()))).unwrap();
    assert_eq!(back, NpyArray::from(t));
}

#[test]
fn duplicate_npz_keys_are_rejected() {
    let a = NpyArray::from(arr(&[1], &[1.0f32]));
    let err = npz_to_bytes(&[("w".into(), a.clone()), ("w".into(), a)]).unwrap_err();
    assert!(
        matches!(err, IoError::DuplicateKey { ref key, .. } if key == "w"),
        "{err}"
    );
}

#[test]
fn conversions() {
    let f = NpyArray::from(arr(&[3], &[1.0f64, -2.0, 3.0]));
    assert_eq!(f.to_i64().unwrap(), arr(&[3], &[1i64, -2, 3]));
    assert_eq!(f.to_f32(), arr(&[3], &[1.0f32, -2.0, 3.0]));
    let b = NpyArray::from(arr(&[2], &[true, false]));
    assert_eq!(b.to_f64(), arr(&[2], &[1.0, 0.0]));
    assert_eq!(b.to_i64().unwrap(), arr(&[2], &[1i64, 0]));
    let u = NpyArray::from(arr(&[2], &[7u16, 65535]));
    assert_eq!(u.to_f32(), arr(&[2], &[7.0f32, 65535.0]));

    let fractional = NpyArray::from(arr(&[2], &[1.0f32, 2.5]));
    let err = fractional.to_i64().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot convert <f4 array to i64: element 2.5 is not representable"
    );
    assert!(NpyArray::from(arr(&[1], &[f64::NAN])).to_i64().is_err());
    assert!(NpyArray::from(arr(&[1], &[9.3e18f64])).to_i64().is_err());
    assert!(NpyArray::from(arr(&[1], &[u64::MAX])).to_i64().is_err());
}

#[test]
fn try_from_checks_the_exact_dtype() {
    let a = NpyArray::from(arr(&[2], &[1i32, 2]));
    let ok: ArrayD<i32> = a.clone().try_into().unwrap();
    assert_eq!(ok, arr(&[2], &[1, 2]));
    let err = ArrayD::<f32>::try_from(a).unwrap_err();
    assert_eq!(err.to_string(), "expected a <f4 array, found <i4");
}

#[test]
fn truncated_and_garbage_input_are_errors_not_panics() {
    let good = npy_to_bytes(&NpyArray::from(arr(&[3, 4], &[1.5f64; 12])));
    // Every prefix of a valid file, and every single-byte corruption of its header.
    for len in 0..good.len() {
        assert!(
            npy_from_bytes(&good[..len]).is_err(),
            "prefix of {len} bytes"
        );
    }
    for i in 0..128 {
        for byte in [0u8, b'(', b'\'', b'9', 0xff] {
            let mut bad = good.clone();
            bad[i] = byte;
            let _ = npy_from_bytes(&bad);
        }
    }
    for garbage in [
        &b""[..],
        b"PK\x03\x04",
        b"\x93NUMPY\x09\x00",
        b"hello world, not numpy",
    ] {
        assert!(npy_from_bytes(garbage).is_err());
        assert!(npz_from_bytes(garbage).is_err());
    }
    // Headers claiming vast shapes: no huge allocation, just an error.
    for (shape, problem) in [
        (
            "(999999999999999, 4)",
            "needs 31999999999999968 bytes, more than the limit of 2147483648 bytes",
        ),
        ("(4294967296, 4294967296)", "is too large"),
    ] {
        let message = npy_from_bytes(&npy_with_header(&format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
        )))
        .unwrap_err()
        .to_string();
        assert!(message.contains(problem), "{message}");
    }
}

/// A version 1.0 stream with the given header text and 16 data bytes.
fn npy_with_header(header: &str) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0; 16]);
    bytes
}

#[test]
fn truncated_data_message_names_file_and_counts() {
    let dir = scratch("truncated");
    let good = npy_to_bytes(&NpyArray::from(arr(&[12], &[1i32; 12])));
    let path = dir.join("x.npy");
    std::fs::write(&path, &good[..good.len() - 16]).unwrap();
    let message = read_npy(&path).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}: data is truncated: header says 12 elements, found 8",
            path.display()
        )
    );

    // The same inside an archive: the message names the entry.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("w.npy", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, &good[..good.len() - 16]).unwrap();
    let npz = dir.join("p.npz");
    std::fs::write(&npz, zip.finish().unwrap().into_inner()).unwrap();
    let message = read_npz(&npz).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}: entry 'w.npy': data is truncated: header says 12 elements, found 8",
            npz.display()
        )
    );
}

#[test]
fn truncated_npz_is_an_error() {
    let a = NpyArray::from(arr(&[4], &[1.0f32, 2.0, 3.0, 4.0]));
    let bytes = npz_to_bytes(&[("a".into(), a.clone()), ("b".into(), a)]).unwrap();
    for len in 0..bytes.len() {
        assert!(
            npz_from_bytes(&bytes[..len]).is_err(),
            "prefix of {len} bytes"
        );
    }
}

#[test]
fn unsupported_dtype_message() {
    let mut bytes = npy_to_bytes(&NpyArray::from(arr(&[2], &[1.0f64, 2.0])));
    let pos = bytes.windows(3).position(|w| w == b"<f8").unwrap();
    bytes[pos..pos + 3].copy_from_slice(b"<c8");
    let message = npy_from_bytes(&bytes).unwrap_err().to_string();
    assert!(message.contains("unsupported dtype '<c8'"), "{message}");
}

#[test]
fn missing_file_error_names_the_path() {
    let err = read_npy("/nonexistent/dir/x.npy").unwrap_err();
    assert!(matches!(err, IoError::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/dir/x.npy: "),
        "{err}"
    );
}

#[test]
fn write_atomic_replaces_and_leaves_no_temporaries() {
    let dir = scratch("atomic");
    let path = dir.join("out.json");
    write_atomic(&path, b"first").unwrap();
    write_atomic(&path, b"second, longer").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
    let names: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.json"]);
}

#[test]
fn write_atomic_failure_keeps_the_old_file() {
    let dir = scratch("atomic-fail");
    let path = dir.join("keep.npy");
    write_atomic(&path, b"precious").unwrap();
    // Renaming a file over a non-empty directory fails: the write must leave no trace.
    let blocker = dir.join("blocker");
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("inside"), b"x").unwrap();
    let err = write_atomic(&blocker, b"new").unwrap_err();
    assert!(err.to_string().contains("blocker"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    let mut names: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["blocker", "keep.npy"]);
    assert!(write_atomic(dir.join("no/such/dir/x"), b"x").is_err());
}

#[cfg(unix)]
#[test]
fn write_atomic_keeps_permissions_and_symlinks() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = scratch("atomic-unix");
    let real = dir.join("real.bin");
    write_atomic(&real, b"old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("link.bin");
    symlink(&real, &link).unwrap();
    write_atomic(&link, b"new").unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&real).unwrap(), b"new");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
