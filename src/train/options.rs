//! What a training run is told: where its data come from ([`DataConfig`], the `[data]` table)
//! and how it optimises ([`TrainingOptions`], the `[training]` table: epochs, batch size,
//! learning-rate [`Schedule`], [`OptimizerKind`], loss, regularisers, early stopping), with
//! their defaults and checks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, SgdConfig};
use serde::{Deserialize, Serialize};

use super::loss::Loss;
use crate::error::{Error, Result};
use rockpool_tasks::{Dataset, TaskConfig};

/// Where the data come from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Samples generated for training (built-in tasks).
    #[serde(default = "default_train")]
    pub train_samples: usize,
    /// Samples generated for validation (built-in tasks).
    #[serde(default = "default_valid")]
    pub valid_samples: usize,
    /// Seed of the generated data.
    #[serde(default)]
    pub seed: u64,
    /// An `.npz` dataset (`x [N,T,C]`, `y [N]` or `[N,T,K]`) instead of a task.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Fraction of an `.npz` dataset held out for validation.
    #[serde(default = "default_valid_fraction")]
    pub valid_fraction: f64,
    /// Time step of an `.npz` dataset, seconds.
    #[serde(default = "default_dt")]
    pub dt: f64,
}

fn default_train() -> usize {
    800
}
fn default_valid() -> usize {
    200
}
fn default_valid_fraction() -> f64 {
    0.2
}
fn default_dt() -> f64 {
    1e-3
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            train_samples: default_train(),
            valid_samples: default_valid(),
            seed: 0,
            path: None,
            valid_fraction: default_valid_fraction(),
            dt: default_dt(),
        }
    }
}

impl DataConfig {
    /// Builds the (training, validation) datasets: the `.npz` dataset at [`path`](Self::path)
    /// split by [`valid_fraction`](Self::valid_fraction), or else `task` generated with
    /// [`train_samples`](Self::train_samples) and [`valid_samples`](Self::valid_samples).
    pub fn datasets(&self, task: Option<&TaskConfig>) -> Result<(Dataset, Dataset)> {
        let task_err = |e: rockpool_tasks::TaskError| Error::value("data", e.to_string());
        if let Some(path) = &self.path {
            let ds = rockpool_tasks::load_npz_dataset(path, self.dt).map_err(task_err)?;
            return ds
                .split(1.0 - self.valid_fraction, self.seed)
                .map_err(task_err);
        }
        let task = task.ok_or_else(|| {
            Error::value("data", "give a [task] table or a dataset in [data] path")
        })?;
        let train = task
            .generate(self.train_samples, self.seed)
            .map_err(task_err)?;
        let valid = task
            .generate(self.valid_samples, self.seed.wrapping_add(1_000_003))
            .map_err(task_err)?;
        Ok((train, valid))
    }
}

/// The optimiser. In TOML: `optimizer = "adam"` (or `"adamw"`, `"sgd"`; any case).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptimizerKind {
    /// Adam.
    #[default]
    Adam,
    /// AdamW (decoupled weight decay).
    Adamw,
    /// SGD with momentum 0.9.
    Sgd,
}

rockpool_io::text_enum! {
    OptimizerKind("optimizer") {
        Adam => "adam",
        Adamw => "adamw",
        Sgd => "sgd",
    }
}

/// Learning-rate schedule over the whole run. In TOML: `schedule = "cosine"` (or
/// `"constant"`, `"step"`; any case).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Schedule {
    /// Constant.
    #[default]
    Constant,
    /// Cosine decay from `lr` to `lr_min`.
    Cosine,
    /// Multiply by `gamma` every `step_epochs` epochs.
    Step,
}

rockpool_io::text_enum! {
    Schedule("schedule") {
        Constant => "constant",
        Cosine => "cosine",
        Step => "step",
    }
}

/// Optimisation settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingOptions {
    /// Epochs.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Mini-batch size.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Learning rate.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Final learning rate of the cosine schedule.
    #[serde(default)]
    pub lr_min: f64,
    /// Schedule.
    #[serde(default)]
    pub schedule: Schedule,
    /// Step schedule factor.
    #[serde(default = "default_gamma")]
    pub gamma: f64,
    /// Step schedule period, epochs.
    #[serde(default = "default_step_epochs")]
    pub step_epochs: usize,
    /// Optimiser.
    #[serde(default)]
    pub optimizer: OptimizerKind,
    /// Weight decay (AdamW) or L2 coupling (Adam, SGD).
    #[serde(default)]
    pub weight_decay: f64,
    /// Clip the global gradient norm (0 = off).
    #[serde(default)]
    pub grad_clip_norm: f64,
    /// Loss.
    #[serde(default)]
    pub loss: Loss,
    /// Stop after this many epochs without a better validation accuracy (0 = never).
    #[serde(default)]
    pub early_stopping_patience: usize,
    /// Seed for shuffling.
    #[serde(default)]
    pub seed: u64,
    /// Activity regulariser weight (0 = off).
    #[serde(default)]
    pub activity_weight: f64,
    /// Target firing rate of hidden spiking layers, Hz.
    #[serde(default = "default_rate")]
    pub activity_target_hz: f64,
    /// L2 penalty on all weight matrices (0 = off).
    #[serde(default)]
    pub l2: f64,
    /// Parameter bounds for Rockpool's `bounds_cost`, by parameter name (the last part of its
    /// path, e.g. `tau_mem`, `threshold`), as `[lower, upper]` (`inf` / `-inf` for none):
    /// `bounds = { tau_mem = [0.002, 0.2], threshold = [0.1, inf] }`. Applies to every
    /// trainable parameter of that name.
    #[serde(default)]
    pub bounds: BTreeMap<String, [f64; 2]>,
    /// Weight of the bounds cost (default 1).
    #[serde(default = "one")]
    pub bounds_weight: f64,
}

