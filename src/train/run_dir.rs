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
}

/// The files of one run's output folder.
pub(crate) struct RunDir {
    out: PathBuf,
    checkpoint: PathBuf,
    optimizer: PathBuf,
    state: PathBuf,
}

impl RunDir {
    /// The run folder `out`, created if missing.
    pub(crate) fn create(out: &Path) -> Result<Self> {
        std::fs::create_dir_all(out).map_err(|source| Error::File {
            path: out.to_path_buf(),
            source,
        })?;
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
