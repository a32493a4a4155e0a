//! `rockpool plot`: draw a saved time series, an evolution result or a plain array.

use std::path::{Path, PathBuf};

use clap::Args;
use ndarray::{Array2, Axis};
use rockpool::error::{Error, Result, fmt_shape};
use rockpool::timeseries::{Interp, TimeSeries, TsContinuous, TsEvent, load_timeseries};

use super::output::errln;
use super::paths::check_output_distinct;
use super::values;

/// The most events `--events` draws: a raster of larger counts is refused before the events
/// are made (16 bytes each, so 160 MB at the limit).
const MAX_EVENTS: f64 = 1e7;

pub const EXAMPLE: &str = "Examples:
  rockpool plot series.npz -o series.png            # a TSContinuous / TSEvent file
  rockpool plot result.npz --key record.1_Rate.x -o x.svg --stagger 0.5
  rockpool plot result.npz --key record.0_Lif.spikes --events -o spikes.png

Arrays (from `rockpool evolve` results or .npy files) are (B, T, N) or (T, N); batch 0 is
drawn against time t = k·dt (--dt, default 1 ms).";

/// Arguments of `rockpool plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A time-series .npz (Rockpool layout), an .npz of arrays, or an .npy array.
    file: PathBuf,
    /// Output image (.png or .svg).
    #[arg(short, long)]
    out: PathBuf,
    /// Which array of an .npz of arrays to draw (default: `output`).
    #[arg(long)]
    key: Option<String>,
    /// Time step of an array, seconds.
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true,
          value_parser = values::positive_seconds)]
    dt: f64,
    /// Offset between channels of a line plot (negative: channels drawn downwards).
    #[arg(long, allow_hyphen_values = true, value_parser = values::finite)]
    stagger: Option<f64>,
    /// Draw an array as an event raster (spike counts).
    #[arg(long)]
    events: bool,
}

/// Runs `rockpool plot`: refuses an output that is the input, loads and draws.
pub fn plot(args: PlotArgs) -> Result<()> {
    check_output_distinct("--out", &args.out, &[("the input", &args.file)])?;
    let series = load_any(&args)?;
    match &series {
        TimeSeries::Continuous(c) => c.plot(&args.out, args.stagger)?,
        TimeSeries::Event(e) => e.plot(&args.out)?,
    }
    errln!("wrote {}", args.out.display());
    Ok(())
}

fn load_any(args: &PlotArgs) -> Result<TimeSeries> {
    let path = &args.file;
    let is_npy = path.extension().is_some_and(|e| e == "npy");
    if !is_npy {
        let arrays = rockpool_io::read_npz(path)?;
        let is_series = arrays.iter().any(|(k, _)| k.starts_with("type_TS"));
        if is_series && args.key.is_none() {
            return Ok(load_timeseries(path)?);
        }
        let key = args.key.clone().unwrap_or_else(|| "output".into());
        let arr = arrays
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| a)
            .ok_or_else(|| {
                let keys: Vec<&str> = arrays.iter().map(|(k, _)| k.as_str()).collect();
                Error::value(
                    format!("{}", path.display()),
                    format!("has no array '{key}' (it has: {})", keys.join(", ")),
                )
            })?;
        return array_series(arr, &key, args, path);
    }
    let arr = rockpool_io::read_npy(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    array_series(&arr, &name, args, path)
}

fn array_series(
    arr: &rockpool_io::NpyArray,
    name: &str,
    args: &PlotArgs,
    path: &Path,
) -> Result<TimeSeries> {
    if arr.shape().contains(&0) {
        return Err(Error::Shape {
            what: format!("array '{name}' in {}", path.display()),
            expected: "(T,), (T, N) or (B, T, N) with every axis at least 1 long (nothing to plot)"
                .into(),
            got: fmt_shape(arr.shape()),
        });
    }
    let a = arr.to_f64();
    let rows: Array2<f64> = match a.ndim() {
        1 => a
            .insert_axis(Axis(1))
            .into_dimensionality()
            .expect("rank 2"),
        2 => a.into_dimensionality().expect("rank 2"),
        n if n >= 3 => {
            let shape = a.shape().to_vec();
            let b0 = a.index_axis_move(Axis(0), 0);
            let t = shape[1];
            let width: usize = shape[2..].iter().product();
            b0.into_shape_with_order((t, width))
                .map_err(|e| Error::value(name, e.to_string()))?
        }
        _ => {
            return Err(Error::Shape {
                what: format!("array '{name}' in {}", path.display()),
                expected: "(T,), (T, N) or (B, T, N)".into(),
                got: fmt_shape(arr.shape()),
            });
        }
    };
    if args.events {
        check_counts(&rows, name, path)?;
        let counts = rows.mapv(|x| x.max(0.0).round() as u32);
        let width = counts.ncols();
        Ok(TimeSeries::Event(TsEvent::from_raster(
            counts.view(),
            args.dt,
            0.0,
            None,
            name,
            false,
            Some(width),
            false,
        )?))
    } else {
        Ok(TimeSeries::Continuous(TsContinuous::from_clocked(
            rows,
            args.dt,
            0.0,
            false,
            name,
            Interp::Previous,
        )?))
    }
}

/// Checks an array drawn as events: every value a finite, non-negative count, and the total
/// number of events within [`MAX_EVENTS`].
fn check_counts(rows: &Array2<f64>, name: &str, path: &Path) -> Result<()> {
    let what = || format!("array '{name}' in {} (drawn with --events)", path.display());
    if let Some((i, v)) = rows
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || **v < 0.0)
    {
        return Err(Error::value(
            what(),
            format!(
                "element {i} (in row-major order) is {v}; event counts must be finite and not negative"
            ),
        ));
    }
    let total: f64 = rows.iter().map(|v| v.round()).sum();
    if total > MAX_EVENTS {
        return Err(Error::value(
            what(),
            format!(
                "holds {total:e} events in all, more than the {MAX_EVENTS:e} a raster plot draws"
            ),
        ));
    }
    Ok(())
}
