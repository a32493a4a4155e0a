//! Input rasters for the simulator from `.npy` arrays: a `(T, Nin)` array of non-negative
//! whole event counts becomes the `u32` raster [`XyloSim::evolve`](crate::XyloSim::evolve)
//! takes. Every way an array can fail to be a raster (rank, negative or fractional counts,
//! NaN) is an error naming the array; nothing here panics on any input.

use std::path::Path;

use ndarray::{Array2, Dimension};
use rockpool_io::NpyArray;

use crate::error::{Result, XyloError};

/// The `(T, Nin)` raster held by `array`; `what` names it in errors (e.g. the file). Counts
/// above `u32::MAX` are clipped (the chip clips at 15 anyway).
///
/// # Errors
/// [`XyloError::Shape`] if the array is not two-dimensional; [`XyloError::Value`] if it holds
/// a count that is negative or not a whole number.
pub fn raster_from_npy(array: &NpyArray, what: &str) -> Result<Array2<u32>> {
    if array.ndim() != 2 {
        return Err(XyloError::shape(
            what,
            array.shape(),
            "(T, Nin): time steps × input channels",
        ));
    }
    let counts = array.to_i64().map_err(|e| {
        XyloError::value(
            what,
            array.dtype_str(),
            format!("event counts must be whole numbers ({e})"),
        )
    })?;
    if let Some((i, &c)) = counts.indexed_iter().find(|(_, c)| **c < 0) {
        return Err(XyloError::value(
            what,
            c,
            format!(
                "at index {:?}: event counts must be >= 0 (a count cannot be negative)",
                i.slice()
            ),
        ));
    }
    let (t, c) = (array.shape()[0], array.shape()[1]);
    let values = counts
        .iter()
        .map(|&x| u32::try_from(x).unwrap_or(u32::MAX))
        .collect();
    Array2::from_shape_vec((t, c), values)
        .map_err(|e| XyloError::value(what, format!("{t} × {c}"), e.to_string()))
}

/// Reads a `(T, Nin)` raster from an `.npy` file ([`raster_from_npy`]).
///
/// # Errors
/// [`XyloError::File`] if the file cannot be read as `.npy`; otherwise as
/// [`raster_from_npy`], naming the file.
pub fn read_raster(path: impl AsRef<Path>) -> Result<Array2<u32>> {
    let path = path.as_ref();
    let array = rockpool_io::read_npy(path)?;
    raster_from_npy(&array, &format!("input raster {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    fn npy<T>(shape: &[usize], v: Vec<T>) -> NpyArray
    where
        NpyArray: From<ArrayD<T>>,
    {
        NpyArray::from(ArrayD::from_shape_vec(shape, v).unwrap())
    }

    #[test]
    fn rasters_take_whole_non_negative_counts_of_rank_two() {
        let r = raster_from_npy(&npy(&[2, 2], vec![0i64, 3, 1, 20]), "r").unwrap();
        assert_eq!(r, ndarray::array![[0u32, 3], [1, 20]]);
        let e = raster_from_npy(&npy(&[3], vec![1i64, 2, 3]), "r.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.npy") && e.contains("(T, Nin)"), "{e}");
        let e = raster_from_npy(&npy(&[1, 2], vec![1i64, -2]), "r.npy")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.npy") && e.contains("-2") && e.contains(">= 0"),
            "{e}"
        );
        let e = raster_from_npy(&npy(&[1, 2], vec![1.5f64, f64::NAN]), "r.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.npy") && e.contains("whole"), "{e}");
    }
}
