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
  rockpool nir show braille.nir                                # nodes, shapes, edges
  rockpool nir import braille.nir --from snntorch --out-dir net/   # net/net.toml, net/params.npz
  rockpool nir import net.nir --dt 1e-3 --input x.npy --out result.npz
  rockpool nir export --net net/net.toml --params net/params.npz -o net.nir

The time step of an import is --dt, else the source's convention (snntorch: 1e-4 s;
rockpool: min(tau/(1 + r))), else the file's metadata dt, else 1 ms. See the documentation of
rockpool::nir for the mapping and its equations.";

/// `rockpool nir` subcommands.
#[derive(Subcommand, Debug)]
pub enum NirCommand {
    /// Print a NIR file's nodes, parameter shapes and edges.
    Show(ShowArgs),
    /// Import a NIR file as a network: write it as net.toml + params.npz, print it, or run it.
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
    /// Write the network as DIR/net.toml and DIR/params.npz (for evolve, train, xylo export).
    #[arg(long)]
    out_dir: Option<PathBuf>,
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

/// Arguments of `rockpool nir show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The NIR file.
    file: PathBuf,
}

/// Arguments of `rockpool nir export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The network (a TOML network file).
    #[arg(long)]
    net: PathBuf,
    /// Parameters (.npz, Rockpool keys) to load into it.
    #[arg(long)]
    params: Option<PathBuf>,
    /// The NIR file to write.
    #[arg(short, long)]
    out: PathBuf,
}

/// Runs a `rockpool nir` subcommand.
pub fn run(cmd: NirCommand) -> Result<()> {
    match cmd {
        NirCommand::Show(a) => show(a),
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

fn show(a: ShowArgs) -> Result<()> {
    let graph = read(&a.file)?;
    print_graph(&graph, "");
    Ok(())
}

fn print_graph(g: &rockpool_nir::NirGraph, indent: &str) {
    for (k, v) in &g.metadata {
        outln!("{indent}metadata {k} = {v:?}");
    }
    for (name, node) in &g.nodes {
        let shapes: Vec<String> = node
            .arrays()
            .iter()
            .map(|(f, a)| format!("{f} {:?}", a.shape()))
            .collect();
        outln!(
            "{indent}node {name}: {} {}",
            node.type_name(),
            shapes.join(", ")
        );
        if let rockpool_nir::Node::Graph(sub) = node {
            print_graph(sub, &format!("{indent}  "));
        }
    }
    for (a, b) in &g.edges {
        outln!("{indent}edge {a} -> {b}");
    }
}

fn import(a: ImportArgs) -> Result<()> {
    let device = select_device(a.device)?;
    let graph = read(&a.file)?;
    let dt = rockpool::nir::import_dt(&graph, a.from, a.dt)?;
    let mut net = rockpool::nir::import(&graph, a.from, Some(dt), &device)?;
    if let Some(dir) = &a.out_dir {
        let (toml_path, params) = (dir.join("net.toml"), dir.join("params.npz"));
        check_output_distinct("--out-dir", &toml_path, &[("the NIR file", &a.file)])?;
        check_output_distinct("--out-dir", &params, &[("the NIR file", &a.file)])?;
        std::fs::create_dir_all(dir).map_err(|source| Error::File {
            path: dir.clone(),
            source,
        })?;
        let cfg = rockpool::nir::network_config(&net)?;
        let text = toml::to_string(&cfg).map_err(|e| Error::value("net.toml", e.to_string()))?;
        let header = format!(
            "# Imported from {} (--from {}, dt = {dt} s) by rockpool nir import; the parameters \
             are in params.npz.\n",
            a.file.display(),
            a.from
        );
        rockpool_io::write_atomic(&toml_path, format!("{header}{text}").as_bytes())?;
        rockpool::persist::save_parameters(&net, &params)?;
        errln!("wrote {} and {}", toml_path.display(), params.display());
    }
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
        _ if a.out_dir.is_none() => {
            outln!("imported at dt = {dt} s:\n{}", net.describe());
            let _ = &mut net;
        }
        _ => {}
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
