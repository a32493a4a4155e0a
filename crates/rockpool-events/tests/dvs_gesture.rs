//! DVS Gesture reader on `.npy` folders in Tonic's preprocessed layout, written here.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use rockpool_events::{DvsGestureDataset, EventDataset, SensorSize};
use rockpool_io::{NpyArray, write_npy};

/// Rows `[x, y, p, t_ms]` as an `[N, 4]` array of `T`.
fn rows<T: Copy>(rows: &[[T; 4]]) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(&[rows.len(), 4]), rows.concat()).unwrap()
}

fn put(root: &Path, rel: &str, a: NpyArray) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_npy(path, &a).unwrap();
}

#[test]
fn every_dtype_layout_labels_and_units() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(
        root,
        "user02_led/10.npy",
        NpyArray::from(rows::<f32>(&[
            [127.0, 0.0, 1.0, 0.5],
            [3.0, 127.0, 0.0, 2.0],
        ])),
    );
    put(
        root,
        "user01_fluorescent/0.npy",
        NpyArray::from(rows::<f64>(&[[1.0, 2.0, 0.0, 0.0], [4.0, 5.0, 1.0, 1.25]])),
    );
    put(
        root,
        "user01_fluorescent/3.npy",
        NpyArray::from(rows::<i32>(&[[9, 8, 1, 7], [9, 8, 0, 7], [0, 0, 0, 1000]])),
    );
    put(
        root,
        "user01_fluorescent/5.npy",
        NpyArray::from(rows::<u8>(&[])),
    );
    std::fs::write(root.join("README.txt"), "x").unwrap();
    let d = DvsGestureDataset::open(root).unwrap();
    assert_eq!(
        (d.len(), d.num_classes(), d.sensor()),
        (4, 11, SensorSize::DVS_GESTURE)
    );
    let labels: Vec<usize> = (0..4).map(|i| d.label(i).unwrap()).collect();
    assert_eq!(labels, vec![0, 3, 5, 10]);
    assert_eq!(d.recording(3).unwrap(), "user02_led");

    let (ev, l) = d.get(0).unwrap();
    assert_eq!(l, 0);
    assert_eq!(
        (ev.x, ev.y, ev.p, ev.t),
        (vec![1, 4], vec![2, 5], vec![0, 1], vec![0.0, 0.00125])
    );
    let (ev, _) = d.get(1).unwrap();
    assert_eq!(
        (ev.x, ev.p, ev.t),
        (vec![9, 9, 0], vec![1, 0, 0], vec![0.007, 0.007, 1.0])
    );
    assert!(d.get(2).unwrap().0.is_empty());
    let (ev, _) = d.get(3).unwrap();
    assert_eq!(
        (ev.x, ev.y, ev.t),
        (vec![127, 3], vec![0, 127], vec![0.0005, 0.002])
    );
}

#[test]
fn bad_arrays_name_file_sample_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(
        root,
        "u/0.npy",
        NpyArray::from(rows::<f32>(&[[128.0, 0.0, 0.0, 0.0]])),
    );
    put(
        root,
        "u/1.npy",
        NpyArray::from(rows::<f32>(&[[1.5, 0.0, 0.0, 0.0]])),
    );
    put(
        root,
        "u/2.npy",
        NpyArray::from(rows::<f64>(&[[1.0, 0.0, 2.0, 0.0]])),
    );
    put(
        root,
        "u/3.npy",
        NpyArray::from(rows::<f64>(&[[1.0, 0.0, 0.0, 5.0], [1.0, 0.0, 0.0, 4.0]])),
    );
    put(
        root,
        "u/4.npy",
        NpyArray::from(ArrayD::<f32>::zeros(IxDyn(&[2, 3]))),
    );
    put(
        root,
        "u/5.npy",
        NpyArray::from(rows::<f64>(&[[1.0, 0.0, 0.0, f64::NAN]])),
    );
    let d = DvsGestureDataset::open(root).unwrap();
    let cases = [
        (0, "`x`", "128"),
        (1, "`x`", "1.5"),
        (2, "`p`", "value 2"),
        (3, "`t`", "not sorted"),
        (4, "`array`", "[2, 3]"),
        (5, "`t`", "NaN"),
    ];
    for (i, field, what) in cases {
        let m = d.get(i).unwrap_err().to_string();
        assert!(
            m.contains(&format!("u/{i}.npy"))
                && m.contains(&format!("sample {i}"))
                && m.contains(field)
                && m.contains(what),
            "{m}"
        );
    }
}

#[test]
fn hostile_npy_headers_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A header declaring 10^12 rows on a tiny file: refused before any allocation.
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 4), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 64 - (10 + header.len() + 1) % 64;
    let h = format!("{header}{}\n", " ".repeat(pad));
    bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
    bytes.extend_from_slice(h.as_bytes());
    bytes.extend_from_slice(&[0u8; 64]);
    std::fs::create_dir_all(root.join("u")).unwrap();
    std::fs::write(root.join("u/0.npy"), &bytes).unwrap();
    // Truncated: a valid header, half the data.
    let mut good = Vec::new();
    let a = NpyArray::from(rows::<f64>(&[[1.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 1.0]]));
    good.extend_from_slice(&rockpool_io::npy_to_bytes(&a));
    good.truncate(good.len() - 20);
    std::fs::write(root.join("u/1.npy"), &good).unwrap();
    let d = DvsGestureDataset::open(root).unwrap();
    for i in 0..2 {
        let m = d.get(i).unwrap_err().to_string();
        assert!(
            m.contains(&format!("u/{i}.npy, sample {i}, field `array`")),
            "{m}"
        );
    }
    std::fs::write(root.join("u/11.npy"), &good).unwrap();
    let m = DvsGestureDataset::open(root).unwrap_err().to_string();
    assert!(m.contains("11.npy") && m.contains("0..11"), "{m}");
}
