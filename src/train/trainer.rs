//! `rockpool train`'s trainer, assembled from Burn's training engine: the network and its
//! [`Objective`] as a [`Trainee`] (Burn's `TrainStep`/`InferenceStep`), the task datasets
//! behind [`EpochLoader`]s, Burn's optimisers with our schedules ([`EpochSchedule`]), Burn's
//! loss and learning-rate metrics with ours (accuracy, firing rate), and the run folder as
//! Burn's checkpointers, checkpointing strategy and early-stopping strategy
//! ([`run_dir`](super::run_dir)). One device trains with Burn's single-device strategy,
//! several with its multi-device strategy (gradients gathered on the first device).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataloader::DataLoader;
use burn::module::Module;
use burn::tensor::distributed::{DistributedConfig, ReduceOperation};
use burn::tensor::{Device, Tensor};
use burn_train::metric::{LearningRateMetric, LossMetric};
use burn_train::{ExecutionStrategy, Interrupter, Learner, MultiDeviceOptim, SupervisedTraining};

use super::checkpointer::{LedgerStrategy, Patience, RunCheckpointer};
use super::loader::{EpochLoader, SampleSource};
use super::loss::{Loss, Target};
use super::meters::{AccuracyMetric, FiringRateMetric, MemoryLogger};
use super::metrics::EpochMetrics;
use super::options::TrainingOptions;
use super::run_dir::{Ledger, Part};
use super::schedule::EpochSchedule;
use super::step::{ForwardFn, Objective, Trainee};
use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, ModuleExt, StateTree};
use crate::network::NetworkConfig;
use crate::nn::{Layer, Sequential};
use rockpool_tasks::Dataset;

/// How several devices share a training step (see [`Devices`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DeviceStrategy {
    /// All-reduce where the backend can (CUDA devices, with NCCL), gather elsewhere.
    #[default]
    Auto,
    /// Burn's multi-device strategy: gradients gathered and summed on the first device, which
    /// steps the optimiser (any backend; transfers go through the host where the runtime has
    /// no device-to-device transport).
    Gather,
    /// Burn's distributed data parallel strategy: every device keeps a copy of the model and
    /// the gradients are summed by an all-reduce in the backward (CUDA with NCCL only).
    AllReduce,
}

rockpool_io::text_enum! {
    DeviceStrategy("device strategy") {
        Auto => "auto",
        Gather => "gather",
        AllReduce => "all-reduce" | "all_reduce" | "allreduce" | "ddp",
    }
}

/// The devices a run trains on, and how they share a step.
#[derive(Clone, Debug)]
pub struct Devices {
    /// The devices; the first one validates and holds the result. One device may appear more
    /// than once (several workers on it).
    pub list: Vec<Device>,
    /// How they share a step.
    pub strategy: DeviceStrategy,
}

impl Devices {
    /// Several devices, [`DeviceStrategy::Auto`].
    pub fn new(list: Vec<Device>) -> Self {
        Self {
            list,
            strategy: DeviceStrategy::Auto,
        }
    }

    /// One device.
    pub fn one(device: &Device) -> Self {
        Self::new(vec![device.clone()])
    }

    /// The same devices shared as `strategy` says.
    pub fn with_strategy(mut self, strategy: DeviceStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Whether every device is a CUDA device (the backends whose devices can all-reduce).
    fn all_cuda(&self) -> bool {
        #[cfg(feature = "cuda")]
        {
            self.list.iter().all(|d| {
                let d = d.clone().inner();
                (0..64usize).any(|i| d == Device::cuda(i))
            })
        }
        #[cfg(not(feature = "cuda"))]
        {
            false
        }
    }

    /// Burn's execution strategy for these devices (their autodiff forms).
    ///
    /// # Errors
    /// [`Error::Value`] if the list is empty, or all-reduce is asked for devices that cannot
    /// all-reduce.
    pub fn execution(&self) -> Result<ExecutionStrategy> {
        let ads: Vec<Device> = self.list.iter().map(crate::device::autodiff).collect();
        let Some(first) = ads.first().cloned() else {
            return Err(Error::value("--devices", "no device given"));
        };
        if ads.len() == 1 {
            return Ok(ExecutionStrategy::single(first));
        }
        let all_reduce = match self.strategy {
            DeviceStrategy::Gather => false,
            DeviceStrategy::Auto => self.all_cuda(),
            DeviceStrategy::AllReduce if self.all_cuda() => true,
            DeviceStrategy::AllReduce => {
                return Err(Error::value(
                    "--strategy",
                    "all-reduce needs CUDA devices (and the NCCL library); Burn 0.22's other \
                     backends cannot all-reduce: use --strategy gather",
                ));
            }
        };
        Ok(if all_reduce {
            // Each device's loss is weighted by its share of the global batch: the sum of the
            // gradients is the global batch's gradient.
            let config = DistributedConfig {
                all_reduce_op: ReduceOperation::Sum,
            };
            ExecutionStrategy::ddp(ads, config)
        } else {
            ExecutionStrategy::multi(ads, MultiDeviceOptim::OptimMainDevice)
        })
    }
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
}

/// How [`evaluate`] evolves the network on a batch `[B, T, C]` from a state, with or without
/// records: [`Evolve::evolve_with`] ([`plain`]) or a transform (see [`ForwardFn`]).
pub type Forward<'a> =
    &'a (dyn Fn(&Sequential<Layer>, Tensor<3>, StateTree, bool) -> Result<Evolution> + 'a);

