//! `rockpool xylo export | sim | validate | frontend`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rockpool::device::select_device;
use rockpool::error::{Error, Result, fmt_shape};
use rockpool::network::load_network;
use rockpool::persist::load_parameters;
use rockpool::xylo::{Quantization, export, probe_raster};
use rockpool_xylo::{OutputMode, XyloConfig, XyloFamily, XyloSim, validate_config};

use super::output::{errln, outln};
use super::paths::check_output_distinct;

const EXPORT_EXAMPLE: &str = "Example:
  rockpool xylo export --net net.toml --params runs/default/params.npz --family syns61201 -o config.json

Prints a deployment report: neurons and synapses used against the chip's limits, the
quantisation error per weight group, time constants that round to a bit-shift of 0, and
whether the quantised network still spikes on a Poisson probe input.";

const SIM_EXAMPLE: &str = "Example:
  rockpool xylo sim --config config.json --input raster.npy --out out.npz --record

The input is a (T, N_in) array of input event counts per step (clipped to 15 by the chip).
The output file holds `output` (T, N_out) and, with --record, `vmem`, `isyn`, `isyn2`,
`spikes`, `vmem_out`, `isyn_out` (time-major).";

/// Xylo subcommands.
#[derive(Subcommand, Debug)]
pub enum XyloCommand {
    /// Map, quantise and export a trained network as a Xylo configuration (JSON).
    #[command(after_help = EXPORT_EXAMPLE)]
    Export(ExportArgs),
    /// Simulate a configuration bit-exactly on an input raster.
    #[command(after_help = SIM_EXAMPLE)]
    Sim(SimArgs),
    /// Check a configuration against every limit of its chip.
    Validate(ValidateArgs),
    /// Run a chip's front end (audio or IMU interface) on a WAV or .npy recording.
    #[command(after_help = super::frontend::FRONTEND_EXAMPLE)]
    Frontend(super::frontend::FrontendArgs),
}

/// Arguments of `rockpool xylo export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Network file (TOML).
    #[arg(long)]
    net: PathBuf,
    /// Trained parameters (.npz).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Chip family: syns61201 (XyloAudio 2), syns65302 (XyloAudio 3), syns63300 (XyloIMU);
    /// aliases such as vA2 or XyloAudio3 work too.
    #[arg(long, default_value_t = XyloFamily::Audio2)]
    family: XyloFamily,
    /// Quantisation.
    #[arg(long, default_value_t = Quantization::Channel)]
    quantize: Quantization,
    /// Fuzzy scaling for global quantisation.
    #[arg(long)]
    fuzzy: bool,
    /// Output configuration file (.json).
    #[arg(short, long)]
    out: PathBuf,
}

/// Arguments of `rockpool xylo sim`.
#[derive(Args, Debug)]
pub struct SimArgs {
    /// Configuration (.json).
    #[arg(long)]
    config: PathBuf,
    /// Chip family of the configuration.
    #[arg(long, default_value_t = XyloFamily::Audio2)]
    family: XyloFamily,
    /// Input raster (.npy), (T, N_in).
    #[arg(long)]
    input: PathBuf,
    /// Output (.npz).
    #[arg(long)]
    out: PathBuf,
    /// Record internal traces.
    #[arg(long)]
    record: bool,
    /// Output mode: what `output` holds (readout events, membrane potentials or synaptic
    /// currents).
    #[arg(long, default_value_t = OutputMode::Spike)]
    output_mode: OutputMode,
}

/// Arguments of `rockpool xylo validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Configuration (.json).
    config: PathBuf,
    /// Chip family of the configuration.
    #[arg(long, default_value_t = XyloFamily::Audio2)]
    family: XyloFamily,
}

