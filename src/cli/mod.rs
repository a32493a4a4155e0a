//! Command-line interface: each subcommand parses its arguments and composes library calls.

mod data;
mod evolve;
mod frontend;
mod nir;
pub mod output;
mod paths;
mod plot;
mod train;
mod values;
mod xylo;

use clap::{Parser, Subcommand};
use output::errln;

use rockpool::Result;

/// Design, simulate and train spiking neural networks, and deploy them to Xylo.
#[derive(Parser, Debug)]
#[command(name = "rockpool", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a network over an input array and save output, final state and records.
    #[command(after_help = evolve::EXAMPLE)]
    Evolve(evolve::EvolveArgs),
    /// Train a network from a configuration file.
    #[command(after_help = train::EXAMPLE)]
    Train(train::TrainArgs),
    /// Deploy to Xylo: export a configuration, simulate it bit-exactly, validate it.
    #[command(subcommand)]
    Xylo(xylo::XyloCommand),
    /// Plot a saved time series, an evolution result or an array to PNG or SVG.
    #[command(after_help = plot::EXAMPLE)]
    Plot(plot::PlotArgs),
    /// Event datasets: info, one sample's raster or plot, downloads.
    #[command(subcommand, after_help = data::EXAMPLE)]
    Data(data::DataCommand),
    /// NIR: import a graph from another framework and run it, or export a network.
    #[command(subcommand, after_help = nir::EXAMPLE)]
    Nir(nir::NirCommand),
    /// Print a network's structure, parameters and state.
    #[command(after_help = evolve::SHOW_EXAMPLE)]
    Show(evolve::ShowArgs),
}

/// Parses the command line, runs the chosen subcommand and returns the process exit status:
/// 0 on success, 1 after an error (printed to standard error), clap's status (2) for a wrong
/// command line, [`output::BROKEN_PIPE_STATUS`] when standard output was closed early.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output, usage errors to standard error; both
            // through the printers that survive a closed pipe.
            if let Err(io) = e.print()
                && !e.use_stderr()
            {
                output::record_stdout_error(&io);
            }
            return output::exit_status(e.exit_code());
        }
    };
    let status = match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            errln!("error: {e}");
            1
        }
    };
    output::exit_status(status)
}

/// Runs the chosen subcommand.
fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Evolve(args) => evolve::evolve(args),
        Command::Show(args) => evolve::show(args),
        Command::Plot(args) => plot::plot(args),
        Command::Train(args) => train::train(args),
        Command::Xylo(cmd) => xylo::run(cmd),
        Command::Data(cmd) => data::run(cmd),
        Command::Nir(cmd) => nir::run(cmd),
    }
}
