//! SHD/SSC reader on the fixtures written by `scripts/make_fixtures.py` (h5py), whose values
//! are repeated here.

use std::path::PathBuf;

use rockpool_events::{EventDataset, EventError, SensorSize, ShdDataset, TimeOrder};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The script's samples; 0.1 is stored as float16 0x2E66 = 2^-4 · (1 + 614/1024).
fn expected_times(f16: bool) -> Vec<Vec<f64>> {
    let tenth = if f16 { 0.0999755859375 } else { 0.1 };
    vec![
        vec![0.0, 0.001953125, 0.25, 0.5],
        vec![0.0625, tenth, 0.125],
        vec![],
        vec![0.75, 0.75, 1.0, 1.25, 1.5],
    ]
}

fn expected_units() -> Vec<Vec<u16>> {
    vec![
        vec![0, 699, 3, 3],
        vec![10, 20, 30],
        vec![],
        vec![1, 2, 3, 4, 5],
    ]
}

#[test]
fn shd_float16_uint16_as_published() {
    let d = ShdDataset::open_shd(fixture("shd_small.h5")).unwrap();
    assert_eq!(
        d.element_types(),
        ("float16".to_string(), "uint16".to_string())
    );
    let info = d.info();
    assert_eq!(
        (info.samples, info.classes, info.total_events),
        (4, 20, Some(12))
    );
    assert_eq!(
        info.sensor,
        SensorSize {
            width: 700,
            height: 1,
            polarities: 1
        }
    );
    let labels = [3, 19, 0, 7];
    for (i, &want) in labels.iter().enumerate() {
        let (ev, label) = d.get(i).unwrap();
        assert_eq!(label, want);
        assert_eq!(d.label(i).unwrap(), want);
        assert_eq!(ev.t, expected_times(true)[i], "sample {i}");
        assert_eq!(ev.x, expected_units()[i], "sample {i}");
        assert!(ev.y.iter().all(|&y| y == 0) && ev.p.iter().all(|&p| p == 0));
    }
    // Random access in any order gives the same samples (the heap cache is not an order).
    let (a, _) = d.get(3).unwrap();
    let (b, _) = d.get(0).unwrap();
    assert_eq!(a.x, expected_units()[3]);
    assert_eq!(b.x, expected_units()[0]);
    assert!(matches!(
        d.get(4),
        Err(EventError::Index { index: 4, len: 4 })
    ));
}

#[test]
fn ssc_has_35_classes() {
    let d = ShdDataset::open_ssc(fixture("ssc_small.h5")).unwrap();
    assert_eq!((d.len(), d.num_classes(), d.name()), (4, 35, "ssc"));
    assert_eq!(d.get(0).unwrap().1, 34);
    assert_eq!(d.get(3).unwrap().0.t, expected_times(true)[3]);
    // The SSC labels (up to 34) do not fit SHD's 20 classes.
    let as_shd = ShdDataset::open_shd(fixture("ssc_small.h5")).unwrap();
    let err = as_shd.get(0).unwrap_err().to_string();
    assert!(
        err.contains("ssc_small.h5") && err.contains("sample 0") && err.contains("labels"),
        "{err}"
    );
}

#[test]
fn other_dtypes_and_chunked_compressed_references() {
    for (file, types) in [
        ("shd_dtypes.h5", ("float64", "int16")),
        ("shd_f32_u32.h5", ("float32", "uint32")),
    ] {
        let d = ShdDataset::open_shd(fixture(file)).unwrap();
        assert_eq!(
            d.element_types(),
            (types.0.to_string(), types.1.to_string())
        );
        for i in 0..4 {
            let (ev, _) = d.get(i).unwrap();
            let want: Vec<f64> = if types.0 == "float32" {
                expected_times(false)[i]
                    .iter()
                    .map(|&t| t as f32 as f64)
                    .collect()
            } else {
                expected_times(false)[i].clone()
            };
            assert_eq!(ev.t, want, "{file} sample {i}");
            assert_eq!(ev.x, expected_units()[i], "{file} sample {i}");
        }
        assert_eq!(d.get(1).unwrap().1, 19);
    }
}

#[test]
fn bad_samples_name_file_sample_and_field() {
    let d = ShdDataset::open_shd(fixture("shd_bad.h5")).unwrap();
    assert_eq!(d.get(0).unwrap().0.x, vec![1, 2]);
    let msg = |i: usize| d.get(i).unwrap_err().to_string();
    let cases = [
        (1, "spikes/times", "not sorted"),
        (2, "spikes/units", "700"),
        (3, "spikes/units", "1 units, but spikes/times has 2"),
        (4, "labels", "0..20"),
        (5, "spikes/times", "-0.5"),
    ];
    for (i, field, what) in cases {
        let m = msg(i);
        assert!(
            m.contains("shd_bad.h5")
                && m.contains(&format!("sample {i}"))
                && m.contains(field)
                && m.contains(what),
            "sample {i}: {m}"
        );
    }
    // Sorting instead of refusing.
    let sorted = ShdDataset::open_shd(fixture("shd_bad.h5"))
        .unwrap()
        .with_time_order(TimeOrder::Sort);
    let (ev, _) = sorted.get(1).unwrap();
    assert_eq!((ev.t, ev.x), (vec![0.25, 0.5], vec![2, 1]));
}

