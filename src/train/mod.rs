//! Training: BPTT with surrogate gradients on Burn's autodiff, driven by a TOML configuration
//! (`rockpool train configs/x.toml`) or from Rust.
//!
//! A configuration names the network (the network-file format), the data (a built-in task from
//! [`rockpool_tasks`] or an `.npz` dataset), and the optimisation. [`train`] runs epochs over
//! shuffled mini-batches with a progress bar, evaluates on a validation split, keeps the best
//! model, stops early when validation accuracy stalls, and writes into the output folder:
//! `checkpoint.bpk` and `optimizer.bpk` (every epoch, atomically; `--resume` continues from
//! them), `train_state.json`, `params.npz` (best model, Rockpool keys), `best.bpk`,
//! `metrics.csv`, and `loss.png` / `accuracy.png`.
//!
//! ```toml
//! [network]
//! seed = 1
//! [[network.layers]]
//! type = "linear"
//! size_in = 16
//! size_out = 64
//! # …
//!
//! [task]
//! type = "frozen_noise"      # frozen_noise | keyword | delay, with their own fields
//!
//! [data]
//! train_samples = 800
//! valid_samples = 200
//!
//! [training]
//! epochs = 20
//! batch_size = 32
//! lr = 2e-3
//! ```

pub mod loss;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Evolve, ModuleExt, ModuleView, Node, Tree};
use crate::network::NetworkConfig;
use crate::nn::{Layer, Sequential};
use crate::persist::{load_checkpoint, save_checkpoint, save_parameters};
use loss::{Loss, Target};
use rockpool_tasks::{Dataset, Targets, TaskConfig};

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

/// The optimiser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam.
    #[default]
    Adam,
    /// AdamW (decoupled weight decay).
    Adamw,
    /// SGD with momentum 0.9.
    Sgd,
}

/// Learning-rate schedule over the whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Constant.
    #[default]
    Constant,
    /// Cosine decay from `lr` to `lr_min`.
    Cosine,
    /// Multiply by `gamma` every `step_epochs` epochs.
    Step,
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
    pub bounds: std::collections::BTreeMap<String, [f64; 2]>,
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

    fn validate(&self, file: &str) -> Result<()> {
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
}

/// Xylo mode: train under the chip's constraints, then export (`[xylo]` in a configuration).
///
/// The network is changed before training ([`xylo_network`]): `Linear` weights are
/// fake-quantised to int8 with a straight-through estimator (one scale per target neuron for
/// channel quantisation, per layer for global), `LIF` thresholds and biases are int16 on the
/// grid of the weights feeding them, decays come from integer bit shifts, hidden layers may
/// emit up to 31 spikes per step and the output layer 1, and a one-step `Delay` follows every
/// hidden `LIF` (the chip's hop delay). After training, the best model is mapped, quantised,
/// exported to `config.json` and run on the bit-exact simulator over the validation set.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XyloTraining {
    /// Chip family: syns61201, syns65302 or syns63300.
    pub family: String,
    /// Quantisation at export: channel (default) or global.
    #[serde(default = "default_quantize")]
    pub quantize: String,
    /// Fuzzy scaling for global quantisation.
    #[serde(default)]
    pub fuzzy: bool,
}

fn default_quantize() -> String {
    "channel".into()
}

/// A whole training configuration (`configs/*.toml`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The network.
    pub network: NetworkConfig,
    /// A built-in task (unless `data.path` names a dataset).
    #[serde(default)]
    pub task: Option<TaskConfig>,
    /// Data sizes or the dataset file.
    #[serde(default)]
    pub data: DataConfig,
    /// Optimisation.
    #[serde(default)]
    pub training: TrainingOptions,
    /// Xylo-mode training and export.
    #[serde(default)]
    pub xylo: Option<XyloTraining>,
}

