//! The `rockpool` binary: simulate, train and deploy networks from the shell. Exit status: 0
//! on success, 1 when the command failed (the message on standard error), 2 for a wrong
//! command line, 141 when standard output was closed by its reader (the command still wrote
//! its files; see `cli::output`).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
