//! Size limits, in a test binary of their own because the limit is a process-wide environment
//! variable (`ROCKPOOL_MAX_ARRAY_BYTES`).

use std::path::PathBuf;

use rockpool_events::{
    EventDataset, EventError, EventStream, NmnistDataset, SensorSize, ShdDataset, ToFrame,
};

#[test]
fn declared_sizes_over_the_limit_are_refused_before_allocation() {
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var(rockpool_io::MAX_ARRAY_BYTES_VAR, "1000") };

    // SHD: the metadata fits, the 4 KiB heap collection of a sample does not.
    let shd = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shd_small.h5");
    let d = ShdDataset::open_shd(&shd).unwrap();
    match d.get(0).unwrap_err() {
        EventError::TooLarge { at, bytes, limit } => {
            assert_eq!(
                (at.sample, at.field.as_str(), limit),
                (Some(0), "spikes/times", 1000)
            );
            assert!(bytes >= 4096, "{bytes}");
        }
        e => panic!("{e}"),
    }

    // N-MNIST: a 1005-byte file (201 records) is over a 1000-byte limit.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("4")).unwrap();
    std::fs::write(dir.path().join("4/a.bin"), vec![0u8; 1005]).unwrap();
    let m = NmnistDataset::open(dir.path())
        .unwrap()
        .get(0)
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("a.bin, sample 0, field `records`: declares 1005 bytes"),
        "{m}"
    );

    // Rasters: 2 bins × 700 channels × 4 bytes = 5600 bytes.
    let ev = EventStream::from_channels(vec![0.0, 0.0015], vec![0, 1]).unwrap();
    let m = ToFrame::new(1e-3)
        .unwrap()
        .apply(&ev, SensorSize::SHD)
        .unwrap_err()
        .to_string();
    assert!(m.contains("5600 bytes"), "{m}");
}