impl TrainConfig {
    /// Parses a configuration; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self> {
        let cfg: TrainConfig =
            toml::from_str(text).map_err(|e| Error::config(file, e.to_string().trim_end()))?;
        cfg.training.validate(file)?;
        if cfg.task.is_none() && cfg.data.path.is_none() {
            return Err(Error::config(
                file,
                "give a [task] table or a dataset in [data] path",
            ));
        }
        if cfg.network.layers.is_empty() {
            return Err(Error::config(file, "[network] has no layers"));
        }
        if let Some(x) = &cfg.xylo {
            x.family
                .parse::<rockpool_xylo::XyloFamily>()
                .map_err(|e| Error::config(file, format!("[xylo] family: {e}")))?;
            x.quantize
                .parse::<crate::xylo::Quantization>()
                .map_err(|e| Error::config(file, format!("[xylo] quantize: {e}")))?;
        }
        Ok(cfg)
    }

    /// The network as it is trained: the configured one, or in Xylo mode its rewrite
    /// ([`XyloMode::for_network`](crate::quant::XyloMode::for_network)) (load a run's
    /// `params.npz` into this one).
    pub fn training_network(&self) -> Result<NetworkConfig> {
        Ok(self.xylo_setup()?.0)
    }

    /// In Xylo mode, how the training network evolves
    /// ([`XyloMode`](crate::quant::XyloMode)); `None` otherwise.
    pub fn xylo_mode(&self) -> Result<Option<crate::quant::XyloMode>> {
        Ok(self.xylo_setup()?.1)
    }

    fn xylo_setup(&self) -> Result<(NetworkConfig, Option<crate::quant::XyloMode>)> {
        match &self.xylo {
            Some(x) => {
                let q = x
                    .quantize
                    .parse::<crate::xylo::Quantization>()
                    .map_err(|e| Error::config("xylo", format!("quantize: {e}")))?;
                let family = x
                    .family
                    .parse::<rockpool_xylo::XyloFamily>()
                    .map_err(|e| Error::config("xylo", format!("family: {e}")))?;
                let (net, mode) =
                    crate::quant::XyloMode::for_network(&self.network, family.chip(), q)?;
                Ok((net, Some(mode)))
            }
            None => Ok((self.network.clone(), None)),
        }
    }

    /// Reads a configuration file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::File {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Self::from_toml_str(&text, &path.display().to_string())?;
        // A relative dataset path is relative to the configuration file.
        if let (Some(p), Some(dir)) = (&cfg.data.path, path.parent())
            && p.is_relative()
        {
            cfg.data.path = Some(dir.join(p));
        }
        Ok(cfg)
    }

    /// Builds (train, validation) datasets.
    pub fn datasets(&self) -> Result<(Dataset, Dataset)> {
        let task_err = |e: rockpool_tasks::TaskError| Error::value("data", e.to_string());
        if let Some(path) = &self.data.path {
            let ds = rockpool_tasks::load_npz_dataset(path, self.data.dt).map_err(task_err)?;
            return ds
                .split(1.0 - self.data.valid_fraction, self.data.seed)
                .map_err(task_err);
        }
        let task = self.task.as_ref().expect("checked at load");
        let train = task
            .generate(self.data.train_samples, self.data.seed)
            .map_err(task_err)?;
        let valid = task
            .generate(
                self.data.valid_samples,
                self.data.seed.wrapping_add(1_000_003),
            )
            .map_err(task_err)?;
        Ok((train, valid))
    }
}

/// One row of `metrics.csv`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training accuracy (classification), fraction.
    pub train_acc: f64,
    /// Mean validation loss.
    pub valid_loss: f64,
    /// Validation accuracy, fraction.
    pub valid_acc: f64,
    /// Learning rate used.
    pub lr: f64,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
}

/// The state saved next to the checkpoints, to resume.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct TrainState {
    epochs_done: usize,
    best_valid_acc: f64,
    best_epoch: usize,
    history: Vec<EpochMetrics>,
}