#[test]
fn reader_agrees_with_rust_hdf5_whole_dataset_read() {
    // rust-hdf5's own vlen reader decodes all samples at once; our per-sample heap reads must
    // give the same bytes.
    let path = fixture("shd_small.h5");
    let h5 = rust_hdf5::H5File::open(&path).unwrap();
    let all_units = h5
        .dataset("spikes/units")
        .unwrap()
        .read_vlen_bytes()
        .unwrap();
    let d = ShdDataset::open_shd(&path).unwrap();
    for (i, bytes) in all_units.iter().enumerate() {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(d.get(i).unwrap().0.x, units);
    }
}

fn temp_copy_with(edit: impl FnOnce(&mut Vec<u8>)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.h5");
    let mut bytes = std::fs::read(fixture("shd_small.h5")).unwrap();
    edit(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn truncated_and_garbage_files_are_errors() {
    for cut in [0usize, 10, 100, 1000, 4000, 8000, 11000] {
        let (_d, path) = temp_copy_with(|b| b.truncate(cut));
        let result = ShdDataset::open_shd(&path).and_then(|d| {
            (0..d.len())
                .map(|i| d.get(i).map(|_| ()))
                .collect::<Result<Vec<_>, _>>()
        });
        let err = result.expect_err(&format!("cut at {cut}")).to_string();
        assert!(err.contains("edited.h5"), "cut at {cut}: {err}");
    }
}

/// Finds the global heap collections ("GCOL") of the fixture and corrupts their declared
/// sizes and object lengths: every read must fail with an error, never allocate the declared
/// size, never panic.
#[test]
fn hostile_heap_sizes() {
    let bytes = std::fs::read(fixture("shd_small.h5")).unwrap();
    let gcols: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w == b"GCOL")
        .map(|(i, _)| i)
        .collect();
    assert!(!gcols.is_empty());
    for &g in &gcols {
        // Collection size (8 bytes at +8) → 2^60, and u64::MAX (address + size overflows).
        for size in [1u64 << 60, u64::MAX] {
            let (_d, path) =
                temp_copy_with(|b| b[g + 8..g + 16].copy_from_slice(&size.to_le_bytes()));
            let d = ShdDataset::open_shd(&path).unwrap();
            let errs: Vec<String> = (0..4)
                .filter_map(|i| d.get(i).err())
                .map(|e| e.to_string())
                .collect();
            assert!(!errs.is_empty());
            for e in &errs {
                assert!(
                    e.contains("edited.h5") && e.contains("sample") && e.contains("spikes/"),
                    "{e}"
                );
                assert!(e.contains("past the end of the file"), "{e}");
            }
        }
        // First object's size (8 bytes at +16+8) → 2^40.
        let (_d, path) =
            temp_copy_with(|b| b[g + 24..g + 32].copy_from_slice(&(1u64 << 40).to_le_bytes()));
        let d = ShdDataset::open_shd(&path).unwrap();
        let errs: Vec<String> = (0..4)
            .filter_map(|i| d.get(i).err())
            .map(|e| e.to_string())
            .collect();
        assert!(!errs.is_empty());
        for e in &errs {
            assert!(e.contains("edited.h5") && e.contains("spikes/"), "{e}");
        }
    }
}

/// The 16-byte vlen reference (length, heap collection address, object index) of sample 0's
/// times, located in the file by its value, with its length replaced.
fn with_reference_length(len: u32) -> (tempfile::TempDir, PathBuf) {
    temp_copy_with(|b| {
        let gcol = b.windows(4).position(|w| w == b"GCOL").unwrap() as u64;
        let mut pattern = 4u32.to_le_bytes().to_vec(); // sample 0 has 4 times
        pattern.extend_from_slice(&gcol.to_le_bytes());
        let at = b
            .windows(12)
            .position(|w| w == pattern.as_slice())
            .expect("sample 0's reference");
        b[at..at + 4].copy_from_slice(&len.to_le_bytes());
    })
}

#[test]
fn hostile_reference_lengths() {
    // 2^31 − 1 float16 values: 4 GiB, over the default 2 GiB limit, refused unallocated.
    let (_d, path) = with_reference_length(u32::MAX >> 1);
    let d = ShdDataset::open_shd(&path).unwrap();
    // Opening reads no sample; the declared length shows in the event count.
    assert_eq!(d.total_events(), Some(12 - 4 + (u32::MAX >> 1) as u64));
    match d.get(0).unwrap_err() {
        EventError::TooLarge { at, bytes, .. } => {
            assert_eq!((at.sample, at.field.as_str()), (Some(0), "spikes/times"));
            assert_eq!(bytes, 2 * (u32::MAX >> 1) as u64);
        }
        e => panic!("{e}"),
    }
    // More elements than the heap object holds.
    let (_d, path) = with_reference_length(1000);
    let m = ShdDataset::open_shd(&path)
        .unwrap()
        .get(0)
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("sample 0, field `spikes/times`") && m.contains("declares 1000 elements"),
        "{m}"
    );
}

#[test]
fn shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ShdDataset>();
    send_sync::<rockpool_events::NmnistDataset>();
    send_sync::<rockpool_events::DvsGestureDataset>();
    send_sync::<rockpool_events::NpzEventDataset>();
    let d: std::sync::Arc<dyn EventDataset> =
        std::sync::Arc::new(ShdDataset::open_shd(fixture("shd_small.h5")).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let d = d.clone();
            std::thread::spawn(move || {
                (0..40)
                    .map(|j| d.get((j + k) % 4).unwrap().0.x.len())
                    .sum::<usize>()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 10 * 12);
    }
}
