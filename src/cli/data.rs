//! `rockpool data`: look into event datasets (`info`, `raster`, `plot`) and fetch the
//! standard ones (`download`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rockpool::Result;
use rockpool::error::Error;
use rockpool::train::events::{EventFormat, open};
use rockpool_events::{EventDataset, ToFrame};

use super::output::{errln, outln};
use super::paths::check_output_distinct;
use super::values;

pub const EXAMPLE: &str = "Examples:
  rockpool data download shd --to data/                  # data/shd/shd_train.h5, shd_test.h5
  rockpool data info data/shd/shd_train.h5 --format shd
  rockpool data raster data/nmnist/Train --format nmnist --index 0 --dt 1e-3 --out x.npy
  rockpool data plot data/shd/shd_test.h5 --format shd --index 3 --out sample.png

Formats: shd, ssc (one HDF5 file per split), nmnist (a split folder: Train/ or Test/),
dvs_gesture (a split folder of Tonic's preprocessed .npy files), npz (rockpool's event files).
A raster has one row per time bin (bin k holds events with t in [k·dt, (k+1)·dt)) and one
column per channel: the unit for SHD/SSC, x + W·y + W·H·p for camera data.";

/// `rockpool data` subcommands.
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Print samples, classes, events and the sensor shape of a dataset.
    Info(InfoArgs),
    /// Write one sample's binned raster [T, channels] as .npy.
    Raster(RasterArgs),
    /// Draw one sample's events.
    Plot(PlotArgs),
    /// Download, verify and unpack a standard dataset.
    Download(DownloadArgs),
}

/// A dataset on disk.
#[derive(Args, Debug)]
pub struct Source {
    /// The dataset's file or split folder.
    path: PathBuf,
    /// Its format: shd, ssc, nmnist, dvs_gesture, npz.
    #[arg(long)]
    format: EventFormat,
}

/// Arguments of `rockpool data info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    #[command(flatten)]
    source: Source,
}

/// Arguments of `rockpool data raster`.
#[derive(Args, Debug)]
pub struct RasterArgs {
    #[command(flatten)]
    source: Source,
    /// Which sample (0-based).
    #[arg(long)]
    index: usize,
    /// Bin width, seconds.
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true,
          value_parser = values::positive_seconds)]
    dt: f64,
    /// Output .npy (float32 [T, channels]).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `rockpool data plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    #[command(flatten)]
    source: Source,
    /// Which sample (0-based).
    #[arg(long)]
    index: usize,
    /// Output image (.png or .svg).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `rockpool data download`.
#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// shd, ssc, nmnist or dvs_gesture.
    name: String,
    /// Folder to put it in (the dataset goes into <to>/<name>/).
    #[arg(long)]
    to: PathBuf,
}

/// Runs a `rockpool data` subcommand.
pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::Info(a) => info(a),
        DataCommand::Raster(a) => raster(a),
        DataCommand::Plot(a) => plot(a),
        DataCommand::Download(a) => download(a),
    }
}

fn dataset(s: &Source) -> Result<std::sync::Arc<dyn EventDataset>> {
    open(s.format, &s.path)
}

fn sample(
    data: &dyn EventDataset,
    index: usize,
    s: &Source,
) -> Result<(rockpool_events::EventStream, usize)> {
    if index >= data.len() {
        return Err(Error::value(
            "--index",
            format!(
                "{index}, but {} holds {} samples",
                s.path.display(),
                data.len()
            ),
        ));
    }
    data.get(index)
        .map_err(|e| Error::value(s.path.display().to_string(), e.to_string()))
}

fn info(a: InfoArgs) -> Result<()> {
    let data = dataset(&a.source)?;
    let sensor = data.sensor();
    outln!("dataset {}", data.name());
    outln!("samples {}", data.len());
    outln!("classes {}", data.num_classes());
    match data.total_events() {
        Some(e) => outln!("events {e}"),
        None => outln!("events unknown (not counted without reading every sample)"),
    }
    outln!(
        "sensor {} x {} x {} ({} channels)",
        sensor.width,
        sensor.height,
        sensor.polarities,
        sensor.channels()
    );
    Ok(())
}

fn raster(a: RasterArgs) -> Result<()> {
    check_output_distinct("--out", &a.out, &[("the dataset", &a.source.path)])?;
    let data = dataset(&a.source)?;
    let (events, label) = sample(data.as_ref(), a.index, &a.source)?;
    let frame = ToFrame::new(a.dt).map_err(|e| Error::value("--dt", e.to_string()))?;
    let x = frame
        .apply(&events, data.sensor())
        .map_err(|e| Error::value("raster", e.to_string()))?;
    let shape = x.shape().to_vec();
    rockpool_io::write_npy(&a.out, &rockpool_io::NpyArray::from(x.into_dyn()))?;
    errln!(
        "wrote {} ({} events of class {label}, raster {:?})",
        a.out.display(),
        events.len(),
        shape
    );
    Ok(())
}

fn plot(a: PlotArgs) -> Result<()> {
    check_output_distinct("--out", &a.out, &[("the dataset", &a.source.path)])?;
    let data = dataset(&a.source)?;
    let (events, label) = sample(data.as_ref(), a.index, &a.source)?;
    let sensor = data.sensor();
    let (w, h) = (sensor.width, sensor.height);
    let channels: Vec<usize> = (0..events.len())
        .map(|i| events.x[i] as usize + w * events.y[i] as usize + w * h * events.p[i] as usize)
        .collect();
    let t_end = events.t.last().copied().unwrap_or(0.0).max(1e-3);
    let opts = rockpool_plot::RasterPlot {
        title: format!("{} sample {} (class {label})", data.name(), a.index),
        ..Default::default()
    };
    rockpool_plot::plot_raster(
        &a.out,
        &events.t,
        &channels,
        sensor.channels(),
        (0.0, t_end),
        &opts,
    )?;
    errln!("wrote {}", a.out.display());
    Ok(())
}

fn download(a: DownloadArgs) -> Result<()> {
    let err =
        |e: rockpool_download::Error| Error::value(format!("download {}", a.name), e.to_string());
    let spec = rockpool_download::dataset(&a.name).map_err(err)?;
    errln!(
        "fetching {} into {}",
        spec.title,
        a.to.join(spec.name).display()
    );
    let mut last = std::time::Instant::now();
    let files = rockpool_download::fetch_dataset(&a.name, &a.to, |p| {
        if last.elapsed().as_secs_f64() > 2.0 {
            last = std::time::Instant::now();
            let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
            errln!(
                "  {:?} {}: {} bytes{total}",
                p.stage,
                p.file.display(),
                p.done
            );
        }
    })
    .map_err(err)?;
    for s in &files.splits {
        outln!("{} {}", s.split, s.path.display());
    }
    Ok(())
}
