//! Training: BPTT with surrogate gradients on Burn's autodiff, from Rust or through a job file
//! ([`crate::job`], `rockpool train configs/x.toml`).
//!
//! [`train`] takes a network description, a training and a validation [`Dataset`] and the
//! [`TrainingOptions`]; it runs epochs over shuffled mini-batches with a progress bar,
//! evaluates on the validation set, keeps the best model, stops early when validation accuracy
//! stalls, and writes into the output folder: `checkpoint.bpk` and `optimizer.bpk` (every
//! epoch, atomically; `resume` continues from them), `train_state.json`, `params.npz` (best
//! model, Rockpool keys), `best.bpk`, `metrics.csv`, and `loss.png` / `accuracy.png`.
//!
//! Training knows nothing of deployment: Xylo-mode training, export and the simulated-chip
//! accuracy are composed around it by [`crate::job`].
//!
//! | file | what lives there |
//! | --- | --- |
//! | `options.rs` | [`DataConfig`] (`[data]`), [`TrainingOptions`] (`[training]`), [`Schedule`], [`OptimizerKind`], their checks |
//! | `trainer.rs` | the loop: [`train`], [`train_with`] (through a [`Forward`]), [`evaluate`], [`TrainReport`] |
//! | `run_dir.rs` | the run folder: per-epoch checkpoint set, best model, resume |
//! | `metrics.rs` | [`EpochMetrics`], `metrics.csv` and the curves |
//! | `regularisers.rs` | what the activity, L2 and bounds penalties act on |
//! | `loss.rs` | [`loss`]: losses, accuracy, the penalties |
//!
//! ```toml
//! [training]
//! epochs = 20
//! batch_size = 32
//! lr = 2e-3
//! schedule = "cosine"   # constant | cosine | step
//! optimizer = "adam"    # adam | adamw | sgd
//! ```
//!
//! [`Dataset`]: rockpool_tasks::Dataset

pub mod loss;
mod metrics;
mod options;
mod regularisers;
mod run_dir;
mod trainer;

pub use metrics::EpochMetrics;
pub use options::{DataConfig, OptimizerKind, Schedule, TrainingOptions};
pub use run_dir::{RUN_FILES, clear_run, remove_files};
pub use trainer::{Forward, TrainReport, evaluate, plain, train, train_with};
