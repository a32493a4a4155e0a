//! Train the keyword task in Xylo mode, export, simulate the export bit-exactly, and compare
//! with the float model — the whole road to a XyloAudio 2 chip from Rust.
//!
//! Run with `cargo run --release --example xylo_deploy` (under a minute on two cores). It trains
//! `configs/xylo_keyword.toml` (int8 weights, int16 thresholds, bit-shift decays, the chip's
//! spike caps and hop delay) into `runs/xylo_deploy/`.

use rockpool::module::{Evolve, ModuleExt};
use rockpool::train::{TrainConfig, train};
use rockpool::xylo::chip_accuracy;
use rockpool::{Result, device};
use rockpool_xylo::{XyloConfig, XyloFamily};

fn main() -> Result<()> {
    let dev = device::default_device()?;
    let cfg = TrainConfig::load("configs/xylo_keyword.toml")?;
    let out = std::path::PathBuf::from("runs/xylo_deploy");
    // Trains under the chip's constraints; then maps, quantises, validates and writes
    // runs/xylo_deploy/config.json.
    let started = std::time::Instant::now();
    let report = train(&cfg, &out, &dev, false)?;
    println!(
        "trained in {:.0} s (best epoch {})",
        started.elapsed().as_secs_f64(),
        report.best_epoch
    );
    for line in &report.xylo_report {
        println!("{line}");
    }

    // Read the exported configuration back and run the validation set through the simulator.
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2)
        .map_err(|e| rockpool::Error::value("config", e.to_string()))?;
    let (_, valid) = cfg.datasets()?;
    let labels = valid.y.as_class().expect("classification task").to_vec();
    let chip = chip_accuracy(&config, &valid.x, &labels, 0)?;

    // The float model (the Xylo-mode network the training used) on the same data.
    let mut net = cfg.training_network()?.build(&dev)?;
    rockpool::persist::load_parameters(&mut net, out.join("params.npz"))?;
    let (n, t, c) = valid.x.dim();
    let x = burn::tensor::Tensor::<3>::from_data(
        burn::tensor::TensorData::new(valid.x.iter().copied().collect::<Vec<f32>>(), [n, t, c]),
        &dev,
    );
    let float_out = net.evolve_with(x, net.zero_state(n), false)?.output;
    let float = rockpool::train::loss::correct(&float_out, &labels) as f64 / n as f64;
    println!(
        "keyword validation accuracy ({n} samples): float model {:.1} %, exported configuration on XyloSim {:.1} %",
        100.0 * float,
        100.0 * chip
    );
    Ok(())
}