/// The plain forward: [`Evolve::evolve_with`].
pub fn plain(
    net: &Sequential<Layer>,
    input: Tensor<3>,
    state: StateTree,
    record: bool,
) -> Result<Evolution> {
    net.evolve_with(input, state, record)
}

/// Evaluates `net` on `data` through `forward` (usually [`plain`]): (mean loss, accuracy).
pub fn evaluate(
    net: &Sequential<Layer>,
    data: &Dataset,
    loss: Loss,
    batch_size: usize,
    device: &Device,
    forward: Forward<'_>,
) -> Result<(f64, f64)> {
    let valid = net.valid();
    let (mut total, mut correct, mut n) = (0.0, 0usize, 0usize);
    for batch in crate::data::batches(data, batch_size, None, device)? {
        let (x, target) = (batch.x, batch.target);
        let b = x.dims()[0];
        let ev = forward(&valid, x, valid.zero_state(b), false)?;
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

/// Trains `network` on `train_set`, validating on `valid_set` after every epoch, and writes
/// everything into `out_dir` (see the [module docs](super)) on one device: [`train_with`]
/// with the plain forward.
pub fn train(
    network: &NetworkConfig,
    train_set: &Dataset,
    valid_set: &Dataset,
    opts: &TrainingOptions,
    out_dir: &Path,
    device: &Device,
    resume: bool,
) -> Result<TrainReport> {
    let data = (train_set, valid_set);
    train_with(
        network,
        data,
        opts,
        out_dir,
        &Devices::one(device),
        resume,
        None,
    )
}

/// The objective `opts` describes for a network of time step `dt`.
pub fn objective(opts: &TrainingOptions, dt: f64) -> Objective {
    Objective::new(opts.loss)
        .with_activity(opts.activity_weight, opts.activity_target_hz)
        .with_l2(opts.l2)
        .with_bounds(opts.bounds.clone(), opts.bounds_weight)
        .with_dt(dt)
        .with_seed(opts.seed)
        .with_mismatch(
            opts.mismatch
                .map_or(0.0, |m| m.percent_deviation / m.sigma_rule),
        )
}

/// Trains `network` (built on the autodiff form of the first device, seeded by its own `seed`)
/// for [`opts.epochs`](TrainingOptions::epochs) epochs or until early stopping, on Burn's
/// training engine: one device, or data-parallel over all of `devices` (every global batch of
/// `batch_size` samples split across them, the gradients summed as [`DeviceStrategy`] says;
/// the same device may appear more than once, e.g. to run two CPU workers). `data` is (training set, validation
/// set); `forward`, when given, evolves the network instead of [`Evolve::evolve_with`] in
/// training and validation. With `resume`, continues from the last committed generation in
/// `out_dir`.
///
/// Errors when the network's input or output width does not fit the data, a loss becomes
/// non-finite, a file cannot be read or written, or `devices` is empty.
pub fn train_with(
    network: &NetworkConfig,
    (train_set, valid_set): (&Dataset, &Dataset),
    opts: &TrainingOptions,
    out_dir: &Path,
    devices: &Devices,
    resume: bool,
    forward: Option<ForwardFn>,
) -> Result<TrainReport> {
    let sources = (
        SampleSource::from_task(Arc::new(train_set.clone())),
        SampleSource::from_task(Arc::new(valid_set.clone())),
    );
    train_sources(network, sources, opts, out_dir, devices, resume, forward)
}

/// [`train_with`] on any sources of samples (e.g. event datasets read from disk as training
/// goes: nothing needs to be held in memory).
pub fn train_sources(
    network: &NetworkConfig,
    (train_set, valid_set): (SampleSource, SampleSource),
    opts: &TrainingOptions,
    out_dir: &Path,
    devices: &Devices,
    resume: bool,
    forward: Option<ForwardFn>,
) -> Result<TrainReport> {
    let strategy = devices.execution()?;
    let Some(device) = devices.list.first() else {
        return Err(Error::value("--devices", "no device given"));
    };
    let ad = crate::device::autodiff(device);
    let net = network.build(&ad)?;
    if net.size_in() != train_set.size_in {
        return Err(Error::config(
            "network",
            format!(
                "the network takes {} input channels but the data have {}",
                net.size_in(),
                train_set.size_in
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
    let dt = crate::timed::module_dt(&net).unwrap_or(crate::nn::defaults::DT);
    let interrupter = Interrupter::new();
    let mut objective = objective(opts, dt).with_interrupter(interrupter.clone());
    if let Some(f) = forward {
        objective = objective.with_forward(f);
    }
    let trainee = Trainee::new(net, objective.clone());
    let dashboard = super::render::dashboard();
    let ledger = Ledger::open(
        out_dir,
        resume,
        trainee.clone(),
        (opts.epochs, train_set.len(), opts.early_stopping_patience),
        dashboard,
    )?;
    let done = ledger.epochs_done();
    let report = |ledger: &Ledger| {
        let state = ledger.state();
        TrainReport {
            history: state.history,
            best_valid_acc: state.best_valid_acc,
            best_epoch: state.best_epoch,
            out_dir: out_dir.to_path_buf(),
        }
    };
    if resume {
        super::run_dir::note(&format!("resuming after epoch {done}"));
        let state = ledger.state();
        let patience = opts.early_stopping_patience;
        if done >= opts.epochs || (patience > 0 && state.stale_epochs >= patience) {
            return Ok(report(&ledger));
        }
    }
    let train = EpochLoader::from_source(&train_set, opts.batch_size, Some(opts.seed), &ad)?
        .starting_at(done)
        .shards(devices.list.len());
    let valid =
        EpochLoader::from_source(&valid_set, opts.batch_size, None, &device.clone().inner())?
            // Its epoch numbers seed validation's random draws.
            .starting_at(done);
    let schedule = EpochSchedule::new(opts, train.num_batches());
    let learner = Learner::new(trainee, opts.optimizer(), schedule);
    let part = |part| RunCheckpointer {
        ledger: ledger.clone(),
        part,
    };
    let mut training = SupervisedTraining::<Trainee>::new(
        out_dir,
        Arc::new(train) as Arc<dyn DataLoader<_>>,
        Arc::new(valid) as Arc<dyn DataLoader<_>>,
    )
    .num_epochs(opts.epochs)
    .with_interrupter(interrupter.clone())
    .with_application_logger(None)
    .with_metric_logger(MemoryLogger::default())
    .metric_train_numeric(LossMetric::new())
    .metric_valid_numeric(LossMetric::new())
    .metric_train_numeric(AccuracyMetric::default())
    .metric_valid_numeric(AccuracyMetric::default())
    .metric_train_numeric(LearningRateMetric::new())
    .metric_valid_numeric(FiringRateMetric::default())
    .with_custom_checkpointers(
        part(Part::Model),
        part(Part::Optimizer),
        part(Part::Scheduler),
    )
    .with_checkpointing_strategy(LedgerStrategy(ledger.clone()))
    .early_stopping(Patience(ledger.clone()))
    .renderer(super::render::renderer(
        interrupter.clone(),
        (done > 0).then_some(done),
    ));
    if done > 0 {
        training = training.checkpoint(done);
    }
    let result = training
        .with_training_strategy(strategy.into())
        .launch(learner);
    if let Some(e) = objective.take_failure() {
        return Err(e);
    }
    if let Some(e) = ledger.take_failure() {
        return Err(e);
    }
    if let Some(e) = result.error {
        return Err(Error::Backend(format!("training failed: {e}")));
    }
    Ok(report(&ledger))
}