fn one() -> f64 {
    1.0
}

fn default_epochs() -> usize {
    20
}
fn default_batch() -> usize {
    32
}
fn default_lr() -> f64 {
    2e-3
}
fn default_gamma() -> f64 {
    0.5
}
fn default_step_epochs() -> usize {
    10
}
fn default_rate() -> f64 {
    20.0
}

impl Default for TrainingOptions {
    fn default() -> Self {
        toml::from_str("").expect("all fields have defaults")
    }
}

impl TrainingOptions {
    /// The learning rate at `epoch` (0-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine => {
                let p = epoch as f64 / self.epochs.max(1) as f64;
                self.lr_min
                    + 0.5 * (self.lr - self.lr_min) * (1.0 + (std::f64::consts::PI * p).cos())
            }
            Schedule::Step => self.lr * self.gamma.powi((epoch / self.step_epochs.max(1)) as i32),
        }
    }

    /// Checks the values serde cannot: counts of at least 1, a positive learning rate,
    /// non-negative weights, ordered bounds. Errors name `file` and the `[training]` field.
    pub fn validate(&self, file: &str) -> Result<()> {
        let bad = |m: &str| Err(Error::config(file, format!("[training] {m}")));
        if self.epochs == 0 {
            return bad("epochs must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(&format!("lr must be positive, got {}", self.lr));
        }
        for (name, [lo, hi]) in &self.bounds {
            if lo.is_nan() || hi.is_nan() || lo > hi {
                return bad(&format!(
                    "bounds.{name}: need lower <= upper, got [{lo}, {hi}]"
                ));
            }
        }
        if self.bounds_weight < 0.0 {
            return bad("bounds_weight must be non-negative");
        }
        if self.grad_clip_norm < 0.0 || self.weight_decay < 0.0 || self.l2 < 0.0 {
            return bad("grad_clip_norm, weight_decay and l2 must be non-negative");
        }
        Ok(())
    }

    /// Burn's optimiser for these options (kind, weight decay, gradient clipping).
    pub(crate) fn optimizer(&self) -> burn::optim::ModuleOptimizer {
        let clip = (self.grad_clip_norm > 0.0)
            .then_some(GradientClippingConfig::Norm(self.grad_clip_norm as f32));
        let wd = (self.weight_decay > 0.0)
            .then(|| burn::optim::decay::WeightDecayConfig::new(self.weight_decay as f32));
        match self.optimizer {
            OptimizerKind::Adam => AdamConfig::new()
                .with_weight_decay(wd)
                .with_grad_clipping(clip)
                .init(),
            OptimizerKind::Adamw => AdamWConfig::new()
                .with_weight_decay(self.weight_decay as f32)
                .with_grad_clipping(clip)
                .init(),
            OptimizerKind::Sgd => SgdConfig::new()
                .with_weight_decay(wd)
                .with_momentum(Some(MomentumConfig::new().with_momentum(0.9)))
                .with_gradient_clipping(clip)
                .init(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimizer_and_schedule_names_parse_in_any_case() {
        let opts: TrainingOptions =
            toml::from_str("optimizer = \"AdamW\"\nschedule = \"cosine\"").unwrap();
        assert_eq!(opts.optimizer, OptimizerKind::Adamw);
        assert_eq!(opts.schedule, Schedule::Cosine);
        let err = toml::from_str::<TrainingOptions>("optimizer = \"lion\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("lion") && err.contains("adam, adamw, sgd"),
            "{err}"
        );
        assert_eq!(Schedule::Step.to_string(), "step");
    }

    #[test]
    fn schedules_give_the_documented_rates() {
        let mut opts = TrainingOptions {
            epochs: 10,
            lr: 1.0,
            lr_min: 0.0,
            ..TrainingOptions::default()
        };
        assert_eq!(opts.lr_at(7), 1.0);
        opts.schedule = Schedule::Cosine;
        assert!((opts.lr_at(5) - 0.5).abs() < 1e-12);
        opts.schedule = Schedule::Step;
        opts.step_epochs = 3;
        opts.gamma = 0.5;
        assert_eq!(opts.lr_at(6), 0.25);
    }

    #[test]
    fn datasets_need_a_task_or_a_file() {
        let err = DataConfig::default()
            .datasets(None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[task]"), "{err}");
    }
}
