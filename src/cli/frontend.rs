//! `rockpool xylo frontend`: run a Xylo front-end simulator on a WAV or `.npy` recording.

use std::path::PathBuf;

use clap::Args;
use rockpool::error::{Error, Result, fmt_shape};
use rockpool::nn::front_end::frontend_family;
use rockpool::timeseries::{Interp, TsContinuous, TsEvent};
use rockpool_frontend::{Params, Signal};
use rockpool_io::NpyArray;
use rockpool_xylo::XyloFamily;

use super::output::errln;
use super::paths::check_output_distinct;

pub(super) const FRONTEND_EXAMPLE: &str = "Examples:
  rockpool xylo frontend --family syns65302 --input keyword.wav --out spikes.npy --plot spikes.png
  rockpool xylo frontend --family syns65302 --module AFESimPDM --input keyword.wav --out spikes.npy
  rockpool xylo frontend --family syns63300 --input imu.npy --out spikes.npy
  rockpool xylo frontend --family syns61201 --module AFESim --params afe.json --input x.wav --out events.npy

Modules (the full front end is the default):
  syns65302 (XyloAudio 3): AFESimExternal, AFESimPDM, ChipButterworth, DivisiveNormalization,
                           Raster, AudioQuantizer, ResampleAndQuantize, MicrophonePDM,
                           PolyPhaseFIR, PDMADC
  syns63300 (XyloIMU):     IMUIFSim, Quantizer, RotationRemoval, FilterBank, ScaleSpikeEncoder,
                           IAFSpikeEncoder
  syns61201 (XyloAudio 2): AFESim, DivisiveNormalisation, DivisiveNormalisationNoLFSR

--params is a JSON object of the class's constructor arguments under Rockpool's names and units,
e.g. {\"select_filters\": [0, 2, 4], \"spike_gen_mode\": \"threshold\"}; unknown names are errors.
A WAV file carries its sample rate; a .npy array (T,) or (T, channels) is taken at --rate Hz
(default: the module's own rate). Audio at another rate is resampled to the module's rate by
Rockpool's rule (linear interpolation). The output is what the Rockpool class returns: for a
full front end the chip-input raster (T', channels) of spike counts.";

/// Arguments of `rockpool xylo frontend`.
#[derive(Args, Debug)]
pub struct FrontendArgs {
    /// Chip family: syns65302 (XyloAudio 3), syns63300 (XyloIMU), syns61201 (XyloAudio 2).
    #[arg(long)]
    family: XyloFamily,
    /// Rockpool front-end class or block (default: the family's full front end).
    #[arg(long)]
    module: Option<String>,
    /// Constructor arguments (.json object, Rockpool's names and units).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Input recording: .wav, or .npy (T,) / (T, channels).
    #[arg(long)]
    input: PathBuf,
    /// Sample rate of a .npy input, Hz (default: the module's own rate).
    #[arg(long)]
    rate: Option<f64>,
    /// Output array (.npy).
    #[arg(long)]
    out: PathBuf,
    /// Also draw the output (.png or .svg): a raster for spike counts, lines otherwise.
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// Runs `rockpool xylo frontend`.
pub fn run(a: FrontendArgs) -> Result<()> {
    let mut inputs: Vec<(&str, &std::path::Path)> = vec![("--input", &a.input)];
    if let Some(p) = &a.params {
        inputs.push(("--params", p));
    }
    check_output_distinct("--out", &a.out, &inputs)?;
    if let Some(p) = &a.plot {
        inputs.push(("--out", &a.out));
        check_output_distinct("--plot", p, &inputs)?;
    }
    let params = match &a.params {
        Some(p) => {
            let text = rockpool_io::read_text(p)?;
            Params::from_json_str(&text).map_err(|e| Error::value(p.display().to_string(), e))?
        }
        None => Params::new(),
    };
    let fe = |e: rockpool_frontend::Error| Error::value("xylo frontend", e.to_string());
    let mut block =
        rockpool_frontend::build(frontend_family(a.family), a.module.as_deref(), &params)
            .map_err(fe)?;
    params.finish(block.name()).map_err(fe)?;
    let recording = rockpool_frontend::wav::read_input(&a.input).map_err(fe)?;
    let rate = match (recording.sample_rate, a.rate) {
        (Some(_), Some(_)) => {
            return Err(Error::value(
                "--rate",
                "a WAV file carries its own sample rate; --rate is for .npy inputs",
            ));
        }
        (Some(r), None) => Some(r),
        (None, Some(r)) if r.is_finite() && r > 0.0 => Some(r),
        (None, Some(r)) => {
            return Err(Error::value(
                "--rate",
                format!("must be a positive number of Hz, got {r}"),
            ));
        }
        (None, None) => None,
    };
    let (t_in, c_in) = recording.signal.shape();
    let out = block.run(&recording.signal, rate).map_err(fe)?;
    let dt = block.output_dt();
    let array = match &out {
        Signal::Int(x) => NpyArray::from(x.clone().into_dyn()),
        Signal::Float(x) => NpyArray::from(x.clone().into_dyn()),
        Signal::Bool(x) => NpyArray::from(x.clone().into_dyn()),
    };
    rockpool_io::write_npy(&a.out, &array)?;
    let (t, c) = out.shape();
    errln!(
        "{}: input {} at {} Hz → output {} at dt = {} s; wrote {}",
        block.name(),
        fmt_shape(&[t_in, c_in]),
        rate.unwrap_or(block.input_rate()),
        fmt_shape(&[t, c]),
        dt,
        a.out.display()
    );
    if let Some(p) = &a.plot {
        let title = format!("{} output", block.name());
        let spikes = match &out {
            Signal::Float(_) => None,
            Signal::Int(x) if x.iter().all(|&v| (0..=15).contains(&v)) => {
                Some(x.mapv(|v| v as u32))
            }
            Signal::Int(_) => None,
            Signal::Bool(x) => Some(x.mapv(u32::from)),
        };
        let ts_err =
            |e: rockpool::timeseries::TimeSeriesError| Error::value("--plot", e.to_string());
        match spikes {
            Some(counts) => {
                TsEvent::from_raster(counts.view(), dt, 0.0, None, &title, false, Some(c), false)
                    .map_err(ts_err)?
                    .plot(p)
                    .map_err(ts_err)?
            }
            None => {
                TsContinuous::from_clocked(out.to_f64(), dt, 0.0, false, &title, Interp::Previous)
                    .map_err(ts_err)?
                    .plot(p, None)
                    .map_err(ts_err)?
            }
        }
        errln!("drew {}", p.display());
    }
    Ok(())
}
