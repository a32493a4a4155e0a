//! `rockpool evolve` and `rockpool show`.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use clap::Args;
use rockpool::device::{DeviceName, select_device};
use rockpool::error::{Error, Result, fmt_shape};
use rockpool::module::{IntoBatched, ModuleExt, ModuleView};
use rockpool::network::load_network;
use rockpool::persist::{load_parameters, save_evolution};

use super::output::{errln, outln};
use super::paths::check_output_distinct;
use super::values;

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
    #[arg(long, allow_hyphen_values = true, value_parser = values::positive_seconds)]
    dt: Option<f64>,
    /// Duration to simulate for a time-series input, seconds (default: to the input's end).
    #[arg(long, allow_hyphen_values = true, value_parser = values::positive_seconds)]
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

/// Runs `rockpool evolve`: refuses an output that names an input, then loads the network,
/// parameters and input (checked: shape, no empty axis, finite values) and writes the result.
pub fn evolve(args: EvolveArgs) -> Result<()> {
    let timed = args.input.extension().is_some_and(|e| e == "npz");
    check_distinct_from_inputs(&args, &written_path(&args.out, timed))?;
    let device = select_device(args.device)?;
    let mut net = load_network(&args.net, &device)?;
    if let Some(p) = &args.params {
        let report = load_parameters(&mut net, p)?;
        for m in &report.missing {
            errln!(
                "warning: {} has no entry for '{m}'; keeping its initial value",
                p.display()
            );
        }
    }
    if timed {
        return evolve_timed(net, &args);
    }
    let data = read_input(&args.input)?;
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
    let ev = net.evolve(input, args.record)?;
    save_evolution(&ev, &args.out)?;
    errln!(
        "evolved {} over input {} -> output {}; wrote {}",
        net.class_name(),
        fmt_shape(&shape),
        fmt_shape(&ev.output.dims()),
        args.out.display()
    );
    Ok(())
}

/// The file a result is written to: time series get `.npz` appended unless they have it.
fn written_path(out: &Path, timed: bool) -> PathBuf {
    if timed && out.extension().is_none_or(|e| e != "npz") {
        let mut name = out.as_os_str().to_owned();
        name.push(".npz");
        PathBuf::from(name)
    } else {
        out.to_path_buf()
    }
}

/// Refuses `output` (the result or a record series) when it is one of the command's inputs.
fn check_distinct_from_inputs(args: &EvolveArgs, output: &Path) -> Result<()> {
    let mut inputs: Vec<(&str, &Path)> = vec![("--input", &args.input), ("--net", &args.net)];
    if let Some(p) = &args.params {
        inputs.push(("--params", p));
    }
    check_output_distinct("--out", output, &inputs)
}

/// Reads an input array, checked where it enters: rank 1 to 3, no axis of length zero, every
/// value finite in `f32` (NaN, ±inf and values beyond `f32::MAX` are refused).
pub(super) fn read_input(path: &Path) -> Result<TensorData> {
    let arr = rockpool_io::read_npy(path)?;
    let shape = arr.shape().to_vec();
    if shape.is_empty() || shape.len() > 3 {
        return Err(Error::Shape {
            what: format!("input {}", path.display()),
            expected: "(T,), (T, N) or (B, T, N)".into(),
            got: fmt_shape(&shape),
        });
    }
    if shape.contains(&0) {
        return Err(Error::Shape {
            what: format!("input {}", path.display()),
            expected: "(T,), (T, N) or (B, T, N) with every axis at least 1 long (no empty \
                       batch, time or channel axis)"
                .into(),
            got: fmt_shape(&shape),
        });
    }
    let values = arr.to_f32();
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        let original = arr.to_f64().iter().nth(i).copied().unwrap_or(f64::from(*v));
        let what = if original.is_nan() {
            "NaN".to_string()
        } else if original.is_infinite() {
            format!("{original}")
        } else {
            format!(
                "{original:e}, beyond the largest 32-bit float ({:e})",
                f32::MAX
            )
        };
        return Err(Error::value(
            format!("input {}", path.display()),
            format!("element {i} (in row-major order) is {what}; every value must be finite"),
        ));
    }
    Ok(TensorData::new(
        values.iter().copied().collect::<Vec<f32>>(),
        shape,
    ))
}

fn evolve_timed(net: rockpool::nn::Sequential, args: &EvolveArgs) -> Result<()> {
    use rockpool::timed::TimedExt;
    let series = rockpool::timeseries::load_timeseries(&args.input)?;
    let mut timed = net.timed(args.dt)?;
    // An input the module cannot take (NaN, too long, …) is named by its file.
    let ev = timed
        .evolve(Some(&series), args.duration, None, args.record)
        .map_err(|e| Error::value(format!("input {}", args.input.display()), e.to_string()))?;
    let records: Vec<(PathBuf, _)> = ev
        .record
        .leaves()
        .into_iter()
        .map(|(path, ts)| {
            let file = PathBuf::from(format!(
                "{}.record.{path}.npz",
                args.out.with_extension("").display()
            ));
            (file, ts)
        })
        .collect();
    for (file, _) in &records {
        check_distinct_from_inputs(args, file)?;
    }
    let written = ev.output.save(&args.out)?;
    for (file, ts) in &records {
        ts.save(file)?;
    }
    let n_records = records.len();
    errln!(
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

/// Runs `rockpool show`: prints the network's structure, parameters and state.
pub fn show(args: ShowArgs) -> Result<()> {
    let device = select_device(args.device)?;
    let mut net = load_network(&args.net, &device)?;
    if let Some(p) = &args.params {
        load_parameters(&mut net, p)?;
    }
    outln!("{}", net.describe());
    let view: &dyn ModuleView = &net;
    outln!("\nparameters:");
    for (path, a) in view.parameters(()).leaves() {
        outln!(
            "  {path} [{}]: {}",
            a.family.as_ref().map(|f| f.to_string()).unwrap_or_default(),
            a.value
        );
    }
    outln!("\nsimulation parameters:");
    for (path, a) in view.simulation_parameters(()).leaves() {
        outln!("  {path}: {}", a.value);
    }
    outln!("\nstate:");
    for (path, a) in view.state().leaves() {
        outln!("  {path}: {}", a.value);
    }
    Ok(())
}
