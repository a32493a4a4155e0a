//! Output paths checked against a command's inputs before any work is done, so that no
//! command ever writes its result over one of the files it reads (`evolve --out x.npy
//! --input x.npy`): the CLI's use of [`rockpool_io::check_output_distinct`] (same device and
//! inode, which catches symbolic and hard links and `./a` against `a`; for outputs that do not
//! exist yet, the resolved parent folder plus the file name; character devices such as
//! `/dev/null` are never refused).

use std::path::Path;

use rockpool::error::{Error, Result};

/// Refuses `output` (given on the command line as `out_flag`) when it names the same file
/// as any of `inputs` (`(flag, path)` pairs, such as `("--input", x.npy)`).
///
/// # Errors
/// An error naming both flags and paths; nothing has been written.
pub fn check_output_distinct(
    out_flag: &str,
    output: &Path,
    inputs: &[(&str, &Path)],
) -> Result<()> {
    rockpool_io::check_output_distinct(out_flag, output, inputs).map_err(Error::from)
}
