//! Crash-safe resume, tested by killing real training processes: `rockpool train` runs with
//! `ROCKPOOL_FAULT_AT=k`, which makes the process exit (as if killed) at the `k`-th step of
//! writing its run folder (every file written, every rename), for every `k` until a run gets
//! through; after each kill, `--resume` must finish with exactly the metrics and parameters of
//! an uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rockpool-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small frozen-noise job: 3 epochs of 3 batches, a cosine schedule (its position is part
/// of the checkpoint), membrane noise in the hidden layer (the random stream must resume where
/// it was), epochs that are not the best (the best model is carried over).
fn config(dir: &Path) -> PathBuf {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/frozen_noise.toml"),
    )
    .unwrap();
    let text = base
        .replace("train_samples = 800", "train_samples = 80")
        .replace("valid_samples = 200", "valid_samples = 40")
        .replace("epochs = 15", "epochs = 3")
        .replace("early_stopping_patience = 5", "early_stopping_patience = 0")
        .replacen("n = 64\n", "n = 64\nnoise_std = 0.05\n", 1);
    assert!(text.contains("noise_std"), "the hidden layer is noisy");
    let path = dir.join("job.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn train(cfg: &Path, out: &Path, fault_at: Option<usize>, resume: bool) -> i32 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rockpool"));
    cmd.arg("train").arg(cfg).arg("--out").arg(out);
    if resume {
        cmd.arg("--resume");
    }
    cmd.env_remove("ROCKPOOL_FAULT_AT");
    if let Some(k) = fault_at {
        cmd.env("ROCKPOOL_FAULT_AT", k.to_string());
    }
    let output = cmd.output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 86,
        "exit {code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    code
}

/// `metrics.csv` without the timing columns (seconds, samples/s), which differ run to run.
fn metrics(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("metrics.csv"))
        .unwrap()
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            [&cols[..6], &cols[8..]].concat().join(",")
        })
        .collect()
}

#[test]
fn killed_at_any_write_and_resumed_the_run_ends_as_if_uninterrupted() {
    let dir = tmp("kill");
    let cfg = config(&dir);
    let reference = dir.join("reference");
    assert_eq!(train(&cfg, &reference, None, false), 0);
    let (want_metrics, want_params) = (
        metrics(&reference),
        std::fs::read(reference.join("params.npz")).unwrap(),
    );
    assert_eq!(want_metrics.len(), 4, "{want_metrics:?}");
    let mut killed = 0;
    for k in 1.. {
        let out = dir.join(format!("k{k}"));
        if train(&cfg, &out, Some(k), false) == 0 {
            // Step k is past the last one: the run went through.
            assert!(k > 10, "a run has more than {k} write steps");
            break;
        }
        killed += 1;
        // A kill before the first commit leaves no run to resume: start again.
        let resume = out.join("checkpoints/LATEST").exists();
        assert_eq!(train(&cfg, &out, None, resume), 0);
        assert_eq!(metrics(&out), want_metrics, "killed at step {k}");
        assert_eq!(
            std::fs::read(out.join("params.npz")).unwrap(),
            want_params,
            "params.npz after a kill at step {k}"
        );
        let names: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "one generation and LATEST after step {k}: {names:?}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temporary files after step {k}: {leftovers:?}"
        );
        std::fs::remove_dir_all(&out).ok();
    }
    assert!(killed >= 20, "{killed} kill points");
    std::fs::remove_dir_all(&dir).ok();
}
