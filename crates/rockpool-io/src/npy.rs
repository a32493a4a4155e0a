//! The NPY format: one array per stream.
//!
//! A stream is the magic string `\x93NUMPY`, a major and minor version byte, the header length
//! (`u16` little-endian for version 1.0, `u32` for 2.0 and 3.0), the header (a Python dict
//! literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, ASCII/latin-1 in
//! 1.0 and 2.0, UTF-8 in 3.0, padded with spaces and a newline), then the raw element bytes.
//!
//! We write version 1.0 (2.0 only when the header would not fit in 64 KiB, as NumPy does),
//! little-endian, C order, with the header padded so the data starts at a multiple of 64 bytes.

use std::io::Read;
use std::path::Path;

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use crate::array::{DType, NpyArray, each_variant};
use crate::atomic::write_atomic;
use crate::error::{FormatError, Result, io_error};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// NumPy aligns the start of the data to this many bytes.
const ALIGN: usize = 64;
/// Deepest bracket nesting accepted in a header (real headers nest at most two deep).
const MAX_NESTING: usize = 16;
/// Longest header accepted, in bytes. NumPy itself refuses headers over 10 000 bytes by
/// default; real headers of supported (non-structured) dtypes are under 200 bytes.
pub(crate) const MAX_HEADER_BYTES: u64 = 1 << 20;
/// Bytes before the header: magic, version and the length field (4 bytes in versions 2 and 3).
pub(crate) const MAX_PREAMBLE_BYTES: u64 = 12;

/// Reads one array from a `.npy` file.
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) if the file cannot be read,
/// [`IoError::Format`](crate::IoError::Format) if it is not a supported `.npy` array.
///
/// The header is read and checked first: the array's size is computed with checked arithmetic
/// and compared with the file's length and with [`max_array_bytes`](crate::max_array_bytes)
/// before any memory is reserved for the data.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NpyArray> {
    let path = path.as_ref();
    let limit = crate::limit::max_array_bytes()?;
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    // The length of a regular file bounds what can be read; pipes and devices have none.
    let declared = file
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len());
    let mut reader = std::io::BufReader::new(file);
    let bytes = read_npy_stream(&mut reader, declared, limit).map_err(|e| match e {
        StreamError::Format(f) => f.at(path, None),
        StreamError::Io(e) => io_error(path, e),
    })?;
    parse_npy(&bytes, limit).map_err(|e| e.at(path, None))
}

/// What can stop [`read_npy_stream`]: a format problem, or the reader failing.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// The bytes read are not a valid or acceptable `.npy` stream.
    Format(FormatError),
    /// The underlying reader failed.
    Io(std::io::Error),
}

impl From<FormatError> for StreamError {
    fn from(e: FormatError) -> Self {
        Self::Format(e)
    }
}

/// Reads from `reader` at most `n` more bytes into `buf`, stopping early at the end of the
/// stream; returns the buffer's new length.
fn read_up_to(reader: &mut impl Read, buf: &mut Vec<u8>, n: u64) -> Result<u64, StreamError> {
    reader.take(n).read_to_end(buf).map_err(StreamError::Io)?;
    Ok(u64::try_from(buf.len()).unwrap_or(u64::MAX))
}

