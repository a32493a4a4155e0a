//! [`Array`]: a parameter array exactly as the file stores it — its element type (float32,
//! float64 or integer) and its values, with its shape.
//!
//! NIR files carry whatever dtype the exporter produced (Rockpool writes float32, snnTorch
//! float64 neuron parameters beside float32 weights). Keeping the element type means a graph
//! read and written back gives the same file contents, and a consumer that cares (a PyTorch
//! importer does) sees the dtype it expects. Integer datasets of any width are kept as
//! `i64` (and written back as int64).

use ndarray::{ArrayD, Dimension, IxDyn};

use crate::error::shape_text;

/// The element type of an [`Array`] in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// IEEE 32-bit float (`float32`).
    F32,
    /// IEEE 64-bit float (`float64`).
    F64,
    /// Signed 64-bit integer (`int64`); every integer width is read as this.
    I64,
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
            Dtype::I64 => "int64",
        })
    }
}

/// An n-dimensional parameter array (row-major, like numpy), in the element type of the file.
///
/// Build one from any `ndarray` array of `f32`, `f64` or `i64` with `From`/`Into`:
/// `Array::from(ndarray::arr1(&[0.01_f32, 0.02]))`.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// float32 values.
    F32(ArrayD<f32>),
    /// float64 values.
    F64(ArrayD<f64>),
    /// Integer values.
    I64(ArrayD<i64>),
}

impl Array {
    /// The shape (empty for a 0-d scalar).
    pub fn shape(&self) -> &[usize] {
        match self {
            Array::F32(a) => a.shape(),
            Array::F64(a) => a.shape(),
            Array::I64(a) => a.shape(),
        }
    }

    /// The number of dimensions (0 for a scalar).
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the array holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            Array::F32(_) => Dtype::F32,
            Array::F64(_) => Dtype::F64,
            Array::I64(_) => Dtype::I64,
        }
    }

    /// The values as `f64` (exact for float32 and float64; integers beyond ±2^53 round).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            Array::F32(a) => a.mapv(f64::from),
            Array::F64(a) => a.clone(),
            #[allow(clippy::cast_precision_loss)] // documented: only beyond ±2^53
            Array::I64(a) => a.mapv(|v| v as f64),
        }
    }

    /// The values as `f32` (float64 and integer values round to the nearest float32).
    pub fn to_f32(&self) -> ArrayD<f32> {
        match self {
            Array::F32(a) => a.clone(),
            #[allow(clippy::cast_possible_truncation)] // documented rounding
            Array::F64(a) => a.mapv(|v| v as f32),
            #[allow(clippy::cast_precision_loss)]
            Array::I64(a) => a.mapv(|v| v as f32),
        }
    }

    /// An array of this one's shape and element type with every element `value` (rounded to
    /// float32 for a float32 array, truncated for an integer array). Used for NIR's defaults
    /// (`v_reset = 0`, `w_in = 1`), which take the dtype of a sibling parameter as Python
    /// `nir` does (`np.zeros_like`, `np.ones_like`).
    pub fn full_like(&self, value: f64) -> Array {
        let shape = IxDyn(self.shape());
        match self {
            #[allow(clippy::cast_possible_truncation)]
            Array::F32(_) => Array::F32(ArrayD::from_elem(shape, value as f32)),
            Array::F64(_) => Array::F64(ArrayD::from_elem(shape, value)),
            #[allow(clippy::cast_possible_truncation)]
            Array::I64(_) => Array::I64(ArrayD::from_elem(shape, value as i64)),
        }
    }

    /// This array broadcast to `shape` (only a 0-d or one-element array broadcasts), keeping
    /// its element type; `None` if it cannot be.
    pub(crate) fn broadcast_to(&self, shape: &[usize]) -> Option<Array> {
        if self.shape() == shape {
            return Some(self.clone());
        }
        if self.len() != 1 {
            return None;
        }
        let shape = IxDyn(shape);
        Some(match self {
            Array::F32(a) => Array::F32(ArrayD::from_elem(shape, *a.iter().next()?)),
            Array::F64(a) => Array::F64(ArrayD::from_elem(shape, *a.iter().next()?)),
            Array::I64(a) => Array::I64(ArrayD::from_elem(shape, *a.iter().next()?)),
        })
    }

    /// Bytes per element in the file (4 for float32, 8 otherwise).
    pub(crate) fn element_bytes(&self) -> u64 {
        match self {
            Array::F32(_) => 4,
            Array::F64(_) | Array::I64(_) => 8,
        }
    }

    /// The shape as Python prints it, e.g. `(38, 12)`.
    pub fn shape_text(&self) -> String {
        shape_text(self.shape())
    }
}

impl<D: Dimension> From<ndarray::Array<f32, D>> for Array {
    fn from(a: ndarray::Array<f32, D>) -> Self {
        Array::F32(a.into_dyn())
    }
}

impl<D: Dimension> From<ndarray::Array<f64, D>> for Array {
    fn from(a: ndarray::Array<f64, D>) -> Self {
        Array::F64(a.into_dyn())
    }
}

impl<D: Dimension> From<ndarray::Array<i64, D>> for Array {
    fn from(a: ndarray::Array<i64, D>) -> Self {
        Array::I64(a.into_dyn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn conversions_keep_values_and_dtype() {
        let a = Array::from(arr1(&[0.1_f32, 2.5]));
        assert_eq!(a.dtype(), Dtype::F32);
        assert_eq!(a.shape(), &[2]);
        assert_eq!(a.to_f64()[[0]], f64::from(0.1_f32));
        assert_eq!(a.full_like(0.0), Array::from(arr1(&[0.0_f32, 0.0])));
        assert_eq!(a.shape_text(), "(2,)");
        let s = Array::from(ndarray::arr0(3.0_f64));
        assert_eq!(s.shape_text(), "()");
        assert_eq!(
            s.broadcast_to(&[3]),
            Some(Array::from(arr1(&[3.0, 3.0, 3.0])))
        );
        assert_eq!(a.broadcast_to(&[3]), None);
    }
}
