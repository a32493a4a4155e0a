//! A run's output folder: what is written after every epoch so a run can resume
//! (`checkpoint.bpk`, `optimizer.bpk`, `train_state.json`, each written atomically), the best
//! model so far (`best.bpk`, and `params.npz` with Rockpool's keys), and the metrics
//! (`metrics.csv`, `loss.png`, `accuracy.png`).

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};

use super::metrics::{EpochMetrics, write_metrics};
use crate::error::{Error, Result};
use crate::nn::{Layer, Sequential};
use crate::persist::{load_checkpoint, save_checkpoint, save_parameters};
use burn::module::Module;

/// The state saved next to the checkpoints, to resume.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct TrainState {
    /// Epochs finished.
    pub(crate) epochs_done: usize,
    /// Best validation accuracy so far, fraction.
    pub(crate) best_valid_acc: f64,
    /// Epoch (1-based) of the best model; 0 before the first epoch.
    pub(crate) best_epoch: usize,
    /// Every finished epoch's metrics.
    pub(crate) history: Vec<EpochMetrics>,
    /// Epochs since the best one (the early-stopping patience counter), so that a resumed
    /// run stops where the uninterrupted one would (absent in older state files: 0).
    #[serde(default)]
    pub(crate) stale_epochs: usize,
}

/// The files a training run writes into its folder. A folder holding `train_state.json` or
/// `checkpoint.bpk` holds a run.
pub const RUN_FILES: [&str; 8] = [
    "checkpoint.bpk",
    "optimizer.bpk",
    "train_state.json",
    "best.bpk",
    "params.npz",
    "metrics.csv",
    "loss.png",
    "accuracy.png",
];

/// Removes the files of a previous run from `out` (those of [`RUN_FILES`] that exist), so that
/// a new run starts afresh there (`rockpool train --overwrite`). Other files are left alone.
pub fn clear_run(out: &Path) -> Result<()> {
    remove_files(out, &RUN_FILES)
}

/// Removes the files `names` from folder `out`, those that exist.
pub fn remove_files(out: &Path, names: &[&str]) -> Result<()> {
    for name in names {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::File { path, source }),
        }
    }
    Ok(())
}

/// Removes temporary files that an interrupted atomic write of a run file left behind
/// (`.<name>.<pid>.<n>.tmp`, see [`rockpool_io::write_atomic`]) when their writer is gone.
fn remove_stale_temporaries(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        let Some(file) = RUN_FILES
            .iter()
            .find(|f| inner.starts_with(&format!("{f}.")))
        else {
            continue;
        };
        let pid = inner[file.len() + 1..].split('.').next().unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The files of one run's output folder.
pub(crate) struct RunDir {
    out: PathBuf,
    checkpoint: PathBuf,
    optimizer: PathBuf,
    state: PathBuf,
}

impl RunDir {
    /// The run folder `out`, created if missing; temporary files of an interrupted earlier
    /// run are removed. Unless `resume`, a folder that already holds a run is refused, so that
    /// a second run never silently replaces the first one's results.
    pub(crate) fn create(out: &Path, resume: bool) -> Result<Self> {
        std::fs::create_dir_all(out).map_err(|source| Error::File {
            path: out.to_path_buf(),
            source,
        })?;
        remove_stale_temporaries(out);
        if !resume
            && let Some(found) = ["train_state.json", "checkpoint.bpk"]
                .into_iter()
                .find(|f| out.join(f).exists())
        {
            return Err(Error::value(
                "--out",
                format!(
                    "{} already holds a training run ({found}); pass --resume to continue it, \
                     --overwrite to replace it, or choose another folder (nothing was changed)",
                    out.display()
                ),
            ));
        }
        Ok(Self {
            out: out.to_path_buf(),
            checkpoint: out.join("checkpoint.bpk"),
            optimizer: out.join("optimizer.bpk"),
            state: out.join("train_state.json"),
        })
    }

    /// Loads the last epoch's network weights, optimiser state and run state, to continue
    /// the run. Errors when the folder holds no checkpoint.
    pub(crate) fn resume(
        &self,
        net: Sequential<Layer>,
        optim: ModuleOptimizer,
    ) -> Result<(Sequential<Layer>, ModuleOptimizer, TrainState)> {
        if !self.checkpoint.exists() {
            return Err(Error::value(
                "--resume",
                format!("no checkpoint at {}", self.checkpoint.display()),
            ));
        }
        let net = load_checkpoint(net, &self.checkpoint)?;
        let bytes = crate::error::read_bytes(&self.optimizer)?;
        let optim = optim
            .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(|e| Error::value(self.optimizer.display().to_string(), format!("{e:?}")))?;
        let text = crate::error::read_text(&self.state)?;
        let state = serde_json::from_str(&text)
            .map_err(|e| Error::value(self.state.display().to_string(), e.to_string()))?;
        Ok((net, optim, state))
    }

    /// Saves `net` as the best model: `best.bpk` (Burn checkpoint) and `params.npz`
    /// (Rockpool's keys, loadable into the configured network).
    pub(crate) fn save_best(&self, net: &Sequential<Layer>) -> Result<()> {
        save_checkpoint(net, self.out.join("best.bpk"))?;
        save_parameters(&net.valid(), self.out.join("params.npz"))
    }

    /// Saves everything needed to resume after this epoch, and the metrics so far.
    pub(crate) fn save_epoch(
        &self,
        net: &Sequential<Layer>,
        optim: &ModuleOptimizer,
        state: &TrainState,
    ) -> Result<()> {
        save_checkpoint(net, &self.checkpoint)?;
        let bytes = optim
            .into_bytes()
            .map_err(|e| Error::Backend(format!("cannot serialise the optimiser: {e:?}")))?;
        rockpool_io::write_atomic(&self.optimizer, &bytes)?;
        let json = serde_json::to_string_pretty(state).expect("serialisable");
        rockpool_io::write_atomic(&self.state, json.as_bytes())?;
        write_metrics(&self.out, &state.history)
    }
}