/// Reads exactly one `.npy` stream (preamble, header and element data, nothing after) from
/// `reader` into memory, checking every size before reserving memory for it: the header length
/// against [`MAX_HEADER_BYTES`], the data size (checked arithmetic) against `limit` and, when
/// the stream's length is known (`declared`: a file's length, a zip entry's uncompressed
/// size), against that length. The returned bytes are then parsed by [`parse_npy`].
pub(crate) fn read_npy_stream(
    reader: &mut impl Read,
    declared: Option<u64>,
    limit: u64,
) -> Result<Vec<u8>, StreamError> {
    let available = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let mut buf = Vec::with_capacity(256);
    // Magic, version and (at most 4 bytes of) header length.
    let got = read_up_to(reader, &mut buf, MAX_PREAMBLE_BYTES)?;
    let header_end = match preamble(&buf)? {
        Some(end) => end,
        None => {
            return Err(FormatError::TruncatedHeader {
                needed: 10,
                available: available(got),
            }
            .into());
        }
    };
    if header_end > MAX_HEADER_BYTES + MAX_PREAMBLE_BYTES {
        return Err(FormatError::HeaderTooLarge {
            len: header_end - if buf[6] == 1 { 10 } else { 12 },
            limit: MAX_HEADER_BYTES,
        }
        .into());
    }
    let truncated_header = |available: u64| FormatError::TruncatedHeader {
        needed: usize::try_from(header_end).unwrap_or(usize::MAX),
        available: usize::try_from(available).unwrap_or(usize::MAX),
    };
    if let Some(declared) = declared
        && declared < header_end
    {
        return Err(truncated_header(declared).into());
    }
    let got = read_up_to(reader, &mut buf, header_end.saturating_sub(got))?;
    if got < header_end {
        return Err(truncated_header(got).into());
    }
    let (header, _) = parse_preamble_and_header(&buf)?;
    let (count, needed) = data_size(&header, limit)?;
    let size = header.dtype.size() as u64;
    if let Some(declared) = declared {
        let present = declared - header_end;
        if present < needed {
            return Err(FormatError::TruncatedData {
                expected: count,
                found: available(present / size),
            }
            .into());
        }
    }
    // `needed` is within the limit; an allocation the system still cannot satisfy is reported,
    // not an abort.
    buf.try_reserve_exact(available(needed))
        .map_err(|_| FormatError::OutOfMemory { bytes: needed })?;
    let got = read_up_to(reader, &mut buf, needed)? - header_end;
    if got < needed {
        return Err(FormatError::TruncatedData {
            expected: count,
            found: available(got / size),
        }
        .into());
    }
    Ok(buf)
}

/// From the first bytes of a stream (up to [`MAX_PREAMBLE_BYTES`]), the offset where the
/// header ends; `None` if the bytes end before the length field.
fn preamble(bytes: &[u8]) -> Result<Option<u64>, FormatError> {
    if !bytes.starts_with(MAGIC) {
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            return Ok(None);
        }
        return Err(FormatError::BadMagic);
    }
    if bytes.len() < 8 {
        return Ok(None);
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2 | 3, 0) => 4,
        _ => return Err(FormatError::UnsupportedVersion { major, minor }),
    };
    if bytes.len() < 8 + len_bytes {
        return Ok(None);
    }
    let len = if len_bytes == 2 {
        u64::from(u16::from_le_bytes([bytes[8], bytes[9]]))
    } else {
        u64::from(u32::from_le_bytes([
            bytes[8], bytes[9], bytes[10], bytes[11],
        ]))
    };
    Ok(Some(8 + len_bytes as u64 + len))
}

/// The element count and data bytes of the header's array, with checked arithmetic, refused
/// above `limit` bytes.
fn data_size(header: &Header, limit: u64) -> Result<(usize, u64), FormatError> {
    let overflow = || FormatError::ShapeOverflow(header.shape.clone());
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(overflow)?;
    let bytes = u64::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(header.dtype.size() as u64))
        .ok_or_else(overflow)?;
    if bytes > limit {
        return Err(FormatError::TooLarge {
            shape: header.shape.clone(),
            dtype: header.dtype.descr(),
            bytes,
            limit,
        });
    }
    // Within the limit, but the address space may still be smaller (32-bit targets).
    usize::try_from(bytes).map_err(|_| overflow())?;
    Ok((count, bytes))
}

/// Writes one array to a `.npy` file, atomically (see [`write_atomic`]).
///
/// # Errors
/// [`IoError::Io`](crate::IoError::Io) if the file cannot be written.
pub fn write_npy(path: impl AsRef<Path>, array: &NpyArray) -> Result<()> {
    write_atomic(path, &npy_to_bytes(array))
}

