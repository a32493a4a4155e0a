//! The NPZ format: a zip archive of `.npy` streams, one per named array.
//!
//! `np.savez` stores entries uncompressed, `np.savez_compressed` deflates them; both name each
//! entry `<key>.npy`. Reading keeps the archive's order (the order the arrays were passed to
//! NumPy), which Rockpool relies on for parameter files.

use std::collections::HashSet;
use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::array::NpyArray;
use crate::atomic::write_atomic;
use crate::error::{FormatError, IoError, Result, io_error};
use crate::npy::{
    MAX_HEADER_BYTES, MAX_PREAMBLE_BYTES, StreamError, npy_to_bytes, parse_npy, read_npy_stream,
};

/// Reads every array of an `.npz` archive, as `(key, array)` pairs in archive order.
///
/// Keys are entry names without their `.npy` suffix, as `np.load(path).files` lists them.
/// Both stored (`np.savez`) and deflated (`np.savez_compressed`) archives are read; directory
/// entries are skipped.
///
/// # Errors
/// [`IoError::Io`] if the file cannot be read, [`IoError::Zip`] if it is not a readable zip
/// archive, [`IoError::Format`] (naming the entry) if an entry is not a supported `.npy` array,
/// is corrupt (CRC mismatch, bad compressed data, truncated), or is larger than
/// [`max_array_bytes`](crate::max_array_bytes), or if the arrays together are.
///
/// No entry is inflated before its declared uncompressed size has been checked against the
/// limit and against its npy header's shape and dtype, and none is inflated past its declared
/// size: a decompression bomb is refused after reading its header, whatever it would expand to.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, NpyArray)>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    read_archive(std::io::BufReader::new(file), path)
}

/// Reads an in-memory `.npz` archive; see [`read_npz`]. Errors are located at `<memory>`.
///
/// # Errors
/// As [`read_npz`].
pub fn npz_from_bytes(bytes: &[u8]) -> Result<Vec<(String, NpyArray)>> {
    read_archive(Cursor::new(bytes), Path::new(""))
}

/// Writes arrays to an uncompressed `.npz` archive, like `np.savez(path, **arrays)`, atomically
/// (see [`write_atomic`]). Each key becomes the entry `<key>.npy`.
///
/// # Errors
/// [`IoError::DuplicateKey`] if a key repeats, [`IoError::Io`] or [`IoError::Zip`] if the
/// archive cannot be written.
pub fn write_npz(path: impl AsRef<Path>, arrays: &[(String, NpyArray)]) -> Result<()> {
    let path = path.as_ref();
    write_atomic(
        path,
        &archive_bytes(path, arrays, CompressionMethod::Stored)?,
    )
}

/// Writes arrays to a deflate-compressed `.npz` archive, like `np.savez_compressed`; otherwise
/// as [`write_npz`].
///
/// # Errors
/// As [`write_npz`].
pub fn write_npz_compressed(path: impl AsRef<Path>, arrays: &[(String, NpyArray)]) -> Result<()> {
    let path = path.as_ref();
    write_atomic(
        path,
        &archive_bytes(path, arrays, CompressionMethod::Deflated)?,
    )
}

/// Serialises arrays as an uncompressed `.npz` archive in memory; see [`write_npz`].
///
/// # Errors
/// [`IoError::DuplicateKey`] if a key repeats.
pub fn npz_to_bytes(arrays: &[(String, NpyArray)]) -> Result<Vec<u8>> {
    archive_bytes(Path::new(""), arrays, CompressionMethod::Stored)
}

fn read_archive<R: Read + Seek>(reader: R, path: &Path) -> Result<Vec<(String, NpyArray)>> {
    let limit = crate::limit::max_array_bytes()?;
    read_archive_limited(reader, path, limit)
}

