//! How well a network trained for Xylo holds up under parameter mismatch, with and without
//! mismatch-aware training (Rockpool's `mismatch_generator` model: every parameter
//! `p' = p + p·σ·ξ`, `σ = percent_deviation / sigma_rule`).
//!
//! Trains `configs/xylo_keyword.toml` twice — plainly, and with
//! `[training] mismatch = { percent_deviation, sigma_rule }` — then, for each of `--trials`
//! seeds, perturbs the trained parameters, quantises and exports the network for the chip,
//! and measures its accuracy on the bit-exact simulated chip on a held-out test set. Prints the
//! mean, minimum and maximum chip accuracy of both.
//!
//! `cargo run --release --example mismatch_robustness -- --trials 10` (about a minute on two
//! cores); `--percent 0.3 --sigma-rule 3` are Rockpool's defaults.

use clap::Parser;
use rockpool::job::{self, JobConfig};
use rockpool::mismatch::Mismatch;
use rockpool::prelude::*;
use rockpool::train::TrainingMismatch;

/// Command-line options.
#[derive(Parser)]
struct Args {
    /// Mismatch draws per network.
    #[arg(long, default_value_t = 10)]
    trials: u64,
    /// Deviation at `sigma_rule` standard deviations (fraction).
    #[arg(long, default_value_t = 0.3)]
    percent: f64,
    /// Standard deviations that `percent` is.
    #[arg(long, default_value_t = 3.0)]
    sigma_rule: f64,
    /// Training epochs of each network.
    #[arg(long, default_value_t = 15)]
    epochs: usize,
    /// Where the two runs are written (default: a folder under the system's temporary one).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

fn main() -> rockpool::Result<()> {
    let args = Args::parse();
    let device = default_device()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = JobConfig::load(root.join("configs/xylo_keyword.toml"))?;
    let task = base.task.clone().expect("the keyword task");
    let test = task.generate(300, 4242)?;
    let labels = test.y.as_class().expect("class labels").to_vec();
    let xylo = base.xylo.clone().expect("a [xylo] section");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("rockpool-mismatch-robustness"));
    let mismatch = Mismatch {
        percent_deviation: args.percent,
        sigma_rule: args.sigma_rule,
        families: Vec::new(),
    };
    println!(
        "chip accuracy on {} held-out samples under mismatch σ = {:.3} ({} draws):",
        labels.len(),
        mismatch.sigma(),
        args.trials
    );
    for aware in [false, true] {
        let mut cfg = base.clone();
        cfg.training.epochs = args.epochs;
        cfg.training.mismatch = aware.then_some(TrainingMismatch {
            percent_deviation: args.percent,
            sigma_rule: args.sigma_rule,
        });
        let dir = out.join(if aware { "aware" } else { "plain" });
        let _ = std::fs::remove_dir_all(&dir);
        let report = job::run(&cfg, &dir, &device, false)?;
        let mode = cfg.xylo_mode()?.expect("Xylo mode");
        let network = cfg.training_network()?;
        let chip = |perturb: Option<u64>| -> rockpool::Result<f64> {
            let mut net = network.build(&device)?;
            rockpool::persist::load_parameters(&mut net, dir.join("params.npz"))?;
            if let Some(seed) = perturb {
                mismatch.apply(&mut net, seed)?;
            }
            let net = mode.effective(&net)?;
            let probe = rockpool::xylo::probe_raster(10, net.size_in(), 0.05, 0);
            let ex = rockpool::xylo::export(&net, xylo.family, xylo.quantize, xylo.fuzzy, &probe)?;
            rockpool::xylo::chip_accuracy(&ex.config, &test.x, &labels, 0)
        };
        let clean = chip(None)?;
        let accs = (0..args.trials)
            .map(|s| chip(Some(1000 + s)))
            .collect::<rockpool::Result<Vec<f64>>>()?;
        let mean = accs.iter().sum::<f64>() / accs.len().max(1) as f64;
        let (lo, hi) = accs
            .iter()
            .fold((1.0f64, 0.0f64), |(lo, hi), &a| (lo.min(a), hi.max(a)));
        println!(
            "  {:<24} float (valid) {:5.1} %  chip {:5.1} %  | under mismatch: mean {:5.1} %, min {:5.1} %, max {:5.1} %",
            if aware {
                "mismatch-aware training"
            } else {
                "plain training"
            },
            100.0 * report.training.best_valid_acc,
            100.0 * clean,
            100.0 * mean,
            100.0 * lo,
            100.0 * hi
        );
    }
    Ok(())
}