/// What a training run produced.
#[derive(Clone, Debug)]
pub struct TrainReport {
    /// Per-epoch metrics.
    pub history: Vec<EpochMetrics>,
    /// Best validation accuracy, fraction.
    pub best_valid_acc: f64,
    /// Epoch (1-based) of the best model.
    pub best_epoch: usize,
    /// Where the outputs are.
    pub out_dir: PathBuf,
    /// Xylo mode: the exported configuration's accuracy on the simulated chip, fraction.
    pub chip_acc: Option<f64>,
    /// Xylo mode: the deployment report.
    pub xylo_report: Vec<String>,
}

fn batch_tensors(x: &ndarray::Array3<f32>, y: &Targets, device: &Device) -> (Tensor<3>, Target) {
    let (b, t, c) = x.dim();
    let xt = Tensor::<3>::from_data(
        TensorData::new(x.iter().copied().collect::<Vec<f32>>(), [b, t, c]),
        device,
    );
    let target = match y {
        Targets::Class(labels) => Target::Classes(labels.clone()),
        Targets::Sequence(s) => {
            let (b, t, k) = s.dim();
            Target::Sequence(Tensor::from_data(
                TensorData::new(s.iter().copied().collect::<Vec<f32>>(), [b, t, k]),
                device,
            ))
        }
    };
    (xt, target)
}

/// Outputs `[B,T,N]` of every spiking hidden layer, from a Sequential's record. A `Delay`
/// only shifts the spikes of the layer before it and is not counted again.
fn hidden_spikes(
    net: &Sequential<Layer>,
    record: &Tree<crate::module::DynTensor>,
) -> Vec<Tensor<3>> {
    let last = net.names().last().cloned().unwrap_or_default();
    net.iter()
        .filter(|(name, m)| m.spiking_output() && !matches!(m, Layer::Delay(_)) && *name != last)
        .filter_map(
            |(name, _)| match record.get_node(&format!("{name}_output")) {
                Some(Node::Leaf(crate::module::DynTensor::D3(t))) => Some(t.clone()),
                _ => None,
            },
        )
        .collect()
}

/// The bounds cost of every trainable parameter named in `bounds` (see
/// [`TrainingOptions::bounds`]); `None` when no parameter matches.
fn bounds_of(
    net: &Sequential<Layer>,
    bounds: &std::collections::BTreeMap<String, [f64; 2]>,
) -> Option<Tensor<1>> {
    if bounds.is_empty() {
        return None;
    }
    let mut total: Option<Tensor<1>> = None;
    for (path, a) in net.parameters(()).leaves() {
        let name = path.rsplit('.').next().unwrap_or(&path);
        let (Some([lo, hi]), crate::module::Value::Tensor(t)) = (bounds.get(name), &a.value) else {
            continue;
        };
        let flat: Tensor<1> = match t {
            crate::module::DynTensor::D1(t) => t.clone(),
            crate::module::DynTensor::D2(t) => t.clone().flatten(0, 1),
            crate::module::DynTensor::D3(t) => t.clone().flatten(0, 2),
            crate::module::DynTensor::D4(t) => t.clone().flatten(0, 3),
        };
        let c = loss::bounds_cost(flat, *lo, *hi);
        total = Some(match total {
            Some(acc) => acc + c,
            None => c,
        });
    }
    total
}

