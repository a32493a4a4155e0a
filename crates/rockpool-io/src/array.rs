//! [`NpyArray`]: an n-dimensional array of one of the element types NumPy files carry.

use ndarray::ArrayD;

use crate::error::{IoError, Result};

/// The element types supported in `.npy` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `float32` (`<f4`).
    F32,
    /// `float64` (`<f8`).
    F64,
    /// `int8` (`|i1`).
    I8,
    /// `int16` (`<i2`).
    I16,
    /// `int32` (`<i4`).
    I32,
    /// `int64` (`<i8`).
    I64,
    /// `uint8` (`|u1`).
    U8,
    /// `uint16` (`<u2`).
    U16,
    /// `uint32` (`<u4`).
    U32,
    /// `uint64` (`<u8`).
    U64,
    /// `bool` (`|b1`), one byte per element.
    Bool,
}

impl DType {
    /// The little-endian NumPy descr this crate writes, e.g. `<f4` or `|b1`.
    pub fn descr(self) -> &'static str {
        match self {
            DType::F32 => "<f4",
            DType::F64 => "<f8",
            DType::I8 => "|i1",
            DType::I16 => "<i2",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::U8 => "|u1",
            DType::U16 => "<u2",
            DType::U32 => "<u4",
            DType::U64 => "<u8",
            DType::Bool => "|b1",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 | DType::U8 | DType::Bool => 1,
            DType::I16 | DType::U16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::I64 | DType::U64 => 8,
        }
    }

    /// Parses the type code of a descr with its byte-order character removed (`f4`, `i8`,
    /// `b1`, …); `?` (NumPy's bool character code) is accepted as `b1`.
    pub(crate) fn from_code(code: &str) -> Option<DType> {
        Some(match code {
            "f4" => DType::F32,
            "f8" => DType::F64,
            "i1" => DType::I8,
            "i2" => DType::I16,
            "i4" => DType::I32,
            "i8" => DType::I64,
            "u1" => DType::U8,
            "u2" => DType::U16,
            "u4" => DType::U32,
            "u8" => DType::U64,
            "b1" | "?" => DType::Bool,
            _ => return None,
        })
    }
}

/// An n-dimensional array as stored in a `.npy` file, in standard (C, row-major) layout.
///
/// Convert from typed arrays with `From` (`NpyArray::from(array)`), back to a specific type
/// with `TryFrom` (exact dtype) or with the converting accessors [`to_f32`](Self::to_f32),
/// [`to_f64`](Self::to_f64) and [`to_i64`](Self::to_i64).
#[derive(Debug, Clone, PartialEq)]
pub enum NpyArray {
    /// `float32`.
    F32(ArrayD<f32>),
    /// `float64`.
    F64(ArrayD<f64>),
    /// `int8`.
    I8(ArrayD<i8>),
    /// `int16`.
    I16(ArrayD<i16>),
    /// `int32`.
    I32(ArrayD<i32>),
    /// `int64`.
    I64(ArrayD<i64>),
    /// `uint8`.
    U8(ArrayD<u8>),
    /// `uint16`.
    U16(ArrayD<u16>),
    /// `uint32`.
    U32(ArrayD<u32>),
    /// `uint64`.
    U64(ArrayD<u64>),
    /// `bool`.
    Bool(ArrayD<bool>),
}

/// Applies `$body` to the inner array of any variant, bound as `$a`.
macro_rules! each_variant {
    ($value:expr, $a:ident => $body:expr) => {
        match $value {
            NpyArray::F32($a) => $body,
            NpyArray::F64($a) => $body,
            NpyArray::I8($a) => $body,
            NpyArray::I16($a) => $body,
            NpyArray::I32($a) => $body,
            NpyArray::I64($a) => $body,
            NpyArray::U8($a) => $body,
            NpyArray::U16($a) => $body,
            NpyArray::U32($a) => $body,
            NpyArray::U64($a) => $body,
            NpyArray::Bool($a) => $body,
        }
    };
}
pub(crate) use each_variant;

