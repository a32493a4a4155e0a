//! N-MNIST reader against records encoded byte by byte here.

use std::fs;
use std::path::Path;

use rockpool_events::nmnist::{NMNIST_OVERFLOW_US, decode_nmnist};
use rockpool_events::{EventDataset, Location, NmnistDataset, SensorSize, Split, TimeOrder};

/// One 5-byte record: x, y, polarity in bit 7 of byte 2, 23-bit timestamp (µs) big-endian in
/// the remaining bits.
fn record(x: u8, y: u8, p: u8, ts_us: u32) -> [u8; 5] {
    assert!(ts_us < 1 << 23 && p < 2);
    [
        x,
        y,
        (p << 7) | ((ts_us >> 16) as u8 & 0x7F),
        (ts_us >> 8) as u8,
        ts_us as u8,
    ]
}

/// A timestamp-overflow marker (y = 240; the other bytes are arbitrary).
fn overflow() -> [u8; 5] {
    [0, 240, 0x12, 0x34, 0x56]
}

fn file(records: &[[u8; 5]]) -> Vec<u8> {
    records.concat()
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn records_decode_with_overflow_markers() {
    let bytes = file(&[
        record(1, 2, 1, 100),
        record(33, 0, 0, 0x7F_FFFF),
        overflow(),
        record(0, 33, 1, 0x01_0203),
        overflow(),
        overflow(),
        record(5, 6, 0, 7),
    ]);
    let ev = decode_nmnist(&bytes, &Location::new("mem", "")).unwrap();
    assert_eq!(ev.x, vec![1, 33, 0, 5]);
    assert_eq!(ev.y, vec![2, 0, 33, 6]);
    assert_eq!(ev.p, vec![1, 0, 1, 0]);
    // 0x7F_FFFF = 8 388 607 µs; 0x01_0203 = 66 051 µs, + 8192 after one marker; 7 + 3 · 8192.
    assert_eq!(NMNIST_OVERFLOW_US, 8192);
    assert_eq!(ev.t, vec![100e-6, 8.388607, 0.074243, 0.024583]);
}

#[test]
fn folder_layout_labels_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Train/7/b.bin",
        &file(&[record(3, 4, 1, 10), record(5, 6, 0, 20)]),
    );
    write(
        root,
        "Train/7/a.bin",
        &file(&[record(1, 1, 0, 1000), overflow(), record(2, 2, 1, 5)]),
    );
    write(root, "Train/0/z.bin", &file(&[]));
    write(root, "Train/0/readme.txt", b"not a sample");
    write(root, "Test/1/a.bin", &file(&[record(0, 0, 0, 0)]));
    let d = NmnistDataset::open_split(root, Split::Train).unwrap();
    assert_eq!(d.len(), 3);
    assert_eq!(d.info().sensor, SensorSize::NMNIST);
    assert_eq!(d.num_classes(), 10);
    assert!(d.file(0).unwrap().ends_with("0/z.bin"));
    assert!(d.file(1).unwrap().ends_with("7/a.bin"));
    let labels: Vec<usize> = (0..3).map(|i| d.label(i).unwrap()).collect();
    assert_eq!(labels, vec![0, 7, 7]);
    let (ev, label) = d.get(1).unwrap();
    assert_eq!(label, 7);
    assert_eq!(ev.t, vec![0.001, 0.008197]);
    assert_eq!((ev.x, ev.y, ev.p), (vec![1, 2], vec![1, 2], vec![0, 1]));
    assert!(d.get(0).unwrap().0.is_empty());
    assert_eq!(
        NmnistDataset::open_split(root, Split::Test).unwrap().len(),
        1
    );
}

#[test]
fn bad_files_name_file_sample_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut truncated = file(&[record(1, 1, 0, 1)]);
    truncated.extend_from_slice(&[1, 2, 3]);
    write(root, "3/a_truncated.bin", &truncated);
    write(
        root,
        "3/b_x.bin",
        &file(&[record(1, 1, 0, 1), record(34, 1, 0, 2)]),
    );
    write(root, "3/c_y.bin", &file(&[record(1, 200, 0, 1)]));
    write(
        root,
        "3/d_unsorted.bin",
        &file(&[record(1, 1, 0, 50), record(2, 2, 0, 40)]),
    );
    let d = NmnistDataset::open(root).unwrap();
    let cases = [
        (
            0,
            "a_truncated.bin",
            "`records`",
            "8 bytes is not a whole number",
        ),
        (1, "b_x.bin", "`x`", "event 1: value 34"),
        (2, "c_y.bin", "`y`", "value 200"),
        (3, "d_unsorted.bin", "`t`", "event 1 at 0.00004 s"),
    ];
    for (i, name, field, what) in cases {
        let m = d.get(i).unwrap_err().to_string();
        assert!(
            m.contains(name)
                && m.contains(&format!("sample {i}"))
                && m.contains(field)
                && m.contains(what),
            "{m}"
        );
    }
    let sorted = NmnistDataset::open(root)
        .unwrap()
        .with_time_order(TimeOrder::Sort);
    assert_eq!(sorted.get(3).unwrap().0.x, vec![2, 1]);

    write(root, "x/a.bin", &file(&[]));
    let m = NmnistDataset::open(root).unwrap_err().to_string();
    assert!(m.contains("digit"), "{m}");
    let m = NmnistDataset::open(root.join("missing"))
        .unwrap_err()
        .to_string();
    assert!(m.contains("missing"), "{m}");
}
