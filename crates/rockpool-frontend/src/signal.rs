//! Signals between front-end blocks: `(T, channels)` arrays of floats or integers.

use ndarray::Array2;

/// A signal `(T, channels)`: time along axis 0.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// Real values (volts, normalised audio in [-1, 1], filter outputs scaled to floats).
    Float(Array2<f64>),
    /// Integer values (quantised samples, register values, spike counts).
    Int(Array2<i64>),
    /// Booleans (one spike or none per sample).
    Bool(Array2<bool>),
}

impl Signal {
    /// `(T, channels)`.
    pub fn shape(&self) -> (usize, usize) {
        let s = match self {
            Signal::Float(a) => a.dim(),
            Signal::Int(a) => a.dim(),
            Signal::Bool(a) => a.dim(),
        };
        (s.0, s.1)
    }

    /// The values as floats (integers and booleans converted exactly where |x| < 2^53).
    pub fn to_f64(&self) -> Array2<f64> {
        match self {
            Signal::Float(a) => a.clone(),
            Signal::Int(a) => a.mapv(|v| v as f64),
            Signal::Bool(a) => a.mapv(|v| if v { 1.0 } else { 0.0 }),
        }
    }

    /// The values as integers; `None` if a float is not an integer (or is out of `i64`).
    pub fn to_i64(&self) -> Option<Array2<i64>> {
        match self {
            Signal::Int(a) => Some(a.clone()),
            Signal::Bool(a) => Some(a.mapv(i64::from)),
            Signal::Float(a) => {
                let ok = a
                    .iter()
                    .all(|v| v.is_finite() && v.fract() == 0.0 && v.abs() < 9.2e18);
                ok.then(|| a.mapv(|v| v as i64))
            }
        }
    }
}
