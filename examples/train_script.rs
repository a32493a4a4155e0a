//! A training loop as a Rust user writes it: a built-in task, a small spiking network, the
//! crate's loss, Burn's Adam, a progress bar, and the validation accuracy after each epoch.
//!
//! Run with `cargo run --release --example train_script` (a few seconds on two cores; the
//! network learns the four frozen-noise patterns to well above the 25 % of chance) or with
//! `-- --epochs 1` for a quick check. `rockpool train configs/frozen_noise.toml` is the same
//! job through the built-in trainer (learning-rate schedule, checkpoints, early stopping).

use burn::optim::{AdamConfig, GradientsParams};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rockpool::data;
use rockpool::device::device_of;
use rockpool::prelude::*;
use rockpool::tasks::FrozenNoiseConfig;
use rockpool::train::loss::{Loss, correct};

/// Command-line options.
#[derive(Parser)]
struct Args {
    /// Passes over the training set.
    #[arg(long, default_value_t = 10)]
    epochs: u64,
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
    let mut net: Sequential = Sequential::from_modules([
        Layer::from(LinearConfig::new(16, 64).init(&dev)),
        Layer::from(lif(64)?),
        Layer::from(LinearConfig::new(64, 4).init(&dev)),
        Layer::from(lif(4)?),
    ])?;

    // Four frozen Poisson spike patterns, jittered and corrupted: [N, 100 steps, 16 channels].
    let task = FrozenNoiseConfig::default();
    let (train, valid) = (task.generate(800, 0)?, task.generate(200, 1)?);

    let mut optim = AdamConfig::new().init();
    let bar = ProgressBar::new(args.epochs * train.len().div_ceil(32) as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} batches, {msg}")?,
    );
    for epoch in 0..args.epochs {
        for batch in data::batches(&train, 32, Some(epoch), &dev)? {
            let n = batch.len(); // each sample starts from rest: a zero state with n rows
            let out = net.evolve_with(batch.x, net.zero_state(n), false)?;
            let loss = Loss::CrossEntropy.compute(out.output, &batch.target)?;
            bar.set_message(format!("loss {:.3}", loss.clone().into_scalar::<f32>()));
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(1e-3, net, grads);
            bar.inc(1);
        }
        // Evaluation needs no gradients: the same network on the plain device.
        let model = net.valid();
        let all = data::full_batch(&valid, &device_of(&model)?);
        let out = model.evolve_with(all.x, model.zero_state(valid.len()), false)?;
        let accuracy = correct(&out.output, data::labels(&valid)?) as f64 / valid.len() as f64;
        // (`suspend` rather than `println`: the line also appears when the bar is hidden.)
        bar.suspend(|| {
            println!(
                "epoch {}: validation accuracy {:.1} %",
                epoch + 1,
                100.0 * accuracy
            )
        });
    }
    bar.finish_and_clear();
    Ok(())
}