/// Parses an in-memory `.npy` stream (as read from a file or an archive entry).
///
/// # Errors
/// [`IoError::Format`](crate::IoError::Format) (located at `<memory>`) if the bytes are not a
/// supported `.npy` array.
///
/// Arrays larger than [`max_array_bytes`](crate::max_array_bytes) are refused like in
/// [`read_npy`].
pub fn npy_from_bytes(bytes: &[u8]) -> Result<NpyArray> {
    let limit = crate::limit::max_array_bytes()?;
    parse_npy(bytes, limit).map_err(|e| e.at(Path::new(""), None))
}

/// Serialises an array as a `.npy` stream: little-endian, C order, format version 1.0.
pub fn npy_to_bytes(array: &NpyArray) -> Vec<u8> {
    let shape = array.shape();
    let shape_text = match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    };
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}",
        array.dtype_str()
    );
    // Preamble: magic (6) + version (2) + length (2 in v1.0, 4 in v2.0); header ends in '\n'.
    let (version, len_bytes) = if 10 + dict.len() < usize::from(u16::MAX) {
        (1u8, 2usize)
    } else {
        (2u8, 4usize)
    };
    let unpadded = 8 + len_bytes + dict.len() + 1;
    let header_len = dict.len() + 1 + (ALIGN - unpadded % ALIGN) % ALIGN;

    let mut out =
        Vec::with_capacity(8 + len_bytes + header_len + array.len() * array.dtype().size());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        // The unpadded preamble and header fit in 65535 bytes, so after padding to a multiple
        // of 64 the header length is at most 65526: the fallback is unreachable.
        let len = u16::try_from(header_len).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        let len = u32::try_from(header_len).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(out.len() + header_len - dict.len() - 1, b' ');
    out.push(b'\n');
    each_variant!(array, a => {
        for &v in a.iter() {
            v.put_le(&mut out);
        }
    });
    out
}

/// Element types that can be written and read as raw bytes.
trait Element: Copy {
    /// Bytes per element.
    const SIZE: usize;
    /// Appends the little-endian bytes.
    fn put_le(self, out: &mut Vec<u8>);
    /// Decodes from exactly `SIZE` bytes in the given byte order.
    fn get(bytes: &[u8], little: bool) -> Self;
}

macro_rules! numeric_element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8], little: bool) -> Self {
                let mut buf = [0u8; std::mem::size_of::<$t>()];
                buf.copy_from_slice(bytes);
                if little { <$t>::from_le_bytes(buf) } else { <$t>::from_be_bytes(buf) }
            }
        }
    )*};
}
numeric_element!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

impl Element for bool {
    const SIZE: usize = 1;
    fn put_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    /// Any non-zero byte is `true`, as NumPy's `astype(bool)` would read it.
    fn get(bytes: &[u8], _little: bool) -> Self {
        bytes[0] != 0
    }
}

