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

use super::events::{EventFormat, EventSamples};
use super::loader::SampleSource;
use super::loss::Loss;
use crate::error::{Error, Result};
use rockpool_events::{Compose, ToFrame};
use rockpool_tasks::{Dataset, TaskConfig};

/// The most samples, epochs, steps or batch size a job may ask for (10⁸): far above any
/// real run, low enough that no count from a file reaches an allocation that cannot succeed.
pub const MAX_COUNT: usize = 100_000_000;

/// Where the data come from (`[data]`; every key is optional).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Samples generated for training (built-in tasks; default 800).
    pub train_samples: usize,
    /// Samples generated for validation (built-in tasks; default 200).
    pub valid_samples: usize,
    /// Seed of the generated data (default 0).
    pub seed: u64,
    /// An `.npz` dataset (`x [N,T,C]`, `y [N]` or `[N,T,K]`) instead of a task.
    pub path: Option<PathBuf>,
    /// Fraction of an `.npz` dataset held out for validation (default 0.2).
    pub valid_fraction: f64,
    /// Time step of an `.npz` dataset, and the bin width of an event dataset, seconds
    /// (default 1 ms).
    pub dt: f64,
    /// An event dataset at [`path`](Self::path) in this format (`"shd"`, `"ssc"`,
    /// `"nmnist"`, `"dvs_gesture"`, `"npz"`), read as training goes (see [`super::events`]).
    pub format: Option<EventFormat>,
    /// The validation split of an event dataset (same format); default: a seeded
    /// `valid_fraction` of [`path`](Self::path).
    pub valid_path: Option<PathBuf>,
    /// Event transforms applied to every split (e.g. downsampling), Tonic's names:
    /// `transforms = [{ kind = "downsample", channel_factor = 0.25 }]`.
    pub transforms: Compose,
    /// Event transforms drawn anew every epoch for the training split only (augmentation):
    /// `augment = [{ kind = "time_jitter", std = 1e-3 }]`.
    pub augment: Compose,
    /// Time steps per sample of an event dataset (later events dropped, shorter samples
    /// padded); default: up to each sample's last event, zero-padded per batch.
    pub num_steps: Option<usize>,
    /// A folder to keep the binned rasters of an event dataset in between epochs and runs
    /// (samples without augmentation only; see [`super::events`]).
    pub cache: Option<PathBuf>,
    /// Threads reading and transforming the samples of each batch (default 1; see
    /// [`super::EpochLoader::with_workers`]).
    pub workers: usize,
}

/// The (training, validation) data of a job.
#[allow(clippy::large_enum_variant)] // one per job
pub enum Splits {
    /// Arrays in memory: a built-in task or a dense `.npz` dataset.
    InMemory(Dataset, Dataset),
    /// Samples read from disk as training goes: an event dataset.
    Streamed(SampleSource, SampleSource),
}

impl Default for DataConfig {
    /// The defaults every missing `[data]` key takes.
    fn default() -> Self {
        Self {
            train_samples: 800,
            valid_samples: 200,
            seed: 0,
            path: None,
            valid_fraction: 0.2,
            dt: crate::nn::defaults::DT,
            format: None,
            valid_path: None,
            transforms: Compose::default(),
            augment: Compose::default(),
            num_steps: None,
            cache: None,
            workers: 1,
        }
    }
}

impl DataConfig {
    /// Checks the values serde cannot: sample counts of at least 1 and at most
    /// `MAX_COUNT` = 10⁸ (the size of the generated arrays is checked again, against
    /// [`rockpool_tasks::MAX_ELEMENTS`], when they are generated), a `valid_fraction` in
    /// `[0, 1]`, a positive finite `dt`. Errors name `file`, the `[data]` field and the value
    /// given.
    pub fn validate(&self, file: &str) -> Result<()> {
        match self.problem() {
            Some(m) => Err(Error::config(file, format!("[data] {m}"))),
            None => Ok(()),
        }
    }

