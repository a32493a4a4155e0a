//! `rockpool train`.

use std::path::PathBuf;

use clap::Args;
use rockpool::Result;
use rockpool::device::{DeviceName, select_device};
use rockpool::job::{self, JobConfig};
use rockpool::train::{DeviceStrategy, Devices};

use super::output::outln;
use super::paths::check_output_distinct;
use super::values;

/// The help text's examples and the run folder's files.
pub const EXAMPLE: &str = "Example:
  rockpool train configs/default.toml                 # writes runs/default/
  rockpool train configs/default.toml --out runs/a --resume
  rockpool train configs/default.toml --overwrite     # start runs/default/ afresh

  rockpool train configs/default.toml --devices cuda:0,cuda:1   # data-parallel

The output folder gets checkpoints/ (one generation per epoch, committed as a set, for
--resume), best.bpk and params.npz (the best model; params.npz uses Rockpool's keys),
metrics.csv, loss.png and accuracy.png (and config.json in Xylo mode). A folder that already
holds a run is refused unless --resume or --overwrite is given. Progress: Burn's dashboard
when stdout is a terminal (ROCKPOOL_PLAIN_PROGRESS=1 turns it off), else one line per epoch.";

/// Arguments of `rockpool train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training configuration (TOML).
    config: PathBuf,
    /// Output folder (default: runs/<config name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from the checkpoint in the output folder.
    #[arg(long, conflicts_with = "overwrite")]
    resume: bool,
    /// Replace a run already in the output folder (its files are removed first).
    #[arg(long)]
    overwrite: bool,
    /// Override the number of epochs (at least 1).
    #[arg(long, allow_hyphen_values = true, value_parser = values::at_least_one)]
    epochs: Option<usize>,
    /// Device: default or a compiled-in backend (flex, ndarray, wgpu, cuda; cuda:1 for a
    /// second GPU).
    #[arg(long, conflicts_with = "devices")]
    device: Option<DeviceName>,
    /// Train data-parallel on several devices, comma-separated (e.g. cuda:0,cuda:1; a device
    /// may repeat, e.g. flex,flex for two CPU workers): every batch is split across them and
    /// the gradients are summed on the first (Burn's multi-device strategy).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    devices: Vec<DeviceName>,
    /// How several --devices share a step: auto (all-reduce on CUDA devices, gather
    /// elsewhere), gather (gradients summed on the first device), all-reduce (CUDA + NCCL).
    #[arg(long, default_value = "auto", requires = "devices")]
    strategy: DeviceStrategy,
}

/// Runs `rockpool train`: refuses an output folder whose files would replace the
/// configuration or the dataset, then trains and prints the report.
pub fn train(args: TrainArgs) -> Result<()> {
    let mut cfg = JobConfig::load(&args.config)?;
    if let Some(e) = args.epochs {
        cfg.training.epochs = e;
    }
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from("runs").join(
            args.config
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        )
    });
    let mut inputs: Vec<(&str, &std::path::Path)> = vec![("the configuration", &args.config)];
    if let Some(p) = &cfg.data.path {
        inputs.push(("the dataset", p));
    }
    check_output_distinct("--out", &out, &inputs)?;
    let run_files = rockpool::train::RUN_FILES.iter().chain(&[job::XYLO_CONFIG]);
    for name in run_files.clone() {
        check_output_distinct("--out", &out.join(name), &inputs)?;
    }
    let devices = if args.devices.is_empty() {
        Devices::one(&select_device(args.device)?)
    } else {
        let list = args
            .devices
            .iter()
            .map(|d| d.device())
            .collect::<Result<_>>()?;
        Devices::new(list).with_strategy(args.strategy)
    };
    // Checked before anything is written.
    devices.execution()?;
    if args.overwrite {
        job::clear_run(&out)?;
    }
    let report = job::run_on(&cfg, &out, &devices, args.resume)?;
    for line in &report.xylo_report {
        outln!("{line}");
    }
    let report = report.training;
    let last = report.history.last().cloned().unwrap_or_default();
    outln!(
        "best validation accuracy {:.1}% (epoch {}); final train accuracy {:.1}%; outputs in {}",
        100.0 * report.best_valid_acc,
        report.best_epoch,
        100.0 * last.train_acc,
        report.out_dir.display()
    );
    Ok(())
}
