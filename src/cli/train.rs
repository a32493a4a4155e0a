//! `rockpool train`.

use std::path::PathBuf;

use clap::Args;
use rockpool::Result;
use rockpool::device::{DeviceName, select_device};
use rockpool::job::{self, JobConfig};

pub const EXAMPLE: &str = "Example:
  rockpool train configs/default.toml                 # writes runs/default/
  rockpool train configs/default.toml --out runs/a --resume

The output folder gets checkpoint.bpk / optimizer.bpk / train_state.json (every epoch, for
--resume), best.bpk and params.npz (the best model; params.npz uses Rockpool's keys),
metrics.csv, loss.png and accuracy.png.";

/// Arguments of `rockpool train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training configuration (TOML).
    config: PathBuf,
    /// Output folder (default: runs/<config name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from the checkpoint in the output folder.
    #[arg(long)]
    resume: bool,
    /// Override the number of epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Device: default or a compiled-in backend (flex, ndarray, wgpu, cuda; cuda:1 for a
    /// second GPU).
    #[arg(long)]
    device: Option<DeviceName>,
}

pub fn train(args: TrainArgs) -> Result<()> {
    let mut cfg = JobConfig::load(&args.config)?;
    if let Some(e) = args.epochs {
        cfg.training.epochs = e.max(1);
    }
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from("runs").join(
            args.config
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        )
    });
    let device = select_device(args.device)?;
    let report = job::run(&cfg, &out, &device, args.resume)?;
    for line in &report.xylo_report {
        println!("{line}");
    }
    let report = report.training;
    let last = report.history.last().cloned().unwrap_or_default();
    println!(
        "best validation accuracy {:.1}% (epoch {}); final train accuracy {:.1}%; outputs in {}",
        100.0 * report.best_valid_acc,
        report.best_epoch,
        100.0 * last.train_acc,
        report.out_dir.display()
    );
    Ok(())
}