    /// What [`validate`](Self::validate) refuses, if anything: the field, the value, the rule.
    fn problem(&self) -> Option<String> {
        let bad = Some;
        for (name, value) in [
            ("train_samples", self.train_samples),
            ("valid_samples", self.valid_samples),
        ] {
            if value == 0 || value > MAX_COUNT {
                return bad(format!(
                    "{name} = {value}: must be at least 1 and at most {MAX_COUNT}"
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.valid_fraction) {
            return bad(format!(
                "valid_fraction = {}: must lie in [0, 1] (e.g. 0.2 holds out a fifth)",
                self.valid_fraction
            ));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return bad(format!(
                "dt = {}: must be a positive, finite number of seconds",
                self.dt
            ));
        }
        if self.format.is_some() && self.path.is_none() {
            return bad("format is set but path is not: give the dataset's file or folder".into());
        }
        if self.format.is_none()
            && (self.valid_path.is_some()
                || !self.transforms.steps().is_empty()
                || !self.augment.steps().is_empty()
                || self.num_steps.is_some()
                || self.cache.is_some())
        {
            return bad(
                "valid_path, transforms, augment, num_steps and cache apply to event datasets: set \
                 format (shd, ssc, nmnist, dvs_gesture, npz)"
                    .into(),
            );
        }
        if self.workers == 0 || self.workers > 256 {
            return bad(format!("workers = {}: must lie in 1..=256", self.workers));
        }
        if self.num_steps == Some(0) {
            return bad("num_steps = 0: must be at least 1".into());
        }
        None
    }

    /// The (training, validation) data: [`Splits::Streamed`] for an event dataset
    /// ([`format`](Self::format)), else [`Splits::InMemory`] from [`datasets`](Self::datasets).
    pub fn splits(&self, task: Option<&TaskConfig>) -> Result<Splits> {
        if let Some(m) = self.problem() {
            return Err(Error::config("[data]", m));
        }
        let (Some(format), Some(path)) = (self.format, &self.path) else {
            let (train, valid) = self.datasets(task)?;
            return Ok(Splits::InMemory(train, valid));
        };
        let frame = ToFrame {
            dt: self.dt,
            bins: self.num_steps,
        };
        let data = super::events::open(format, path)?;
        let fixed = (self.transforms.clone(), Compose::default());
        let augmented = (self.transforms.clone(), self.augment.clone());
        let (train, valid) = match &self.valid_path {
            Some(v) => {
                let valid = super::events::open(format, v)?;
                (
                    EventSamples::new(data, None, augmented, frame, self.seed)?,
                    EventSamples::new(valid, None, fixed, frame, self.seed)?,
                )
            }
            None => {
                let (t, v) =
                    super::events::split_indices(data.len(), self.valid_fraction, self.seed);
                (
                    EventSamples::new(data.clone(), Some(t), augmented, frame, self.seed)?,
                    EventSamples::new(data, Some(v), fixed, frame, self.seed)?,
                )
            }
        };
        let (train, valid) = match &self.cache {
            Some(dir) => {
                let name = |p: &std::path::Path| format!("{format} {}", p.display());
                let valid_file = self.valid_path.as_ref().unwrap_or(path);
                (
                    train.with_cache(dir, &name(path)),
                    valid.with_cache(dir, &format!("{} valid", name(valid_file))),
                )
            }
            None => (train, valid),
        };
        if train.channels() != valid.channels() {
            return Err(Error::value(
                "[data] valid_path",
                format!(
                    "the validation data have {} channels, the training data {}",
                    valid.channels(),
                    train.channels()
                ),
            ));
        }
        let (mut train, mut valid) = (train.into_source(), valid.into_source());
        (train.workers, valid.workers) = (self.workers, self.workers);
        Ok(Splits::Streamed(train, valid))
    }

    /// Builds the (training, validation) datasets: the `.npz` dataset at [`path`](Self::path)
    /// split by [`valid_fraction`](Self::valid_fraction), or else `task` generated with
    /// [`train_samples`](Self::train_samples) and [`valid_samples`](Self::valid_samples).
    pub fn datasets(&self, task: Option<&TaskConfig>) -> Result<(Dataset, Dataset)> {
        if let Some(m) = self.problem() {
            return Err(Error::config("[data]", m));
        }
        if let Some(f) = self.format {
            return Err(Error::value(
                "data",
                format!("a {f} event dataset is read as training goes: use DataConfig::splits"),
            ));
        }
        if let Some(path) = &self.path {
            let ds = rockpool_tasks::load_npz_dataset(path, self.dt)
                .map_err(|e| Error::value(format!("data {}", path.display()), e.to_string()))?;
            // The split takes the training fraction; messages keep the user's number.
            return ds.split(1.0 - self.valid_fraction, self.seed).map_err(|e| {
                Error::value(
                    "data",
                    format!("valid_fraction = {}: {e}", self.valid_fraction),
                )
            });
        }
        let task = task.ok_or_else(|| {
            Error::value("data", "give a [task] table or a dataset in [data] path")
        })?;
        let samples_err = |name: &'static str, n: usize| {
            move |e: rockpool_tasks::TaskError| Error::value("data", format!("{name} = {n}: {e}"))
        };
        let train = task
            .generate(self.train_samples, self.seed)
            .map_err(samples_err("train_samples", self.train_samples))?;
        let valid = task
            .generate(self.valid_samples, self.seed.wrapping_add(1_000_003))
            .map_err(samples_err("valid_samples", self.valid_samples))?;
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

/// Optimisation settings (`[training]`; every key is optional).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingOptions {
    /// Epochs (default 20).
    pub epochs: usize,
    /// Mini-batch size (default 32).
    pub batch_size: usize,
    /// Learning rate (default 2e-3).
    pub lr: f64,
    /// Final learning rate of the cosine schedule.
    pub lr_min: f64,
    /// Schedule.
    pub schedule: Schedule,
    /// Step schedule factor (default 0.5).
    pub gamma: f64,
    /// Step schedule period, epochs (default 10).
    pub step_epochs: usize,
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Weight decay (AdamW) or L2 coupling (Adam, SGD).
    pub weight_decay: f64,
    /// Clip the global gradient norm (0 = off).
    pub grad_clip_norm: f64,
    /// Loss.
    pub loss: Loss,
    /// Stop after this many epochs without a better validation accuracy (0 = never).
    pub early_stopping_patience: usize,
    /// Seed for shuffling.
    pub seed: u64,
    /// Activity regulariser weight (0 = off).
    pub activity_weight: f64,
    /// Target firing rate of hidden spiking layers, Hz (default 20).
    pub activity_target_hz: f64,
    /// L2 penalty on all weight matrices (0 = off).
    pub l2: f64,
    /// Parameter bounds for Rockpool's `bounds_cost`, by parameter name (the last part of its
    /// path, e.g. `tau_mem`, `threshold`), as `[lower, upper]` (`inf` / `-inf` for none):
    /// `bounds = { tau_mem = [0.002, 0.2], threshold = [0.1, inf] }`. Applies to every
    /// trainable parameter of that name.
    pub bounds: BTreeMap<String, [f64; 2]>,
    /// Weight of the bounds cost (default 1).
    pub bounds_weight: f64,
    /// Mismatch-aware training (default off): every training step evolves a copy of the
    /// network whose trainable weights, time constants, thresholds and biases deviate as
    /// Rockpool's `mismatch_generator` draws them (`p' = p + p·σ·ξ`, `σ = percent_deviation /
    /// sigma_rule`), with gradients reaching the unperturbed parameters:
    /// `mismatch = { percent_deviation = 0.3, sigma_rule = 3.0 }`. Validation is unperturbed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<TrainingMismatch>,
}

/// The deviation of mismatch-aware training ([`TrainingOptions::mismatch`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingMismatch {
    /// The deviation reached at `sigma_rule` standard deviations, as a fraction (default 0.3).
    pub percent_deviation: f64,
    /// How many standard deviations `percent_deviation` is (default 3).
    pub sigma_rule: f64,
}

impl Default for TrainingMismatch {
    fn default() -> Self {
        Self {
            percent_deviation: 0.3,
            sigma_rule: 3.0,
        }
    }
}

impl Default for TrainingOptions {
    /// The defaults every missing `[training]` key takes.
    fn default() -> Self {
        Self {
            epochs: 20,
            batch_size: 32,
            lr: 2e-3,
            lr_min: 0.0,
            schedule: Schedule::default(),
            gamma: 0.5,
            step_epochs: 10,
            optimizer: OptimizerKind::default(),
            weight_decay: 0.0,
            grad_clip_norm: 0.0,
            loss: Loss::default(),
            early_stopping_patience: 0,
            seed: 0,
            activity_weight: 0.0,
            activity_target_hz: 20.0,
            l2: 0.0,
            bounds: BTreeMap::new(),
            bounds_weight: 1.0,
            mismatch: None,
        }
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

    /// Checks the values serde cannot: counts of at least 1 (and at most
    /// `MAX_COUNT` = 10⁸), a positive learning rate, finite non-negative weights, ordered bounds,
    /// a sensible peak loss. NaN and ±inf are refused wherever a finite number is meant.
    /// Errors name `file`, the `[training]` field and the value given.
    pub fn validate(&self, file: &str) -> Result<()> {
        let bad = |m: String| Err(Error::config(file, format!("[training] {m}")));
        for (name, value) in [
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
            ("step_epochs", self.step_epochs),
        ] {
            if value == 0 || value > MAX_COUNT {
                return bad(format!(
                    "{name} = {value}: must be at least 1 and at most {MAX_COUNT}"
                ));
            }
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(format!(
                "lr = {}: must be a positive, finite number",
                self.lr
            ));
        }
        for (name, value) in [
            ("lr_min", self.lr_min),
            ("weight_decay", self.weight_decay),
            ("grad_clip_norm", self.grad_clip_norm),
            ("activity_weight", self.activity_weight),
            ("activity_target_hz", self.activity_target_hz),
            ("l2", self.l2),
            ("bounds_weight", self.bounds_weight),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(format!("{name} = {value}: must be a finite number >= 0"));
            }
        }
        if !(self.gamma.is_finite() && self.gamma > 0.0) {
            return bad(format!(
                "gamma = {}: must be a positive, finite number",
                self.gamma
            ));
        }
        for (name, [lo, hi]) in &self.bounds {
            if lo.is_nan()
                || hi.is_nan()
                || lo > hi
                || *lo == f64::INFINITY
                || *hi == f64::NEG_INFINITY
            {
                return bad(format!(
                    "bounds.{name} = [{lo}, {hi}]: need lower <= upper (inf / -inf for no bound)"
                ));
            }
        }
        if let Loss::Peak(p) | Loss::BinaryPeak(p) = &self.loss {
            if p.max_interval == 0 || p.max_interval > MAX_COUNT {
                return bad(format!(
                    "loss.peak.max_interval = {}: must be at least 1 and at most {MAX_COUNT}",
                    p.max_interval
                ));
            }
            for (name, value) in [
                ("weight_nontarget", p.weight_nontarget),
                ("target_output", p.target_output),
                ("nontarget_output", p.nontarget_output),
            ] {
                if !value.is_finite() {
                    return bad(format!(
                        "loss.peak.{name} = {value}: must be a finite number"
                    ));
                }
            }
            if p.weight_nontarget < 0.0 {
                return bad(format!(
                    "loss.peak.weight_nontarget = {}: must be >= 0",
                    p.weight_nontarget
                ));
            }
        }
        if let Some(m) = &self.mismatch {
            let sigma = m.percent_deviation / m.sigma_rule;
            if !(m.percent_deviation.is_finite()
                && m.percent_deviation >= 0.0
                && m.sigma_rule.is_finite()
                && m.sigma_rule > 0.0
                && sigma < 1.0)
            {
                return bad(format!(
                    "mismatch = {{ percent_deviation = {}, sigma_rule = {} }}: need \
                     percent_deviation >= 0, sigma_rule > 0 and a relative deviation \
                     percent_deviation / sigma_rule below 1",
                    m.percent_deviation, m.sigma_rule
                ));
            }
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

    #[test]
    fn data_settings_are_checked_through_the_library_too() {
        let task = TaskConfig::default();
        let bad = DataConfig {
            valid_fraction: 1.5,
            ..DataConfig::default()
        };
        let err = bad.datasets(Some(&task)).unwrap_err().to_string();
        assert!(
            err.contains("valid_fraction = 1.5") && !err.contains("-0.5"),
            "{err}"
        );
        let err = DataConfig {
            train_samples: 1_000_000_000_000,
            ..DataConfig::default()
        }
        .datasets(Some(&task))
        .unwrap_err()
        .to_string();
        assert!(err.contains("train_samples = 1000000000000"), "{err}");
    }

    #[test]
    fn a_dataset_without_time_steps_is_refused() {
        use rockpool_io::NpyArray;
        let dir = std::env::temp_dir().join(format!("rockpool-opts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty_steps.npz");
        let x = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[2, 0, 3]));
        let y = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2]), vec![0i64, 1]).unwrap();
        rockpool_io::write_npz(
            &path,
            &[
                ("x".to_string(), NpyArray::from(x)),
                ("y".to_string(), NpyArray::from(y)),
            ],
        )
        .unwrap();
        let err = DataConfig {
            path: Some(path),
            ..DataConfig::default()
        }
        .datasets(None)
        .unwrap_err()
        .to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            err.contains("[2, 0, 3]") && err.contains("time step"),
            "{err}"
        );
    }
}