fn weights_of(net: &Sequential<Layer>) -> Vec<Tensor<2>> {
    net.parameters("weights")
        .leaves()
        .into_iter()
        .filter_map(|(_, a)| match &a.value {
            crate::module::Value::Tensor(crate::module::DynTensor::D2(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Evaluates `net` on `data`: (mean loss, accuracy).
pub fn evaluate(
    net: &Sequential<Layer>,
    data: &Dataset,
    loss: Loss,
    batch_size: usize,
    device: &Device,
    mode: Option<&crate::quant::XyloMode>,
) -> Result<(f64, f64)> {
    let valid = net.valid();
    let (mut total, mut correct, mut n) = (0.0, 0usize, 0usize);
    let batches = data
        .batches(batch_size, false, 0)
        .map_err(|e| Error::value("data", e.to_string()))?;
    for batch in batches {
        let (x, target) = batch_tensors(&batch.x, &batch.y, device);
        let b = x.dims()[0];
        let state = valid.zero_state(b);
        let ev = match mode {
            Some(m) => m.evolve(&valid, x, state, false)?,
            None => valid.evolve_with(x, state, false)?,
        };
        total += f64::from(
            loss.compute(ev.output.clone(), &target)?
                .into_scalar::<f32>(),
        ) * b as f64;
        if let Target::Classes(labels) = &target {
            correct += loss.correct(&ev.output, labels);
        }
        n += b;
    }
    Ok((total / n.max(1) as f64, correct as f64 / n.max(1) as f64))
}

fn optimizer(opts: &TrainingOptions) -> burn::optim::ModuleOptimizer {
    let clip = (opts.grad_clip_norm > 0.0)
        .then_some(GradientClippingConfig::Norm(opts.grad_clip_norm as f32));
    let wd = (opts.weight_decay > 0.0)
        .then(|| burn::optim::decay::WeightDecayConfig::new(opts.weight_decay as f32));
    match opts.optimizer {
        OptimizerKind::Adam => AdamConfig::new()
            .with_weight_decay(wd)
            .with_grad_clipping(clip)
            .init(),
        OptimizerKind::Adamw => AdamWConfig::new()
            .with_weight_decay(opts.weight_decay as f32)
            .with_grad_clipping(clip)
            .init(),
        OptimizerKind::Sgd => SgdConfig::new()
            .with_weight_decay(wd)
            .with_momentum(Some(MomentumConfig::new().with_momentum(0.9)))
            .with_gradient_clipping(clip)
            .init(),
    }
}

fn write_atomic_str(path: &Path, text: &str) -> Result<()> {
    rockpool_io::write_atomic(path, text.as_bytes())?;
    Ok(())
}

fn write_metrics(out: &Path, history: &[EpochMetrics]) -> Result<()> {
    let mut csv =
        String::from("epoch,train_loss,train_acc,valid_loss,valid_acc,lr,seconds,samples_per_s\n");
    for m in history {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            m.epoch,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.lr,
            m.seconds,
            m.samples_per_s
        ));
    }
    write_atomic_str(&out.join("metrics.csv"), &csv)?;
    let ep: Vec<f64> = history.iter().map(|m| m.epoch as f64).collect();
    let tl: Vec<f64> = history.iter().map(|m| m.train_loss).collect();
    let vl: Vec<f64> = history.iter().map(|m| m.valid_loss).collect();
    let ta: Vec<f64> = history.iter().map(|m| m.train_acc).collect();
    let va: Vec<f64> = history.iter().map(|m| m.valid_acc).collect();
    use rockpool_plot::{CurvePlot, plot_curves};
    plot_curves(
        &out.join("loss.png"),
        &[("train", &ep, &tl), ("validation", &ep, &vl)],
        &CurvePlot {
            title: "Loss".into(),
            y_label: "loss".into(),
            ..CurvePlot::default()
        },
    )?;
    plot_curves(
        &out.join("accuracy.png"),
        &[("train", &ep, &ta), ("validation", &ep, &va)],
        &CurvePlot {
            title: "Accuracy".into(),
            y_label: "accuracy".into(),
            ..CurvePlot::default()
        },
    )?;
    Ok(())
}

/// Trains the configured network, writing everything into `out_dir` (see the module docs).
/// With `resume`, continues from the checkpoint in `out_dir`.
pub fn train(
    cfg: &TrainConfig,
    out_dir: &Path,
    device: &Device,
    resume: bool,
) -> Result<TrainReport> {
    std::fs::create_dir_all(out_dir).map_err(|source| Error::File {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let opts = &cfg.training;
    let ad = crate::device::autodiff(device);
    let (train_set, valid_set) = cfg.datasets()?;
    let network = cfg.training_network()?;
    let mode = cfg.xylo_mode()?;
    let mut net = network.build(&ad)?;
    if net.size_in() != train_set.size_in() {
        return Err(Error::config(
            "network",
            format!(
                "the network takes {} input channels but the data have {}",
                net.size_in(),
                train_set.size_in()
            ),
        ));
    }
    if let Some(k) = train_set.num_classes
        && net.size_out() < k
    {
        return Err(Error::config(
            "network",
            format!(
                "the network has {} outputs but the task has {k} classes",
                net.size_out()
            ),
        ));
    }
    let mut optim = optimizer(opts);
    let mut state = TrainState::default();
    let ckpt = out_dir.join("checkpoint.bpk");
    let optim_path = out_dir.join("optimizer.bpk");
    let state_path = out_dir.join("train_state.json");
    if resume {
        if !ckpt.exists() {
            return Err(Error::value(
                "--resume",
                format!("no checkpoint at {}", ckpt.display()),
            ));
        }
        net = load_checkpoint(net, &ckpt)?;
        let bytes = std::fs::read(&optim_path).map_err(|source| Error::File {
            path: optim_path.clone(),
            source,
        })?;
        optim = optim
            .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
            .map_err(|e| Error::value(optim_path.display().to_string(), format!("{e:?}")))?;
        let text = std::fs::read_to_string(&state_path).map_err(|source| Error::File {
            path: state_path.clone(),
            source,
        })?;
        state = serde_json::from_str(&text)
            .map_err(|e| Error::value(state_path.display().to_string(), e.to_string()))?;
        eprintln!("resuming after epoch {}", state.epochs_done);
    }
    let dt = crate::timed::module_dt(&net).unwrap_or(1e-3);
    let mut stale = 0usize;
    for epoch in state.epochs_done..opts.epochs {
        let lr = opts.lr_at(epoch);
        let started = Instant::now();
        let batches = train_set
            .batches(opts.batch_size, true, opts.seed.wrapping_add(epoch as u64))
            .map_err(|e| Error::value("data", e.to_string()))?;
        let bar = ProgressBar::new(batches.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}/{}", epoch + 1, opts.epochs));
        let (mut total, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for batch in batches {
            let (x, target) = batch_tensors(&batch.x, &batch.y, &ad);
            let b = x.dims()[0];
            let want_record = opts.activity_weight > 0.0;
            let state = net.zero_state(b);
            let ev = match &mode {
                Some(m) => m.evolve(&net, x, state, want_record)?,
                None => net.evolve_with(x, state, want_record)?,
            };
            let mut loss = opts.loss.compute(ev.output.clone(), &target)?;
            if want_record
                && let Some(a) = loss::activity(
                    &hidden_spikes(&net, &ev.record),
                    dt,
                    opts.activity_target_hz,
                )
            {
                loss = loss + a * opts.activity_weight;
            }
            if opts.l2 > 0.0
                && let Some(p) = loss::l2(&weights_of(&net))
            {
                loss = loss + p * opts.l2;
            }
            if opts.bounds_weight > 0.0
                && let Some(b) = bounds_of(&net, &opts.bounds)
            {
                loss = loss + b * opts.bounds_weight;
            }
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(Error::value(
                    "training",
                    format!(
                        "the loss became {value} in epoch {}; lower the learning rate",
                        epoch + 1
                    ),
                ));
            }
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(lr, net, grads);
            total += value * b as f64;
            if let Target::Classes(labels) = &target {
                correct += opts.loss.correct(&ev.output, labels);
            }
            seen += b;
            let secs = started.elapsed().as_secs_f64();
            bar.set_message(format!(
                "loss {:.4} acc {:.3} {:.0} samples/s",
                total / seen as f64,
                correct as f64 / seen as f64,
                seen as f64 / secs.max(1e-9)
            ));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        let (valid_loss, valid_acc) = evaluate(
            &net,
            &valid_set,
            opts.loss,
            opts.batch_size,
            device,
            mode.as_ref(),
        )?;
        let m = EpochMetrics {
            epoch: epoch + 1,
            train_loss: total / seen.max(1) as f64,
            train_acc: correct as f64 / seen.max(1) as f64,
            valid_loss,
            valid_acc,
            lr,
            seconds,
            samples_per_s: seen as f64 / seconds.max(1e-9),
        };
        eprintln!(
            "epoch {:>3}/{}: train loss {:.4} acc {:.3} | valid loss {:.4} acc {:.3} | lr {:.2e} | {:.1} s, {:.0} samples/s",
            m.epoch,
            opts.epochs,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.lr,
            m.seconds,
            m.samples_per_s
        );
        state.history.push(m.clone());
        state.epochs_done = epoch + 1;
        if m.valid_acc > state.best_valid_acc || state.best_epoch == 0 {
            state.best_valid_acc = m.valid_acc;
            state.best_epoch = m.epoch;
            save_checkpoint(&net, out_dir.join("best.bpk"))?;
            save_parameters(&net.valid(), out_dir.join("params.npz"))?;
            stale = 0;
        } else {
            stale += 1;
        }
        // Everything needed to resume, each file written atomically.
        save_checkpoint(&net, &ckpt)?;
        let bytes = optim
            .into_bytes()
            .map_err(|e| Error::Backend(format!("cannot serialise the optimiser: {e:?}")))?;
        rockpool_io::write_atomic(&optim_path, &bytes)?;
        write_atomic_str(
            &state_path,
            &serde_json::to_string_pretty(&state).expect("serialisable"),
        )?;
        write_metrics(out_dir, &state.history)?;
        if opts.early_stopping_patience > 0 && stale >= opts.early_stopping_patience {
            eprintln!("early stop: no better validation accuracy for {stale} epochs");
            break;
        }
    }
    let _ = std::io::stderr().flush();
    let (mut chip_acc, mut xylo_report) = (None, Vec::new());
    if let Some(x) = &cfg.xylo {
        let family: rockpool_xylo::XyloFamily = x
            .family
            .parse()
            .map_err(|e| Error::value("xylo", format!("{e}")))?;
        let q: crate::xylo::Quantization = x
            .quantize
            .parse()
            .map_err(|e: String| Error::value("xylo", e))?;
        let mut best = network.build(device)?;
        crate::persist::load_parameters(&mut best, out_dir.join("params.npz"))?;
        let probe = crate::xylo::probe_raster(300, best.size_in(), 0.05, 0);
        let best = match &mode {
            Some(m) => m.effective(&best)?,
            None => best,
        };
        let ex = crate::xylo::export(&best, family, q, x.fuzzy, &probe)?;
        ex.config
            .save(out_dir.join("config.json"))
            .map_err(|e| Error::value("xylo", e.to_string()))?;
        if let Some(labels) = valid_set.y.as_class() {
            let acc = crate::xylo::chip_accuracy(&ex.config, &valid_set.x, labels, 0)?;
            chip_acc = Some(acc);
            xylo_report = ex.report.clone();
            xylo_report.push(format!(
                "  validation accuracy: float {:.1} %, quantised on the simulated chip {:.1} %",
                100.0 * state.best_valid_acc,
                100.0 * acc
            ));
        } else {
            xylo_report = ex.report.clone();
        }
        if !ex.validation.is_valid() {
            xylo_report.push(format!(
                "  the configuration is NOT valid:\n{}",
                ex.validation
            ));
        }
    }
    Ok(TrainReport {
        history: state.history,
        best_valid_acc: state.best_valid_acc,
        best_epoch: state.best_epoch,
        out_dir: out_dir.to_path_buf(),
        chip_acc,
        xylo_report,
    })
}
