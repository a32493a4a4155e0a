//! Corrupted files never panic: bytes of the SHD fixture and of N-MNIST/npz files are flipped
//! at seeded random positions, and every open and read must return (Ok or an error).

use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rockpool_events::{EventDataset, ShdDataset};

#[test]
fn flipped_bytes_in_hdf5_give_errors_not_panics() {
    let original = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shd_small.h5"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flipped.h5");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (mut opened, mut failed) = (0, 0);
    for round in 0..500 {
        let mut bytes = original.clone();
        for _ in 0..rng.random_range(1..=4) {
            let i = rng.random_range(0..bytes.len());
            bytes[i] = rng.random();
        }
        std::fs::write(&path, &bytes).unwrap();
        let outcome = std::panic::catch_unwind(|| match ShdDataset::open_shd(&path) {
            Ok(d) => (0..d.len()).all(|i| d.get(i).is_ok()),
            Err(e) => {
                assert!(e.to_string().contains("flipped.h5"), "{e}");
                false
            }
        });
        match outcome {
            Ok(true) => opened += 1,
            Ok(false) => failed += 1,
            Err(_) => panic!("round {round} panicked"),
        }
    }
    assert!(
        opened > 0 && failed > 0,
        "{opened} read fully, {failed} refused"
    );
}
