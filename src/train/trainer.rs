//! The training loop: epochs of shuffled mini-batches through BPTT, validation after each
//! epoch, the best model kept, early stopping, and everything written to the run folder
//! ([`run_dir`](super::run_dir)) so a run can resume.

use std::io::Write;

/// Progress lines on stderr; a closed or full stderr does not stop training (unlike
/// `eprintln!`, which panics), the run's files are still written.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use indicatif::{ProgressBar, ProgressStyle};

use super::loss::{self, Loss, Target};
use super::metrics::EpochMetrics;
use super::options::TrainingOptions;
use super::regularisers::{bounds_of, hidden_spikes, weights_of};
use super::run_dir::{RunDir, TrainState};
use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, ModuleExt, StateTree};
use crate::network::NetworkConfig;
use crate::nn::{Layer, Sequential};
use rockpool_tasks::Dataset;

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

/// How the trainer evolves the network on a batch `[B, T, C]` from a state, with or without
/// records: [`Evolve::evolve_with`] ([`plain`]) unless a transform of ordinary modules says
/// otherwise (Xylo-mode training, composed by [`crate::job`], fake-quantises weights and puts
/// thresholds on their grid this way).
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
/// everything into `out_dir` (see the [module docs](super)): the network is built on the
/// autodiff form of `device` (seeded by its own `seed`), trained with BPTT for
/// [`opts.epochs`](TrainingOptions::epochs) epochs or until early stopping, and the best
/// model by validation accuracy is kept in `params.npz` / `best.bpk`. With `resume`, continues
/// from the checkpoint in `out_dir`.
///
/// Errors when the network's input or output width does not fit the data, the loss becomes
/// non-finite, or a file cannot be read or written.
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
    train_with(network, data, opts, out_dir, device, resume, &plain)
}

/// [`train`] with the network evolved through `forward` (see [`Forward`]) in training and
/// validation; `data` is (training set, validation set).
pub fn train_with(
    network: &NetworkConfig,
    (train_set, valid_set): (&Dataset, &Dataset),
    opts: &TrainingOptions,
    out_dir: &Path,
    device: &Device,
    resume: bool,
    forward: Forward<'_>,
) -> Result<TrainReport> {
    let run = RunDir::create(out_dir, resume)?;
    let ad = crate::device::autodiff(device);
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
    let mut optim = opts.optimizer();
    let mut state = TrainState::default();
    if resume {
        (net, optim, state) = run.resume(net, optim)?;
        note!("resuming after epoch {}", state.epochs_done);
    }
    let dt = crate::timed::module_dt(&net).unwrap_or(crate::nn::defaults::DT);
    let mut stale = state.stale_epochs;
    for epoch in state.epochs_done..opts.epochs {
        let lr = opts.lr_at(epoch);
        let started = Instant::now();
        let shuffle = opts.seed.wrapping_add(epoch as u64);
        let batches = crate::data::batches(train_set, opts.batch_size, Some(shuffle), &ad)?;
        let bar = ProgressBar::new(batches.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{}/{}", epoch + 1, opts.epochs));
        let (mut total, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for batch in batches {
            let (x, target) = (batch.x, batch.target);
            let b = x.dims()[0];
            let want_record = opts.activity_weight > 0.0;
            let ev = forward(&net, x, net.zero_state(b), want_record)?;
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
        let (valid_loss, valid_acc) =
            evaluate(&net, valid_set, opts.loss, opts.batch_size, device, forward)?;
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
        note!(
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
            run.save_best(&net)?;
            stale = 0;
        } else {
            stale += 1;
        }
        state.stale_epochs = stale;
        run.save_epoch(&net, &optim, &state)?;
        if opts.early_stopping_patience > 0 && stale >= opts.early_stopping_patience {
            note!("early stop: no better validation accuracy for {stale} epochs");
            break;
        }
    }
    let _ = std::io::stderr().flush();
    Ok(TrainReport {
        history: state.history,
        best_valid_acc: state.best_valid_acc,
        best_epoch: state.best_epoch,
        out_dir: out_dir.to_path_buf(),
    })
}
