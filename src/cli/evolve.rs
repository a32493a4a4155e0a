//! `rockpool evolve` and `rockpool show`.

use std::path::PathBuf;

use burn::tensor::Tensor;
use clap::Args;
use rockpool::device::{DeviceName, select_device};
use rockpool::error::{Error, Result, fmt_shape};
use rockpool::module::{IntoBatched, ModuleExt, ModuleView};
use rockpool::network::load_network;
use rockpool::persist::{load_parameters, npy_to_data, save_evolution};

pub const EXAMPLE: &str = "Examples:
  rockpool evolve --net net.toml --params params.npz --input x.npy --out result.npz --record
  rockpool evolve --net net.toml --input signal.npz --out output.npz

An array input is a .npy array (T, N) or (B, T, N) (a single channel is broadcast to every
input); the output file then holds `output` (B, T, N_out), `state.<path>` for the final state
and, with --record, `record.<path>` for every recorded trace.

A time-series input (an .npz saved by TSContinuous/TSEvent, here or in Python Rockpool) runs
the network timed: the series is sampled (continuous) or rasterised (events) every dt, the
output is written as a time series in Rockpool's layout, and with --record every trace is
written beside it as `<out>.record.<path>.npz`.";

pub const SHOW_EXAMPLE: &str = "Example:
  rockpool show --net net.toml --params params.npz";

/// Arguments of `rockpool evolve`.
#[derive(Args, Debug)]
pub struct EvolveArgs {
    /// Network file (TOML).
    #[arg(long)]
    net: PathBuf,
    /// Parameters to load (.npz keyed by dotted paths, e.g. `1_Rate.tau`).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Input array (.npy), shape (T, N) or (B, T, N).
    #[arg(long)]
    input: PathBuf,
    /// Where to write the result (.npz).
    #[arg(long)]
    out: PathBuf,
    /// Also record internal traces.
    #[arg(long)]
    record: bool,
    /// Device: default or a compiled-in backend (flex, ndarray, wgpu, cuda; cuda:1 for a
    /// second GPU). Without it: BURN_DEVICE, or the first backend compiled in.
    #[arg(long)]
    device: Option<DeviceName>,
    /// Time step for a time-series input, seconds (default: the network's `dt`).
    #[arg(long)]
    dt: Option<f64>,
    /// Duration to simulate for a time-series input, seconds (default: to the input's end).
    #[arg(long)]
    duration: Option<f64>,
}

/// Arguments of `rockpool show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Network file (TOML).
    #[arg(long)]
    net: PathBuf,
    /// Parameters to load (.npz).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Device (as for `rockpool evolve`).
    #[arg(long)]
    device: Option<DeviceName>,
}

pub fn evolve(args: EvolveArgs) -> Result<()> {
    let device = select_device(args.device)?;
    let mut net = load_network(&args.net, &device)?;
    if let Some(p) = &args.params {
        let report = load_parameters(&mut net, p)?;
        for m in &report.missing {
            eprintln!(
                "warning: {} has no entry for '{m}'; keeping its initial value",
                p.display()
            );
        }
    }
    if args.input.extension().is_some_and(|e| e == "npz") {
        return evolve_timed(net, &args);
    }
    let arr = rockpool_io::read_npy(&args.input)?;
    let data = npy_to_data(&arr);
    let shape = data.shape().to_vec();
    let input: Tensor<3> = match shape.len() {
        1 => Tensor::<1>::from_data(data, &device).into_batched(),
        2 => Tensor::<2>::from_data(data, &device).into_batched(),
        3 => Tensor::<3>::from_data(data, &device),
        _ => {
            return Err(Error::Shape {
                what: format!("input {}", args.input.display()),
                expected: "(T,), (T, N) or (B, T, N)".into(),
                got: fmt_shape(&shape),
            });
        }
    };
    if input.clone().is_nan().any().into_scalar::<bool>() {
        return Err(Error::value(
            format!("input {}", args.input.display()),
            "contains NaN values",
        ));
    }
    let ev = net.evolve(input, args.record)?;
    save_evolution(&ev, &args.out)?;
    eprintln!(
        "evolved {} over input {} -> output {}; wrote {}",
        net.class_name(),
        fmt_shape(&shape),
        fmt_shape(&ev.output.dims()),
        args.out.display()
    );
    Ok(())
}

fn evolve_timed(net: rockpool::nn::Sequential, args: &EvolveArgs) -> Result<()> {
    use rockpool::timed::TimedExt;
    let series = rockpool::timeseries::load_timeseries(&args.input)?;
    let mut timed = net.timed(args.dt)?;
    let ev = timed.evolve(Some(&series), args.duration, None, args.record)?;
    let written = ev.output.save(&args.out)?;
    let mut n_records = 0;
    for (path, ts) in ev.record.leaves() {
        let file = PathBuf::from(format!(
            "{}.record.{path}.npz",
            args.out.with_extension("").display()
        ));
        ts.save(&file)?;
        n_records += 1;
    }
    eprintln!(
        "evolved {} timed (dt = {} s) over '{}' -> {} {}{}",
        timed.module().class_name(),
        timed.dt(),
        args.input.display(),
        ev.output.type_name(),
        written.display(),
        if n_records > 0 {
            format!(" and {n_records} record series")
        } else {
            String::new()
        }
    );
    Ok(())
}

pub fn show(args: ShowArgs) -> Result<()> {
    let device = select_device(args.device)?;
    let mut net = load_network(&args.net, &device)?;
    if let Some(p) = &args.params {
        load_parameters(&mut net, p)?;
    }
    println!("{}", net.describe());
    let view: &dyn ModuleView = &net;
    println!("\nparameters:");
    for (path, a) in view.parameters(()).leaves() {
        println!(
            "  {path} [{}]: {}",
            a.family.as_ref().map(|f| f.to_string()).unwrap_or_default(),
            a.value
        );
    }
    println!("\nsimulation parameters:");
    for (path, a) in view.simulation_parameters(()).leaves() {
        println!("  {path}: {}", a.value);
    }
    println!("\nstate:");
    for (path, a) in view.state().leaves() {
        println!("  {path}: {}", a.value);
    }
    Ok(())
}
