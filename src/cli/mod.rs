//! Command-line interface: each subcommand parses its arguments and composes library calls.

mod evolve;
mod plot;
mod train;
mod xylo;

use clap::{Parser, Subcommand};

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
    /// Print a network's structure, parameters and state.
    #[command(after_help = evolve::SHOW_EXAMPLE)]
    Show(evolve::ShowArgs),
}

/// Parses the command line and runs the chosen subcommand.
pub fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Evolve(args) => evolve::evolve(args),
        Command::Show(args) => evolve::show(args),
        Command::Plot(args) => plot::plot(args),
        Command::Train(args) => train::train(args),
        Command::Xylo(cmd) => xylo::run(cmd),
    }
}