impl NpyArray {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            NpyArray::F32(_) => DType::F32,
            NpyArray::F64(_) => DType::F64,
            NpyArray::I8(_) => DType::I8,
            NpyArray::I16(_) => DType::I16,
            NpyArray::I32(_) => DType::I32,
            NpyArray::I64(_) => DType::I64,
            NpyArray::U8(_) => DType::U8,
            NpyArray::U16(_) => DType::U16,
            NpyArray::U32(_) => DType::U32,
            NpyArray::U64(_) => DType::U64,
            NpyArray::Bool(_) => DType::Bool,
        }
    }

    /// The NumPy descr this array is written with, e.g. `<f4`, `<i8`, `|b1`.
    pub fn dtype_str(&self) -> &'static str {
        self.dtype().descr()
    }

    /// The shape; empty for a 0-d (scalar) array.
    pub fn shape(&self) -> &[usize] {
        each_variant!(self, a => a.shape())
    }

    /// Number of dimensions (0 for a scalar).
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements (1 for a 0-d array).
    pub fn len(&self) -> usize {
        each_variant!(self, a => a.len())
    }

    /// Whether the array has no elements (some axis of length 0). A 0-d array is not empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Converts to `f32` as NumPy's `astype(np.float32)` would: wide integers and `f64` round to
    /// the nearest `f32`, `bool` becomes 0 or 1.
    pub fn to_f32(&self) -> ArrayD<f32> {
        match self {
            NpyArray::F32(a) => a.clone(),
            NpyArray::F64(a) => a.mapv(|v| v as f32),
            NpyArray::I8(a) => a.mapv(f32::from),
            NpyArray::I16(a) => a.mapv(f32::from),
            NpyArray::I32(a) => a.mapv(|v| v as f32),
            NpyArray::I64(a) => a.mapv(|v| v as f32),
            NpyArray::U8(a) => a.mapv(f32::from),
            NpyArray::U16(a) => a.mapv(f32::from),
            NpyArray::U32(a) => a.mapv(|v| v as f32),
            NpyArray::U64(a) => a.mapv(|v| v as f32),
            NpyArray::Bool(a) => a.mapv(|v| f32::from(u8::from(v))),
        }
    }

    /// Converts to `f64`: exact for everything except 64-bit integers beyond 2^53, which round
    /// to the nearest `f64`; `bool` becomes 0 or 1.
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            NpyArray::F32(a) => a.mapv(f64::from),
            NpyArray::F64(a) => a.clone(),
            NpyArray::I8(a) => a.mapv(f64::from),
            NpyArray::I16(a) => a.mapv(f64::from),
            NpyArray::I32(a) => a.mapv(f64::from),
            NpyArray::I64(a) => a.mapv(|v| v as f64),
            NpyArray::U8(a) => a.mapv(f64::from),
            NpyArray::U16(a) => a.mapv(f64::from),
            NpyArray::U32(a) => a.mapv(f64::from),
            NpyArray::U64(a) => a.mapv(|v| v as f64),
            NpyArray::Bool(a) => a.mapv(|v| f64::from(u8::from(v))),
        }
    }

    /// Converts to `i64` without loss.
    ///
    /// # Errors
    /// [`IoError::Conversion`] naming the first element that is not exactly an `i64`: a float
    /// with a fractional part, NaN, infinite or out of range, or a `u64` above `i64::MAX`.
    pub fn to_i64(&self) -> Result<ArrayD<i64>> {
        let dtype = self.dtype_str();
        let fail = |value: String| IoError::Conversion {
            dtype,
            target: "i64",
            value,
        };
        // 2^63 as f64: the first float at or beyond which i64 overflows.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        let from_float = |v: f64| {
            if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
                Some(v as i64)
            } else {
                None
            }
        };
        fn convert<T: Copy + std::fmt::Display>(
            a: &ArrayD<T>,
            f: impl Fn(T) -> Option<i64>,
            fail: impl Fn(String) -> IoError,
        ) -> Result<ArrayD<i64>> {
            if let Some(bad) = a.iter().find(|&&v| f(v).is_none()) {
                return Err(fail(bad.to_string()));
            }
            Ok(a.mapv(|v| f(v).unwrap_or_default()))
        }
        match self {
            NpyArray::F32(a) => convert(a, |v| from_float(f64::from(v)), fail),
            NpyArray::F64(a) => convert(a, from_float, fail),
            NpyArray::I8(a) => Ok(a.mapv(i64::from)),
            NpyArray::I16(a) => Ok(a.mapv(i64::from)),
            NpyArray::I32(a) => Ok(a.mapv(i64::from)),
            NpyArray::I64(a) => Ok(a.clone()),
            NpyArray::U8(a) => Ok(a.mapv(i64::from)),
            NpyArray::U16(a) => Ok(a.mapv(i64::from)),
            NpyArray::U32(a) => Ok(a.mapv(i64::from)),
            NpyArray::U64(a) => convert(a, |v| i64::try_from(v).ok(), fail),
            NpyArray::Bool(a) => Ok(a.mapv(i64::from)),
        }
    }
}

/// `From<ArrayD<T>>` and exact-dtype `TryFrom<NpyArray>` for each element type.
macro_rules! conversions {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<ArrayD<$t>> for NpyArray {
            fn from(a: ArrayD<$t>) -> Self {
                NpyArray::$variant(a)
            }
        }

        impl TryFrom<NpyArray> for ArrayD<$t> {
            type Error = IoError;

            /// Unwraps the array if it holds exactly this element type (no conversion).
            fn try_from(a: NpyArray) -> Result<Self> {
                match a {
                    NpyArray::$variant(inner) => Ok(inner),
                    other => Err(IoError::DtypeMismatch {
                        expected: DType::$variant.descr(),
                        found: other.dtype_str(),
                    }),
                }
            }
        }
    )*};
}

conversions! {
    f32 => F32, f64 => F64,
    i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    bool => Bool,
}
