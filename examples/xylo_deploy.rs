//! Train the keyword task in Xylo mode, export, simulate the export bit-exactly, and compare
//! with the float model — the whole road to a XyloAudio 2 chip from Rust.
//!
//! Run with `cargo run --release --example xylo_deploy [OUT_DIR]` (about a minute on two
//! cores). It trains `configs/xylo_keyword.toml` (int8 weights, int16 thresholds, bit-shift
//! decays, the chip's spike caps and hop delay) into `OUT_DIR` (default `runs/xylo_deploy/`),
//! which ends with the exported `config.json`.

use rockpool::job::{JobConfig, run};
use rockpool::module::ModuleExt;
use rockpool::xylo::chip_accuracy;
use rockpool::{Result, data, device};
use rockpool_xylo::{XyloConfig, XyloFamily};

fn main() -> Result<()> {
    let dev = device::default_device()?;
    let cfg = JobConfig::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/xylo_keyword.toml"),
    )?;
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "runs/xylo_deploy".into()),
    );
    // Trains under the chip's constraints; then maps, quantises, validates and writes
    // OUT_DIR/config.json.
    let started = std::time::Instant::now();
    let report = run(&cfg, &out, &dev, false)?;
    println!(
        "trained in {:.0} s (best epoch {})",
        started.elapsed().as_secs_f64(),
        report.training.best_epoch
    );
    for line in &report.xylo_report {
        println!("{line}");
    }

    // Read the exported configuration back and run the validation set through the simulator.
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2)
        .map_err(|e| rockpool::Error::value("config", e.to_string()))?;
    let (_, valid) = cfg.datasets()?;
    let labels = data::labels(&valid)?;
    let chip = chip_accuracy(&config, &valid.x, labels, 0)?;

    // The float model on the same data, evolved as in training: the Xylo-mode network with
    // fake-quantised weights and thresholds on their grid.
    let mut net = cfg.training_network()?.build(&dev)?;
    rockpool::persist::load_parameters(&mut net, out.join("params.npz"))?;
    let mode = cfg
        .xylo_mode()?
        .expect("the configuration has a [xylo] table");
    let all = data::full_batch(&valid, &dev);
    let float_out = mode.evolve(&net, all.x, net.zero_state(valid.len()), false)?;
    let float =
        rockpool::train::loss::correct(&float_out.output, labels) as f64 / valid.len() as f64;
    println!(
        "keyword validation accuracy ({} samples): float model {:.1} %, exported configuration on XyloSim {:.1} %",
        valid.len(),
        100.0 * float,
        100.0 * chip
    );
    Ok(())
}
