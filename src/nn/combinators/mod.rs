//! Combinators: [`sequential::Sequential`] chains modules, [`residual::Residual`] adds a
//! block's input to its output.

pub mod residual;
pub mod sequential;