/// Reads every entry, each checked before it is inflated: the declared uncompressed size
/// against the limit and against the npy header's shape and dtype (whose size, added to the
/// arrays read before, must also stay within the limit), then inflated through a
/// reader bounded by the declared size (so data past it is refused, not read), with the CRC
/// checked at the end.
pub(crate) fn read_archive_limited<R: Read + Seek>(
    reader: R,
    path: &Path,
    limit: u64,
) -> Result<Vec<(String, NpyArray)>> {
    let zip_error = |entry: Option<&str>, source| IoError::Zip {
        path: path.to_path_buf(),
        entry: entry.map(str::to_string),
        source,
    };
    let mut archive = ZipArchive::new(reader).map_err(|e| zip_error(None, e))?;
    let mut arrays = Vec::with_capacity(archive.len());
    // An entry holds one header and one array's data.
    let max_entry = limit.saturating_add(MAX_HEADER_BYTES + MAX_PREAMBLE_BYTES);
    // Bytes of element data of the arrays read so far (at most `limit`).
    let mut total_bytes = 0u64;
    for index in 0..archive.len() {
        let listed = archive.name_for_index(index).map(str::to_string);
        let mut entry = archive
            .by_index(index)
            .map_err(|e| zip_error(listed.as_deref(), e))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        let fault = |e: FormatError| e.at(path, Some(&name));
        let declared = entry.size();
        if declared > max_entry {
            return Err(fault(FormatError::EntryTooLarge {
                declared,
                limit: max_entry,
            }));
        }
        // One byte more than declared, to tell data past the declared size from its end.
        let mut bounded = (&mut entry).take(declared.saturating_add(1));
        // The arrays read so far count against the same limit.
        let remaining = limit - total_bytes;
        let bytes = match read_npy_stream(&mut bounded, Some(declared), remaining) {
            Ok(bytes) => bytes,
            Err(StreamError::Format(FormatError::TooLarge {
                shape,
                dtype,
                bytes,
                ..
            })) => {
                return Err(fault(if bytes <= limit {
                    FormatError::ArchiveTooLarge {
                        total: total_bytes.saturating_add(bytes),
                        limit,
                    }
                } else {
                    FormatError::TooLarge {
                        shape,
                        dtype,
                        bytes,
                        limit,
                    }
                }));
            }
            Err(StreamError::Format(f)) => return Err(fault(crc_or(f, &mut bounded, declared))),
            Err(StreamError::Io(e)) => return Err(fault(entry_fault(&e))),
        };
        // Read what remains up to the declared size (trailing bytes NumPy would ignore), so
        // that the CRC is checked and inflation past the declared size is caught.
        let rest = std::io::copy(&mut bounded, &mut std::io::sink())
            .map_err(|e| fault(entry_fault(&e)))?;
        let total = u64::try_from(bytes.len())
            .unwrap_or(u64::MAX)
            .saturating_add(rest);
        if total > declared {
            return Err(fault(FormatError::LongerThanDeclared { declared }));
        }
        let array = parse_npy(&bytes, remaining).map_err(fault)?;
        total_bytes += (array.len() * array.dtype().size()) as u64;
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        arrays.push((key, array));
    }
    Ok(arrays)
}

/// Largest entry read to its end after a header problem, to tell a damaged entry (CRC
/// mismatch) from a well-formed file that is not a supported array.
const CRC_PROBE_BYTES: u64 = 64 << 20;

/// `fault`, or [`FormatError::CrcMismatch`] if the problem is in the header and the rest of
/// the (small enough) entry shows the data is damaged: the checksum is the root cause then.
fn crc_or(fault: FormatError, rest: &mut impl Read, declared: u64) -> FormatError {
    let in_header = matches!(
        fault,
        FormatError::BadMagic
            | FormatError::UnsupportedVersion { .. }
            | FormatError::TruncatedHeader { .. }
            | FormatError::BadHeader(_)
            | FormatError::UnsupportedDtype(_)
    );
    if in_header
        && declared <= CRC_PROBE_BYTES
        && let Err(e) = std::io::copy(rest, &mut std::io::sink())
        && matches!(entry_fault(&e), FormatError::CrcMismatch)
    {
        return FormatError::CrcMismatch;
    }
    fault
}

/// What a read error inside a zip entry means.
fn entry_fault(e: &std::io::Error) -> FormatError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        FormatError::CorruptData(format!("compressed data ends early ({e})"))
    } else if e.to_string().contains("checksum") {
        FormatError::CrcMismatch
    } else {
        FormatError::CorruptData(e.to_string())
    }
}

fn archive_bytes(
    path: &Path,
    arrays: &[(String, NpyArray)],
    method: CompressionMethod,
) -> Result<Vec<u8>> {
    let mut seen = HashSet::new();
    if let Some((key, _)) = arrays.iter().find(|(key, _)| !seen.insert(key.as_str())) {
        return Err(IoError::DuplicateKey {
            path: path.to_path_buf(),
            key: key.clone(),
        });
    }
    let zip_error = |entry: Option<&str>, source| IoError::Zip {
        path: path.to_path_buf(),
        entry: entry.map(str::to_string),
        source,
    };
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (key, array) in arrays {
        let name = format!("{key}.npy");
        let bytes = npy_to_bytes(array);
        // Entries of 4 GiB or more need zip64 headers, which must be requested up front.
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| zip_error(Some(&name), e))?;
        writer
            .write_all(&bytes)
            .map_err(|e| zip_error(Some(&name), e.into()))?;
    }
    let cursor = writer.finish().map_err(|e| zip_error(None, e))?;
    Ok(cursor.into_inner())
}
