//! A training script as a Rust user writes it, on Burn's training engine: a built-in task, a
//! small spiking network, a loss of the script's own, Burn's Adam and `SupervisedTraining`
//! with rockpool's data loaders and metrics, and the validation accuracy after each epoch.
//!
//! Run with `cargo run --release --example train_script` (a few seconds on two cores; the
//! network learns the four frozen-noise patterns to well above the 25 % of chance) or with
//! `-- --epochs 1` for a quick check. `rockpool train configs/frozen_noise.toml` is the same
//! job through the built-in trainer (learning-rate schedule, checkpoints, early stopping).
//! Pass `--devices 2` to train data-parallel on two workers.

use std::sync::Arc;

use burn::optim::AdamConfig;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use burn_train::metric::LossMetric;
use burn_train::{ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining};
use clap::Parser;
use rockpool::prelude::*;
use rockpool::tasks::FrozenNoiseConfig;
use rockpool::train::loss::{Loss, Target, counts};
use rockpool::train::meters::{AccuracyMetric, MemoryLogger};
use rockpool::train::render::PlainRenderer;
use rockpool::train::{EpochLoader, Objective, Trainee};

/// Command-line options.
#[derive(Parser)]
struct Args {
    /// Passes over the training set.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Workers to train on (data-parallel; on the CPU they share the one device).
    #[arg(long, default_value_t = 1)]
    devices: usize,
}

/// The script's own loss: cross-entropy of the output spike counts `[B, K]`.
fn spike_count_cross_entropy(output: Tensor<3>, target: &Target) -> rockpool::Result<Tensor<1>> {
    let Target::Classes(labels) = target else {
        return Err(rockpool::Error::value("target", "class labels expected"));
    };
    let b = labels.len();
    let logp = log_softmax(counts(output), 1);
    let idx: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    let idx = Tensor::<2, Int>::from_data(TensorData::new(idx, [b, 1]), &logp.device());
    Ok(logp.gather(1, idx).mean().neg())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dev = autodiff(&default_device()?);
    seed(&dev, 1);

    // Linear(16→64) – LIF(64) – Linear(64→4) – LIF(4), one spike per neuron and step at most.
    let lif = |n| {
        LifConfig::new(n)
            .with_tau_syn(0.01)
            .with_max_spikes(1.0)
            .with_surrogate(Surrogate::FastSigmoid { slope: 5.0 })
            .init(&dev)
    };
    let net: Sequential = Sequential::from_modules([
        Layer::from(LinearConfig::new(16, 64).init(&dev)),
        Layer::from(lif(64)?),
        Layer::from(LinearConfig::new(64, 4).init(&dev)),
        Layer::from(lif(4)?),
    ])?;

    // Four frozen Poisson spike patterns, jittered and corrupted: [N, 100 steps, 16 channels].
    let task = FrozenNoiseConfig::default();
    let (train, valid) = (task.generate(800, 0)?, task.generate(200, 1)?);

    // The network and the loss as a Burn model; the data as Burn data loaders.
    let objective = Objective::new(Loss::CrossEntropy)
        .with_loss_fn(Arc::new(spike_count_cross_entropy))
        .with_valid_rate(false);
    let trainee = Trainee::new(net, objective.clone());
    let train = EpochLoader::new(Arc::new(train), 32, Some(0), &dev)?.shards(args.devices);
    let valid = EpochLoader::new(Arc::new(valid), 32, None, &dev.clone().inner())?;

    let strategy = match args.devices {
        0 | 1 => ExecutionStrategy::single(dev.clone()),
        n => ExecutionStrategy::multi(vec![dev.clone(); n], MultiDeviceOptim::OptimMainDevice),
    };
    let result = SupervisedTraining::new(
        std::env::temp_dir().join("rockpool-train-script"),
        Arc::new(train),
        Arc::new(valid),
    )
    .num_epochs(args.epochs)
    .with_training_strategy(strategy.into())
    .with_application_logger(None)
    .with_metric_logger(MemoryLogger::default())
    .metric_train_numeric(LossMetric::new())
    .metric_valid_numeric(LossMetric::new())
    .metric_train_numeric(AccuracyMetric::default())
    .metric_valid_numeric(AccuracyMetric::default())
    .renderer(Box::new(PlainRenderer::with_epoch_lines()))
    .launch(Learner::new(trainee, AdamConfig::new().init(), 1e-3));
    if let Some(e) = objective.take_failure() {
        return Err(e.into());
    }
    if let Some(e) = result.error {
        return Err(format!("training failed: {e}").into());
    }
    println!("trained: {}", result.model.net.names().join(" → "));
    Ok(())
}