/// The parsed header: what the data bytes mean.
#[derive(Debug)]
struct Header {
    dtype: DType,
    little_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses a whole `.npy` stream, refusing arrays of more than `limit` bytes; the caller
/// attaches the location to errors.
pub(crate) fn parse_npy(bytes: &[u8], limit: u64) -> Result<NpyArray, FormatError> {
    let (header, data_start) = parse_preamble_and_header(bytes)?;
    let data = &bytes[data_start..];
    let (count, needed) = data_size(&header, limit)?;
    let size = header.dtype.size();
    // `data_size` checked that the byte count fits in `usize`.
    let needed = usize::try_from(needed).unwrap_or(usize::MAX);
    if data.len() < needed {
        return Err(FormatError::TruncatedData {
            expected: count,
            found: data.len() / size,
        });
    }
    let data = &data[..needed];
    Ok(match header.dtype {
        DType::F32 => NpyArray::F32(decode(data, &header)?),
        DType::F64 => NpyArray::F64(decode(data, &header)?),
        DType::I8 => NpyArray::I8(decode(data, &header)?),
        DType::I16 => NpyArray::I16(decode(data, &header)?),
        DType::I32 => NpyArray::I32(decode(data, &header)?),
        DType::I64 => NpyArray::I64(decode(data, &header)?),
        DType::U8 => NpyArray::U8(decode(data, &header)?),
        DType::U16 => NpyArray::U16(decode(data, &header)?),
        DType::U32 => NpyArray::U32(decode(data, &header)?),
        DType::U64 => NpyArray::U64(decode(data, &header)?),
        DType::Bool => NpyArray::Bool(decode(data, &header)?),
    })
}

/// Decodes exactly `count * SIZE` bytes into a standard-layout array of the header's shape.
fn decode<T: Element>(data: &[u8], header: &Header) -> Result<ArrayD<T>, FormatError> {
    let values: Vec<T> = data
        .chunks_exact(T::SIZE)
        .map(|c| T::get(c, header.little_endian))
        .collect();
    let shape = IxDyn(&header.shape);
    let too_large = |_| FormatError::ShapeOverflow(header.shape.clone());
    if header.fortran_order {
        let array = ArrayD::from_shape_vec(shape.f(), values).map_err(too_large)?;
        Ok(array.as_standard_layout().into_owned())
    } else {
        ArrayD::from_shape_vec(shape, values).map_err(too_large)
    }
}

/// Reads the magic, version, header length and header; returns the header and the offset of
/// the first data byte.
fn parse_preamble_and_header(bytes: &[u8]) -> Result<(Header, usize), FormatError> {
    let truncated = |needed: usize| FormatError::TruncatedHeader {
        needed,
        available: bytes.len(),
    };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        // A short prefix of the magic is a truncated file rather than a foreign one.
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            return Err(truncated(10));
        }
        return Err(FormatError::BadMagic);
    }
    if bytes.len() < 8 {
        return Err(truncated(10));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => return Err(FormatError::UnsupportedVersion { major, minor }),
    };
    let start = 8 + len_bytes;
    if bytes.len() < start {
        return Err(truncated(start));
    }
    let header_len = if len_bytes == 2 {
        usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))
    } else {
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        usize::try_from(len).map_err(|_| truncated(usize::MAX))?
    };
    let end = start
        .checked_add(header_len)
        .ok_or_else(|| truncated(usize::MAX))?;
    if bytes.len() < end {
        return Err(truncated(end));
    }
    let raw = &bytes[start..end];
    let text: String = if utf8 {
        std::str::from_utf8(raw)
            .map_err(|_| FormatError::BadHeader("header is not valid UTF-8".into()))?
            .to_string()
    } else {
        // Latin-1: every byte is the code point of the same value.
        raw.iter().map(|&b| char::from(b)).collect()
    };
    Ok((parse_header(&text)?, end))
}

/// A Python literal, as much of the language as npy headers use.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Int(i128),
    None,
    /// A tuple or a list (structured dtypes use lists of tuples).
    Seq(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// Interprets the header dict.
fn parse_header(text: &str) -> Result<Header, FormatError> {
    let bad = |m: &str| FormatError::BadHeader(m.to_string());
    let mut parser = LiteralParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != parser.chars.len() {
        return Err(bad("unexpected text after the header dict"));
    }
    let Literal::Dict(entries) = value else {
        return Err(bad("header is not a dict"));
    };
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Literal::Str(s) if s == key))
            .map(|(_, v)| v)
    };
    let descr = match get("descr") {
        Some(Literal::Str(s)) => s.clone(),
        Some(other) => return Err(FormatError::UnsupportedDtype(describe(other))),
        None => return Err(bad("missing key 'descr'")),
    };
    let fortran_order = match get("fortran_order") {
        Some(Literal::Bool(b)) => *b,
        Some(_) => return Err(bad("'fortran_order' is not True or False")),
        None => return Err(bad("missing key 'fortran_order'")),
    };
    let shape = match get("shape") {
        Some(Literal::Seq(dims)) => dims
            .iter()
            .map(|d| match d {
                Literal::Int(n) => usize::try_from(*n).ok(),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| bad("'shape' is not a tuple of non-negative integers"))?,
        Some(_) => return Err(bad("'shape' is not a tuple")),
        None => return Err(bad("missing key 'shape'")),
    };
    let (order, code) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('=', descr.as_str()),
    };
    let dtype =
        DType::from_code(code).ok_or_else(|| FormatError::UnsupportedDtype(descr.clone()))?;
    let little_endian = match order {
        '<' => true,
        '>' => false,
        // '|' (not applicable) only makes sense for one-byte types, where order is moot.
        _ => cfg!(target_endian = "little"),
    };
    Ok(Header {
        dtype,
        little_endian,
        fortran_order,
        shape,
    })
}

