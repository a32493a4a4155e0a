//! Training: BPTT with surrogate gradients on Burn's autodiff and Burn's training engine
//! (`burn-train`), from Rust or through a job file ([`crate::job`], `rockpool train
//! configs/x.toml`).
//!
//! [`train`] takes a network description, a training and a validation [`Dataset`] and the
//! [`TrainingOptions`]; it trains through Burn's `SupervisedTraining` (one device, or several
//! with [`train_with`]) with a progress display, evaluates on the validation set after every
//! epoch, keeps the best model, stops early when validation accuracy stalls, and keeps the
//! output folder as one generation per epoch (see [`run_dir`]): `checkpoints/` (what
//! `--resume` continues from), `params.npz` (best model, Rockpool keys), `best.bpk`,
//! `metrics.csv`, and `loss.png` / `accuracy.png`. A Rust user trains a network of their own
//! with their own loss through the same engine with a [`Trainee`] (see [`step`]).
//!
//! Training knows nothing of deployment: Xylo-mode training, export and the simulated-chip
//! accuracy are composed around it by [`crate::job`].
//!
//! | file | what lives there |
//! | --- | --- |
//! | `options.rs` | [`DataConfig`] (`[data]`), [`TrainingOptions`] (`[training]`), [`Schedule`], [`OptimizerKind`], their checks |
//! | `step.rs` | [`Trainee`], [`Objective`]: Burn's `TrainStep`/`InferenceStep` over our networks |
//! | `events.rs` | event datasets (SHD, SSC, N-MNIST, DVS Gesture, npz) as streamed, transformed, binned samples |
//! | `loader.rs` | [`EpochLoader`]: the datasets as Burn `DataLoader`s, resumable and shardable |
//! | `schedule.rs` | [`EpochSchedule`]: the schedules as a Burn `LrScheduler` |
//! | `meters.rs` | accuracy and firing-rate metrics, the in-memory metric logger |
//! | `render.rs` | Burn's dashboard or a plain progress bar |
//! | `trainer.rs` | [`train`], [`train_with`]: the engine assembled; [`evaluate`], [`TrainReport`] |
//! | `run_dir.rs` | the run folder: generations committed as a set, resume, best model |
//! | `checkpointer.rs` | the run folder as Burn's checkpointers, checkpointing and early-stopping strategies |
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

mod checkpointer;
pub mod events;
pub mod loader;
pub mod loss;
pub mod meters;
mod metrics;
mod options;
mod regularisers;
pub mod render;
pub mod run_dir;
pub mod schedule;
pub mod step;
mod trainer;

pub use loader::{
    EpochLoader, Minibatch, Sample, SampleBatcher, SampleSource, SampleTarget, TaskDataset,
};
pub use metrics::EpochMetrics;
pub use options::{DataConfig, OptimizerKind, Schedule, Splits, TrainingMismatch, TrainingOptions};
pub use run_dir::{RUN_FILES, clear_run, remove_files};
pub use schedule::EpochSchedule;
pub use step::{ForwardFn, LossFn, Objective, Trainee};
pub use trainer::{
    DeviceStrategy, Devices, Forward, TrainReport, evaluate, objective, plain, train,
    train_sources, train_with,
};
