//! Front end of syns63300 (being written).

use crate::{Block, Params, Result};

/// The front-end modules of this family, the full front end first.
pub const MODULES: &[&str] = &["IMUIFSim"];

/// Builds `name` from Rockpool constructor arguments; `None` if the name is not one of [`MODULES`].
pub fn build(name: &str, params: &Params) -> Option<Result<Box<dyn Block>>> {
    let _ = (name, params);
    None
}
