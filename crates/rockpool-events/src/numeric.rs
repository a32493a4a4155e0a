//! Numbers of a declared element type decoded from raw bytes (HDF5 vlen objects), to `f64`.

use rust_hdf5::{ByteOrder, DatatypeMessage};

/// An element type a file may declare for times, units or labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumType {
    /// IEEE float of 2, 4 or 8 bytes.
    Float { size: usize, big_endian: bool },
    /// Integer of 1, 2, 4 or 8 bytes.
    Int {
        size: usize,
        signed: bool,
        big_endian: bool,
    },
}

impl NumType {
    /// The type of an HDF5 datatype message, or a description of why it is not a supported
    /// number.
    pub(crate) fn from_hdf5(dt: &DatatypeMessage) -> Result<Self, String> {
        match dt {
            DatatypeMessage::FixedPoint {
                size,
                byte_order,
                signed,
                ..
            } => {
                let size = *size as usize;
                if ![1, 2, 4, 8].contains(&size) {
                    return Err(format!("{size}-byte integers are not supported"));
                }
                Ok(NumType::Int {
                    size,
                    signed: *signed,
                    big_endian: is_big(byte_order),
                })
            }
            DatatypeMessage::FloatingPoint {
                size,
                byte_order,
                exponent_size,
                mantissa_size,
                ..
            } => {
                let size = *size as usize;
                let ieee = matches!(
                    (size, *exponent_size, *mantissa_size),
                    (2, 5, 10) | (4, 8, 23) | (8, 11, 52)
                );
                if !ieee {
                    return Err(format!(
                        "a {size}-byte float with {exponent_size} exponent and {mantissa_size} \
                         mantissa bits is not IEEE half, single or double precision"
                    ));
                }
                Ok(NumType::Float {
                    size,
                    big_endian: is_big(byte_order),
                })
            }
            other => Err(format!("not a number type: {}", short_name(other))),
        }
    }

    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            NumType::Float { size, .. } | NumType::Int { size, .. } => size,
        }
    }

    /// A name like `float16` or `uint16`.
    pub(crate) fn name(self) -> String {
        match self {
            NumType::Float { size, .. } => format!("float{}", size * 8),
            NumType::Int { size, signed, .. } => {
                format!("{}int{}", if signed { "" } else { "u" }, size * 8)
            }
        }
    }

    /// Decodes `bytes` (a whole number of elements) to `f64`. 64-bit integers above 2^53 lose
    /// precision, which matters only for values far beyond any valid range.
    pub(crate) fn decode(self, bytes: &[u8]) -> Vec<f64> {
        let size = self.size();
        bytes
            .chunks_exact(size)
            .map(|c| self.decode_one(c))
            .collect()
    }

    fn decode_one(self, c: &[u8]) -> f64 {
        let mut b = [0u8; 8];
        let (big, size) = match self {
            NumType::Float { size, big_endian }
            | NumType::Int {
                size, big_endian, ..
            } => (big_endian, size),
        };
        // Little-endian into the low bytes of `b`.
        for i in 0..size {
            b[i] = if big { c[size - 1 - i] } else { c[i] };
        }
        let raw = u64::from_le_bytes(b);
        match self {
            NumType::Float { size: 2, .. } => f16_to_f64(raw as u16),
            NumType::Float { size: 4, .. } => f32::from_bits(raw as u32) as f64,
            NumType::Float { .. } => f64::from_bits(raw),
            NumType::Int { signed: false, .. } => raw as f64,
            NumType::Int {
                size, signed: true, ..
            } => {
                let shift = 64 - 8 * size as u32;
                (((raw << shift) as i64) >> shift) as f64
            }
        }
    }
}

fn is_big(order: &ByteOrder) -> bool {
    matches!(order, ByteOrder::BigEndian)
}

fn short_name(dt: &DatatypeMessage) -> &'static str {
    match dt {
        DatatypeMessage::FixedString { .. } | DatatypeMessage::VarLenString { .. } => "string",
        DatatypeMessage::Compound { .. } => "compound",
        DatatypeMessage::Enum { .. } => "enum",
        DatatypeMessage::VarLenSequence { .. } => "variable-length sequence",
        DatatypeMessage::Array { .. } => "array",
        _ => "bit field, opaque, reference or time",
    }
}

/// IEEE 754 half precision (1 sign, 5 exponent, 10 mantissa bits) to `f64`, exactly.
pub(crate) fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1F) as i32;
    let man = (h & 0x3FF) as f64;
    let mag = match exp {
        0 => man * 2f64.powi(-24),
        31 if man == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + man / 1024.0) * 2f64.powi(e - 15),
    };
    sign * mag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_values() {
        assert_eq!(f16_to_f64(0x0000), 0.0);
        assert_eq!(f16_to_f64(0x3C00), 1.0);
        assert_eq!(f16_to_f64(0xC000), -2.0);
        assert_eq!(f16_to_f64(0x7BFF), 65504.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        // 0.1 rounds to 0x2E66 = 2^-4 · (1 + 614/1024).
        assert_eq!(f16_to_f64(0x2E66), 0.0999755859375);
        assert!(f16_to_f64(0x7C00).is_infinite());
        assert!(f16_to_f64(0x7E00).is_nan());
    }

    #[test]
    fn integers_of_every_width_and_order() {
        let i16be = NumType::Int {
            size: 2,
            signed: true,
            big_endian: true,
        };
        assert_eq!(i16be.decode(&[0xFF, 0xFE, 0x01, 0x00]), vec![-2.0, 256.0]);
        let u32le = NumType::Int {
            size: 4,
            signed: false,
            big_endian: false,
        };
        assert_eq!(u32le.decode(&[1, 0, 0, 0x80]), vec![2147483649.0]);
        let i8_ = NumType::Int {
            size: 1,
            signed: true,
            big_endian: false,
        };
        assert_eq!(i8_.decode(&[0x80, 0x7F]), vec![-128.0, 127.0]);
        let f32be = NumType::Float {
            size: 4,
            big_endian: true,
        };
        assert_eq!(f32be.decode(&1.5f32.to_be_bytes()), vec![1.5]);
    }
}