/// A short rendering of a non-string descr (structured dtypes) for error messages.
fn describe(value: &Literal) -> String {
    match value {
        Literal::Seq(_) => "structured (record) dtype".into(),
        other => format!("{other:?}"),
    }
}

/// A recursive-descent parser for Python literals.
struct LiteralParser {
    chars: Vec<char>,
    pos: usize,
}

impl LiteralParser {
    fn bad(&self, what: &str) -> FormatError {
        FormatError::BadHeader(format!("{what} at character {}", self.pos))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Literal, FormatError> {
        if depth > MAX_NESTING {
            return Err(self.bad("nesting too deep"));
        }
        self.skip_ws();
        match self.peek() {
            Some(q @ ('\'' | '"')) => self.string(q),
            Some('(') => self.sequence(')', depth),
            Some('[') => self.sequence(']', depth),
            Some('{') => self.dict(depth),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.int(),
            Some(c) if c.is_alphabetic() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Ok(Literal::Bool(true)),
                    "False" => Ok(Literal::Bool(false)),
                    "None" => Ok(Literal::None),
                    _ => Err(self.bad(&format!("unexpected name '{word}'"))),
                }
            }
            Some(c) => Err(self.bad(&format!("unexpected character {c:?}"))),
            None => Err(self.bad("unexpected end of header")),
        }
    }

    fn string(&mut self, quote: char) -> Result<Literal, FormatError> {
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => return Err(self.bad("unterminated string")),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(Literal::Str(s));
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => s.push(c),
                        None => return Err(self.bad("unterminated string")),
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn int(&mut self) -> Result<Literal, FormatError> {
        let start = self.pos;
        if matches!(self.peek(), Some('-' | '+')) {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        // Python 2 wrote long integers with an `L` suffix: `(3L, 4L)`.
        if matches!(self.peek(), Some('L' | 'l')) {
            self.pos += 1;
        }
        text.parse()
            .map(Literal::Int)
            .map_err(|_| self.bad(&format!("invalid integer '{text}'")))
    }

    /// Items separated by commas, a trailing comma allowed; the opener is at `pos`.
    fn sequence(&mut self, close: char, depth: usize) -> Result<Literal, FormatError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(Literal::Seq(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(self.bad(&format!("expected ',' or '{close}'"))),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Literal, FormatError> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(Literal::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.bad("expected ':'"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.bad("expected ',' or '}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_newline_terminated() {
        let a = NpyArray::from(ArrayD::<f32>::zeros(IxDyn(&[2, 3])));
        let bytes = npy_to_bytes(&a);
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes[10 + header_len - 1], b'\n');
        let text = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert_eq!(bytes.len(), 10 + header_len + 6 * 4);
    }

    #[test]
    fn parses_python2_long_shapes_and_double_quotes() {
        let h = parse_header("{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (3L, 4L)}")
            .unwrap();
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.dtype, DType::I64);
    }

    #[test]
    fn structured_dtype_is_reported_as_unsupported() {
        let err = parse_header(
            "{'descr': [('a', '<f4'), ('b', '<i8')], 'fortran_order': False, 'shape': (2,), }",
        )
        .unwrap_err();
        assert!(matches!(err, FormatError::UnsupportedDtype(_)), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse_header(&text).is_err());
    }

    #[test]
    fn negative_dimensions_are_rejected() {
        let err = parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }");
        assert!(matches!(err, Err(FormatError::BadHeader(_))));
    }
}
