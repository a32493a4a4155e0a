//! `rockpool nir`: import a NIR graph (written by snnTorch, Norse, Sinabs, Spyx, Lava-DL,
//! Rockpool or by hand) as a rockpool network and run it; export a network as NIR.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rockpool::Result;
use rockpool::device::{DeviceName, select_device};
use rockpool::error::{Error, fmt_shape};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::network::load_network;
use rockpool::nir::Source;
use rockpool::persist::{load_parameters, save_evolution};

use super::output::{errln, outln};
use super::paths::check_output_distinct;
use super::values;

pub const EXAMPLE: &str = "Examples:
  rockpool nir import braille.nir --from snntorch              # print the imported network
  rockpool nir import net.nir --dt 1e-3 --input x.npy --out result.npz
  rockpool nir export net.toml --params params.npz --out net.nir

The time step of an import is --dt, else the source's convention (snntorch: 1e-4 s;
rockpool: min(tau/(1 + r))), else the file's metadata dt, else 1 ms. See the documentation of
rockpool::nir for the mapping and its equations.";

/// `rockpool nir` subcommands.
#[derive(Subcommand, Debug)]
pub enum NirCommand {
    /// Import a NIR file as a network; print it, or run it on an input.
    Import(ImportArgs),
    /// Export a network (TOML, with parameters) as a NIR file.
    Export(ExportArgs),
}

/// Arguments of `rockpool nir import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The NIR file.
    file: PathBuf,
    /// Whose export conventions the file follows: nir (the spec), rockpool, snntorch, norse,
    /// sinabs, spyx, lava.
    #[arg(long, default_value = "nir")]
    from: Source,
    /// Time step, seconds.
    #[arg(long, allow_hyphen_values = true, value_parser = values::positive_seconds)]
    dt: Option<f64>,
    /// An input array (T, N) or (B, T, N) to run the network on.
    #[arg(long, requires = "out")]
    input: Option<PathBuf>,
    /// Where to write the result of --input (.npz: output, state, record).
    #[arg(long, requires = "input")]
    out: Option<PathBuf>,
    /// Device.
    #[arg(long)]
    device: Option<DeviceName>,
}

/// Arguments of `rockpool nir export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The network (a TOML network file).
    net: PathBuf,
    /// Parameters (.npz, Rockpool keys) to load into it.
    #[arg(long)]
    params: Option<PathBuf>,
    /// The NIR file to write.
    #[arg(long)]
    out: PathBuf,
}

/// Runs a `rockpool nir` subcommand.
pub fn run(cmd: NirCommand) -> Result<()> {
    match cmd {
        NirCommand::Import(a) => import(a),
        NirCommand::Export(a) => export(a),
    }
}

fn read(path: &std::path::Path) -> Result<rockpool_nir::NirGraph> {
    let (graph, note) = rockpool::nir::read(path)?;
    if let Some(note) = note {
        errln!("note: {note}");
    }
    Ok(graph)
}

fn import(a: ImportArgs) -> Result<()> {
    let device = select_device(a.device)?;
    let graph = read(&a.file)?;
    let dt = rockpool::nir::import_dt(&graph, a.from, a.dt)?;
    let mut net = rockpool::nir::import(&graph, a.from, Some(dt), &device)?;
    match (&a.input, &a.out) {
        (Some(input), Some(out)) => {
            check_output_distinct(
                "--out",
                out,
                &[("the NIR file", &a.file), ("the input", input)],
            )?;
            let data = super::evolve::read_input(input)?;
            let shape = data.shape().to_vec();
            let x: burn::tensor::Tensor<3> = match shape.len() {
                2 => burn::tensor::Tensor::<2>::from_data(data, &device).unsqueeze_dim(0),
                3 => burn::tensor::Tensor::<3>::from_data(data, &device),
                _ => {
                    return Err(Error::Shape {
                        what: format!("input {}", input.display()),
                        expected: "(T, N) or (B, T, N)".into(),
                        got: fmt_shape(&shape),
                    });
                }
            };
            let b = x.dims()[0];
            let ev = net.evolve_with(x, net.zero_state(b), true)?;
            save_evolution(&ev, out)?;
            errln!(
                "imported at dt = {dt} s, evolved over {} -> {}; wrote {}",
                fmt_shape(&shape),
                fmt_shape(&ev.output.dims()),
                out.display()
            );
        }
        _ => {
            outln!("imported at dt = {dt} s:\n{}", net.describe());
            let _ = &mut net;
        }
    }
    Ok(())
}

fn export(a: ExportArgs) -> Result<()> {
    let mut inputs: Vec<(&str, &std::path::Path)> = vec![("the network", &a.net)];
    if let Some(p) = &a.params {
        inputs.push(("the parameters", p));
    }
    check_output_distinct("--out", &a.out, &inputs)?;
    let device = rockpool::device::default_device()?;
    let mut net = load_network(&a.net, &device)?;
    if let Some(p) = &a.params {
        load_parameters(&mut net, p)?;
    }
    let graph = rockpool::nir::export(&net, net.size_in())?;
    rockpool_nir::write(&graph, &a.out)
        .map_err(|e| Error::value(a.out.display().to_string(), e.to_string()))?;
    errln!("wrote {} ({} nodes)", a.out.display(), graph.nodes.len());
    Ok(())
}
