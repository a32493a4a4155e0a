//! Training on event datasets in their real on-disk formats: `configs/shd.toml` on small
//! synthetic SHD files (HDF5, vlen float16 times and uint16 units; made by
//! `tests/fixtures/events/make_synthetic_shd.py`) and `configs/nmnist.toml` (a spiking CNN) on
//! synthetic N-MNIST `.bin` files written here byte by byte; both must beat chance. Also: the
//! loader is reproducible from its seed and pads samples to a common length; `rockpool data`
//! prints what the files hold.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use common::device;
use rockpool::job::{self, JobConfig};
use rockpool::train::{EpochLoader, Splits};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rockpool-events-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn shd_config(epochs: usize) -> JobConfig {
    let mut cfg = JobConfig::load(root().join("configs/shd.toml")).unwrap();
    let fixtures = root().join("tests/fixtures/events");
    cfg.data.path = Some(fixtures.join("shd_like_train.h5"));
    cfg.data.valid_path = Some(fixtures.join("shd_like_test.h5"));
    cfg.training.epochs = epochs;
    cfg
}

/// The recurrent LIF network of `configs/shd.toml` learns the 20 synthetic classes (chance
/// 5 %; measured: 71.7 % after 10 epochs).
#[test]
fn the_shd_config_learns_synthetic_shd_files() {
    let out = tmp("shd");
    let report = job::run(&shd_config(10), &out.join("run"), &device(), false)
        .unwrap()
        .training;
    assert!(
        report.best_valid_acc >= 0.4,
        "validation accuracy {}",
        report.best_valid_acc
    );
    assert!(out.join("run/params.npz").exists());
    std::fs::remove_dir_all(&out).ok();
}

/// An N-MNIST `.bin` record: x, y, polarity (bit 7 of byte 2) and a 23-bit µs timestamp.
fn record(x: u8, y: u8, p: u8, t_us: u32) -> [u8; 5] {
    [
        x,
        y,
        (p << 7) | ((t_us >> 16) & 0x7F) as u8,
        (t_us >> 8) as u8,
        t_us as u8,
    ]
}

/// Writes `Train/` and `Test/` folders of synthetic N-MNIST files: digit `d` flickers in its
/// own 8×8 cell of a 4×3 grid over the 34×34 sensor for 300 ms (plus scattered noise).
fn synthetic_nmnist(dir: &Path, per_digit: [usize; 2]) {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: u32| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % u64::from(n)) as u32
    };
    for (split, count) in ["Train", "Test"].into_iter().zip(per_digit) {
        for d in 0..10u32 {
            let folder = dir.join(split).join(d.to_string());
            std::fs::create_dir_all(&folder).unwrap();
            let (cy, cx) = ((d / 4) * 11 + 1, (d % 4) * 8 + 1);
            for k in 0..count {
                let mut bytes = Vec::new();
                let mut t = 0;
                for _ in 0..150 {
                    t += next(2000);
                    let noise = next(10) == 0;
                    let (x, y) = if noise {
                        (next(34), next(34))
                    } else {
                        (cx + next(8), cy + next(8))
                    };
                    bytes.extend(record(x as u8, y as u8, next(2) as u8, t));
                }
                std::fs::write(folder.join(format!("{k:05}.bin")), bytes).unwrap();
            }
        }
    }
}

/// The spiking CNN of `configs/nmnist.toml` learns the synthetic digits (chance 10 %; measured:
/// 100 % from the second epoch).
#[test]
fn the_nmnist_config_learns_synthetic_nmnist_files() {
    let dir = tmp("nmnist");
    synthetic_nmnist(&dir, [12, 4]);
    let mut cfg = JobConfig::load(root().join("configs/nmnist.toml")).unwrap();
    cfg.data.path = Some(dir.join("Train"));
    cfg.data.valid_path = Some(dir.join("Test"));
    cfg.training.epochs = 8;
    cfg.training.batch_size = 16;
    let report = job::run(&cfg, &dir.join("run"), &device(), false)
        .unwrap()
        .training;
    eprintln!("synthetic N-MNIST: {:.3}", report.best_valid_acc);
    assert!(
        report.best_valid_acc >= 0.4,
        "validation accuracy {}",
        report.best_valid_acc
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The loader draws the same augmented batches from the same seed and epoch, pads every
/// sample to `num_steps` and gives the expected shapes.
#[test]
fn the_event_loader_is_reproducible_and_pads_to_a_common_length() {
    let cfg = shd_config(1);
    let Splits::Streamed(train, valid) = cfg.data.splits(None).unwrap() else {
        panic!("event data are streamed")
    };
    assert_eq!(
        (train.size_in, train.num_classes, train.len(), valid.len()),
        (140, Some(20), 160, 60)
    );
    let batches = |seed| {
        let l = EpochLoader::from_source(&train, 32, Some(seed), &device()).unwrap();
        let l: Arc<dyn DataLoader<_>> = Arc::new(l);
        l.iter()
            .map(|m| {
                let m = m.unwrap();
                (
                    m.batch.indices.clone(),
                    m.batch.x.to_data().try_to_vec::<f32>().unwrap(),
                    m.batch.x.dims(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (batches(5), batches(5), batches(6));
    assert_eq!(a, b, "same seed, same batches");
    assert_ne!(a, c, "another seed, another order");
    assert_eq!(a.len(), 5);
    assert!(
        a.iter()
            .all(|(_, _, dims)| dims[1] == 100 && dims[2] == 140),
        "{:?}",
        a[0].2
    );
}

/// `rockpool data info` and `raster` on the synthetic SHD file.
#[test]
fn data_info_and_raster_describe_the_file() {
    let file = root().join("tests/fixtures/events/shd_like_test.h5");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rockpool"))
        .args(["data", "info"])
        .arg(&file)
        .args(["--format", "shd"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in ["samples 60", "classes 20", "sensor 700 x 1 x 1"] {
        assert!(text.contains(want), "{text}");
    }
    let dir = tmp("raster");
    let npy = dir.join("x.npy");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rockpool"))
        .args(["data", "raster"])
        .arg(&file)
        .args(["--format", "shd", "--index", "2", "--dt", "0.01", "--out"])
        .arg(&npy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = rockpool_io::read_npy(&npy).unwrap();
    assert_eq!(a.shape()[1], 700);
    assert!(a.shape()[0] <= 41, "0.4 s at 10 ms: {:?}", a.shape());
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_rockpool"))
        .args(["data", "raster"])
        .arg(&file)
        .args(["--format", "shd", "--index", "60", "--out"])
        .arg(&npy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("--index") && err.contains("60 samples"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
