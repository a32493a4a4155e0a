//! Printing for the command line that survives a closed pipe or a full disk. Every line the
//! commands print goes through [`outln!`] (standard output) or [`errln!`] (standard error)
//! instead of `println!`/`eprintln!`, which panic when the reader has gone
//! (`rockpool show … | head -n 1`).
//!
//! The policy, chosen over restoring `SIGPIPE`'s default action (which would kill the
//! process at the first print, before the files a command writes after its report):
//! when standard output is closed by its reader, printing stops quietly and the command
//! runs to its end, so every file it writes is still written; the process then exits with
//! status [`BROKEN_PIPE_STATUS`] (141 = 128 + `SIGPIPE`, what a shell reports for a writer
//! killed by a broken pipe), so `set -o pipefail` scripts see the usual status. Any other
//! failure to write standard output (a full disk, `/dev/full`) also stops printing; the
//! command still finishes its files and then reports the failure with exit status 1.
//! Failures to write standard error are ignored: there is nowhere left to report them.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

/// Exit status after standard output was closed by its reader: 128 + `SIGPIPE` (13).
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// What went wrong with standard output, if anything: `None` while it works.
static STDOUT_FAULT: Mutex<Option<Fault>> = Mutex::new(None);

/// Why printing to standard output stopped.
#[derive(Debug, Clone)]
enum Fault {
    /// The reader closed the pipe.
    BrokenPipe,
    /// Another write error (its message).
    Other(String),
}

/// Records the first failure to write standard output; later prints are skipped.
pub fn record_stdout_error(e: &io::Error) {
    let mut fault = STDOUT_FAULT.lock().unwrap_or_else(|p| p.into_inner());
    if fault.is_none() {
        *fault = Some(if e.kind() == io::ErrorKind::BrokenPipe {
            Fault::BrokenPipe
        } else {
            Fault::Other(e.to_string())
        });
    }
}

fn stdout_failed() -> bool {
    STDOUT_FAULT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some()
}

/// Writes one line to standard output, or nothing once standard output has failed.
pub fn print_line(args: fmt::Arguments<'_>) {
    if stdout_failed() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        record_stdout_error(&e);
    }
}

/// Writes one line to standard error, ignoring failures.
pub fn eprint_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// Flushes standard output and turns the command's outcome into the process exit status:
/// the command's own status when it failed or standard output worked, else
/// [`BROKEN_PIPE_STATUS`] for a closed pipe and 1 (with a message) for another write error.
pub fn exit_status(command_status: i32) -> i32 {
    if !stdout_failed()
        && let Err(e) = io::stdout().lock().flush()
    {
        record_stdout_error(&e);
    }
    if command_status != 0 {
        return command_status;
    }
    let fault = STDOUT_FAULT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match fault {
        None => 0,
        Some(Fault::BrokenPipe) => BROKEN_PIPE_STATUS,
        Some(Fault::Other(msg)) => {
            eprint_line(format_args!(
                "error: could not write to standard output: {msg} (files the command writes were still written)"
            ));
            1
        }
    }
}

/// `println!` that stops quietly when standard output is closed (see the module docs).
macro_rules! outln {
    () => {
        $crate::cli::output::print_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::print_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that ignores a closed standard error.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::eprint_line(format_args!($($arg)*))
    };
}

pub(crate) use {errln, outln};
