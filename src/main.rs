//! The `rockpool` command: simulate, train and deploy networks from the shell.

mod cli;

fn main() {
    if let Err(e) = cli::run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
