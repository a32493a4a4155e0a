//! Reading HDF5 objects safely: every call guarded against errors and panics of the HDF5
//! library, every size compared with a limit before anything is allocated, strings of both
//! kinds, numbers of every width kept in their dtype, h5py's booleans.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use hdf5_pure::{DType, Dataset, File, Group, VlenStringReadOptions};
use ndarray::{ArrayD, IxDyn};

use crate::array::Array;
use crate::error::{NirError, Result};

/// Most strings one string dataset may hold (edges of a very large graph fit easily).
const MAX_STRINGS: usize = 1 << 22;
/// Most bytes of string payload one dataset may hold.
const MAX_STRING_BYTES: usize = 256 << 20;

/// Parses the HDF5 bytes.
pub(crate) fn open(bytes: Vec<u8>) -> Result<File> {
    if !hdf5_pure::is_hdf5_bytes(&bytes) {
        return Err(NirError::Hdf5 {
            message: "no HDF5 signature (not an HDF5 file)".to_owned(),
        });
    }
    guard(|| File::from_bytes(bytes)).map_err(|message| NirError::Hdf5 { message })
}

/// Runs an HDF5 call, turning its error, or a panic inside it, into a message.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, hdf5_pure::Error>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(format!(
            "the HDF5 reader failed on corrupt data ({})",
            panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned())
        )),
    }
}

/// A child group by name, if there is one.
pub(crate) fn child_group(group: &Group, name: &str) -> Option<Group> {
    guard(|| group.groups())
        .ok()?
        .iter()
        .any(|n| n == name)
        .then(|| guard(|| group.group(name)).ok())
        .flatten()
}

/// The members of a group: datasets and groups by name.
pub(crate) struct Members {
    /// Datasets by name.
    pub(crate) datasets: BTreeMap<String, Dataset>,
    /// Groups by name.
    pub(crate) groups: BTreeMap<String, Group>,
}

pub(crate) fn members(group: &Group, location: &str) -> Result<Members> {
    let datasets = guard(|| group.iter_datasets().map(Iterator::collect))
        .map_err(|m| NirError::layout(location, format!("cannot list datasets: {m}")))?;
    let groups = guard(|| group.iter_groups().map(Iterator::collect))
        .map_err(|m| NirError::layout(location, format!("cannot list groups: {m}")))?;
    Ok(Members { datasets, groups })
}

/// A dataset's shape and element count, the count compared with the limit for `element_size`
/// bytes each.
pub(crate) fn sized(ds: &Dataset, limit: u64) -> Result<(Vec<usize>, usize), String> {
    let shape = guard(|| ds.shape())?;
    let element = guard(|| ds.element_size())?.max(1);
    let mut count: u64 = 1;
    for &d in &shape {
        count = count.checked_mul(d).ok_or("has a size that overflows")?;
    }
    let bytes = count
        .checked_mul(element)
        .ok_or("has a size that overflows")?;
    if bytes > limit {
        return Err(format!(
            "holds {count} elements ({bytes} bytes), above the limit of {limit} bytes \
             (set ROCKPOOL_MAX_ARRAY_BYTES to allow more)"
        ));
    }
    let shape = shape
        .into_iter()
        .map(usize::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "has a dimension too large for this machine")?;
    let count = usize::try_from(count).map_err(|_| "is too large for this machine")?;
    Ok((shape, count))
}

/// Whether a dataset holds strings.
pub(crate) fn is_string(ds: &Dataset) -> bool {
    matches!(
        guard(|| ds.dtype()),
        Ok(DType::String | DType::VariableLengthString)
    )
}

/// Whether a dataset holds numpy booleans (h5py's enum `FALSE = 0, TRUE = 1`).
pub(crate) fn is_bool(ds: &Dataset) -> bool {
    matches!(guard(|| ds.dtype()), Ok(DType::Enum(names)) if names == ["FALSE", "TRUE"])
}

/// A boolean dataset (1-byte elements, non-zero is true).
pub(crate) fn read_bools(ds: &Dataset, limit: u64) -> Result<ArrayD<bool>, String> {
    let (shape, count) = sized(ds, limit)?;
    if guard(|| ds.element_size())? != 1 {
        return Err("is a boolean enum wider than one byte".to_owned());
    }
    let bytes = guard(|| ds.read_raw())?;
    shaped(shape, bytes.into_iter().map(|b| b != 0).collect(), count)
}

/// All strings of a string dataset (fixed- or variable-length), bounded.
pub(crate) fn read_strings(ds: &Dataset, limit: u64) -> Result<(Vec<usize>, Vec<String>), String> {
    let (shape, count) = sized(ds, limit)?;
    if count > MAX_STRINGS {
        return Err(format!(
            "holds {count} strings, above the limit of {MAX_STRINGS}"
        ));
    }
    let strings = match guard(|| ds.dtype())? {
        DType::VariableLengthString => guard(|| {
            ds.read_vlen_strings(
                VlenStringReadOptions::new()
                    .with_max_elements(MAX_STRINGS)
                    .with_max_payload_bytes(MAX_STRING_BYTES),
            )
        })?,
        DType::String => guard(|| ds.read_string())?,
        other => return Err(format!("has type {other}, expected a string")),
    };
    if strings.len() != count {
        return Err(format!(
            "holds {} strings for a shape with {count} elements",
            strings.len()
        ));
    }
    Ok((shape, strings))
}

/// One string (a scalar or one-element string dataset).
pub(crate) fn read_string(ds: &Dataset) -> Result<String, String> {
    let (shape, count) = sized(ds, u64::MAX)?;
    if count != 1 {
        return Err(format!(
            "has shape {}, expected one string",
            crate::error::shape_text(&shape)
        ));
    }
    let (_, mut strings) = read_strings(ds, u64::MAX)?;
    Ok(strings.remove(0))
}

/// A numeric dataset as an [`Array`] in its own element type (integers of any width as i64).
pub(crate) fn read_array(ds: &Dataset, limit: u64) -> Result<Array, String> {
    let (shape, count) = sized(ds, limit)?;
    let dtype = guard(|| ds.dtype())?;
    let array = match dtype {
        DType::F32 => Array::F32(shaped(shape, guard(|| ds.read_f32())?, count)?),
        DType::F64 => Array::F64(shaped(shape, guard(|| ds.read_f64())?, count)?),
        DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U8 | DType::U16 | DType::U32 => {
            Array::I64(shaped(shape, guard(|| ds.read_i64())?, count)?)
        }
        DType::U64 => {
            let values = guard(|| ds.read_u64())?
                .into_iter()
                .map(i64::try_from)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| "holds an unsigned value above the int64 range")?;
            Array::I64(shaped(shape, values, count)?)
        }
        other => return Err(format!("has type {other}, expected numbers")),
    };
    Ok(array)
}

pub(crate) fn shaped<T>(
    shape: Vec<usize>,
    values: Vec<T>,
    count: usize,
) -> Result<ArrayD<T>, String> {
    if values.len() != count {
        return Err(format!(
            "holds {} values for a shape with {count} elements",
            values.len()
        ));
    }
    ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| e.to_string())
}