/// Runs a `rockpool xylo` subcommand.
pub fn run(cmd: XyloCommand) -> Result<()> {
    match cmd {
        XyloCommand::Export(a) => {
            let mut inputs: Vec<(&str, &std::path::Path)> = vec![("--net", &a.net)];
            if let Some(p) = &a.params {
                inputs.push(("--params", p));
            }
            check_output_distinct("--out", &a.out, &inputs)?;
            let device = select_device(None)?;
            let mut net = load_network(&a.net, &device)?;
            if let Some(p) = &a.params {
                load_parameters(&mut net, p)?;
            }
            let n_in = rockpool::module::ModuleExt::size_in(&net);
            let probe = probe_raster(500, n_in, 0.05, 0);
            let ex = export(&net, a.family, a.quantize, a.fuzzy, &probe)?;
            // The file first, the report after: a reader that stops early (`| head`) must
            // not cost the configuration.
            let saved = if ex.validation.is_valid() {
                ex.config
                    .save(&a.out)
                    .map_err(|e| Error::value("xylo export", e.to_string()))
                    .map(|()| true)
            } else {
                Ok(false)
            };
            for line in &ex.report {
                outln!("{line}");
            }
            if !saved? {
                return Err(Error::value(
                    "xylo export",
                    format!(
                        "the configuration breaks chip limits (nothing written):\n{}",
                        ex.validation
                    ),
                ));
            }
            outln!("wrote {}", a.out.display());
            Ok(())
        }
        XyloCommand::Sim(a) => {
            check_output_distinct(
                "--out",
                &a.out,
                &[("--input", &a.input), ("--config", &a.config)],
            )?;
            let config = XyloConfig::load(&a.config, a.family)
                .map_err(|e| Error::value("xylo sim", e.to_string()))?;
            let mut sim = XyloSim::from_config(&config, a.output_mode)
                .map_err(|e| Error::value("xylo sim", e.to_string()))?;
            let arr = rockpool_io::read_npy(&a.input)?;
            if arr.ndim() == 2 && arr.shape().contains(&0) {
                return Err(Error::Shape {
                    what: format!("input raster {}", a.input.display()),
                    expected: "(T, N_in) event counts, with T and N_in at least 1".into(),
                    got: fmt_shape(arr.shape()),
                });
            }
            let what = format!("input raster {}", a.input.display());
            let raster = rockpool_xylo::raster_from_npy(&arr, &what)
                .map_err(|e| Error::value("xylo sim", e.to_string()))?;
            let t = raster.nrows();
            let out = sim
                .evolve(raster.view(), a.record)
                .map_err(|e| Error::value("xylo sim", e.to_string()))?;
            use rockpool_io::NpyArray;
            let mut arrays = vec![(
                "output".to_string(),
                NpyArray::from(out.output.clone().into_dyn()),
            )];
            if let Some(r) = out.record {
                for (k, v) in [
                    ("vmem", r.vmem),
                    ("isyn", r.isyn),
                    ("isyn2", r.isyn2),
                    ("vmem_out", r.vmem_out),
                    ("isyn_out", r.isyn_out),
                ] {
                    arrays.push((k.to_string(), NpyArray::from(v.into_dyn())));
                }
                arrays.push(("spikes".to_string(), NpyArray::from(r.spikes.into_dyn())));
            }
            rockpool_io::write_npz(&a.out, &arrays)?;
            let total: i64 = out.output.iter().map(|&x| i64::from(x)).sum();
            errln!(
                "simulated {t} steps: output {} (sum {total}); wrote {}",
                fmt_shape(out.output.shape()),
                a.out.display()
            );
            Ok(())
        }
        XyloCommand::Frontend(a) => super::frontend::run(a),
        XyloCommand::Validate(a) => {
            let config = XyloConfig::load(&a.config, a.family)
                .map_err(|e| Error::value("xylo validate", e.to_string()))?;
            let report = validate_config(&config);
            outln!("{report}");
            if report.is_valid() {
                Ok(())
            } else {
                Err(Error::value(
                    "xylo validate",
                    format!(
                        "{} is not valid for {}",
                        a.config.display(),
                        a.family.product_name()
                    ),
                ))
            }
        }
    }
}
