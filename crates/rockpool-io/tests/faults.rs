//! Regression tests for hostile and damaged files (issue 13): decompression bombs and
//! oversized headers refused before allocation, corrupt and truncated archives named with
//! their fault, and output targets that are not regular files.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::{ArrayD, IxDyn};
use rockpool_io::{NpyArray, npz_from_bytes, read_npy, read_npz, write_atomic};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A fresh scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir =
        std::env::temp_dir().join(format!("rockpool-io-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// An `.npy` stream of `n` f64 zeros.
fn zeros_npy(n: usize) -> Vec<u8> {
    rockpool_io::npy_to_bytes(&NpyArray::F64(ArrayD::zeros(IxDyn(&[n]))))
}

/// A v1.0 `.npy` header claiming `shape` of `<f8`, followed by `data` bytes.
fn npy_claiming(shape: &str, data: usize) -> Vec<u8> {
    let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}\n");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.resize(bytes.len() + data, 0);
    bytes
}

/// A one-entry archive holding `content` under `name`.
fn archive(name: &str, content: &[u8], method: CompressionMethod) -> Vec<u8> {
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file(
            name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
    writer.write_all(content).unwrap();
    writer.finish().unwrap().into_inner()
}

/// Overwrites the declared uncompressed size of every entry, in the local headers and the
/// central directory, as a crafted bomb would.
fn declare_size(zip: &mut [u8], size: u32) {
    for i in 0..zip.len().saturating_sub(4) {
        let field = match &zip[i..i + 4] {
            b"PK\x03\x04" => i + 22,
            b"PK\x01\x02" => i + 24,
            _ => continue,
        };
        zip[field..field + 4].copy_from_slice(&size.to_le_bytes());
    }
}

/// Offset and length of the (first) entry's data in a one-entry archive.
fn entry_data(zip: &[u8]) -> (usize, usize) {
    let le16 = |o: usize| usize::from(u16::from_le_bytes([zip[o], zip[o + 1]]));
    let compressed = u32::from_le_bytes(zip[18..22].try_into().unwrap()) as usize;
    (30 + le16(26) + le16(28), compressed)
}

#[test]
fn bomb_header_claiming_a_huge_array_is_refused_before_inflating() {
    // Headers claiming 4 GiB (2^29 f64) and 40 GB (5 * 10^9 f64), each entry holding 64 bytes
    // of data: with a tiny declared size the header's claim is refused, with an honest (4 GiB)
    // declared size the entry is refused before its header is even read.
    for (shape, declared, expected) in [
        ("(536870912,)", 1000, "needs 4294967296 bytes"),
        ("(5000000000,)", 200, "needs 40000000000 bytes"),
        (
            "(536870912,)",
            u32::MAX,
            "declared uncompressed size of 4294967295 bytes",
        ),
    ] {
        let mut zip = archive(
            "w.npy",
            &npy_claiming(shape, 64),
            CompressionMethod::Deflated,
        );
        declare_size(&mut zip, declared);
        let start = std::time::Instant::now();
        let message = npz_from_bytes(&zip).unwrap_err().to_string();
        assert!(
            message.starts_with("<memory>: entry 'w.npy': ")
                && message.contains(expected)
                && message.contains("more than the limit of 214")
                && message.contains("ROCKPOOL_MAX_ARRAY_BYTES"),
            "{message}"
        );
        assert!(start.elapsed().as_secs_f64() < 0.1, "{:?}", start.elapsed());
    }
}

#[test]
fn bomb_inflating_past_its_declared_size_is_stopped_at_that_size() {
    // An honest 16-element header, then 64 MiB of zeros that deflate to ~64 KiB, with the
    // entry's declared size set to the npy stream's real length.
    let mut content = zeros_npy(16);
    let honest = u32::try_from(content.len()).unwrap();
    content.resize(content.len() + (64 << 20), 0);
    let mut zip = archive("w.npy", &content, CompressionMethod::Deflated);
    assert!(
        zip.len() < 1 << 20,
        "the bomb is small: {} bytes",
        zip.len()
    );
    declare_size(&mut zip, honest);
    let start = std::time::Instant::now();
    let message = npz_from_bytes(&zip).unwrap_err().to_string();
    assert!(
        message.contains("entry 'w.npy'")
            && message.contains(&format!("declared size of {honest} bytes"))
            && message.contains("decompression bomb"),
        "{message}"
    );
    // Refused after the declared bytes, not after inflating 64 MiB.
    assert!(start.elapsed().as_secs_f64() < 0.1, "{:?}", start.elapsed());
}

#[test]
fn declared_size_smaller_than_the_header_needs_is_truncated_data() {
    let content = zeros_npy(1000);
    let mut zip = archive("big.npy", &content, CompressionMethod::Stored);
    declare_size(&mut zip, 300);
    let message = npz_from_bytes(&zip).unwrap_err().to_string();
    assert!(
        message.contains("entry 'big.npy'")
            && message.contains("data is truncated: header says 1000 elements"),
        "{message}"
    );
}

#[test]
fn crc_mismatch_names_the_entry() {
    let content = zeros_npy(32);
    let mut zip = archive("weight.npy", &content, CompressionMethod::Stored);
    let (start, len) = entry_data(&zip);
    zip[start + len - 1] ^= 0x40;
    let message = npz_from_bytes(&zip).unwrap_err().to_string();
    assert_eq!(
        message,
        "<memory>: entry 'weight.npy': CRC-32 checksum mismatch: the entry's data is corrupt"
    );
}

#[test]
fn crc_mismatch_in_the_header_is_reported_as_such() {
    let content = zeros_npy(32);
    let mut zip = archive("weight.npy", &content, CompressionMethod::Stored);
    let (start, _) = entry_data(&zip);
    // A flipped bit inside the header dict makes it unparsable; the checksum says why.
    zip[start + 20] ^= 0x01;
    let message = npz_from_bytes(&zip).unwrap_err().to_string();
    assert_eq!(
        message,
        "<memory>: entry 'weight.npy': CRC-32 checksum mismatch: the entry's data is corrupt"
    );
}

#[test]
fn corrupt_deflate_data_names_the_entry() {
    let mut content = zeros_npy(4096);
    for (i, b) in content.iter_mut().enumerate().skip(200) {
        *b = (i * 7 % 251) as u8;
    }
    let mut zip = archive("tau.npy", &content, CompressionMethod::Deflated);
    let (start, len) = entry_data(&zip);
    for b in &mut zip[start + len / 3..start + len / 2] {
        *b ^= 0xa5;
    }
    let message = npz_from_bytes(&zip).unwrap_err().to_string();
    assert!(
        message.starts_with("<memory>: entry 'tau.npy': ") && message.contains("corrupt"),
        "{message}"
    );
}

#[test]
fn truncated_archive_file_names_the_file() {
    let dir = scratch("truncated");
    let zip = archive("w.npy", &zeros_npy(64), CompressionMethod::Deflated);
    let path = dir.0.join("p.npz");
    // Cut inside the data (the directory is lost) and inside the end-of-archive record.
    for cut in [zip.len() / 2, zip.len() - 10] {
        std::fs::write(&path, &zip[..cut]).unwrap();
        let message = read_npz(&path).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!(
                "{}: not a valid npz (zip) archive: ",
                path.display()
            )) && message.contains("truncated")
                && !message.ends_with("i/o error"),
            "{message}"
        );
    }
}

#[test]
fn npy_file_claiming_a_huge_array_is_refused_before_reading() {
    let dir = scratch("npy-huge");
    let path = dir.0.join("x.npy");
    std::fs::write(&path, npy_claiming("(100000, 100000)", 16)).unwrap();
    let message = read_npy(&path).unwrap_err().to_string();
    assert!(
        message.contains("x.npy") && message.contains("80000000000 bytes"),
        "{message}"
    );
    // Within the limit but longer than the file: truncated, without reserving the size.
    std::fs::write(&path, npy_claiming("(100000000,)", 16)).unwrap();
    let message = read_npy(&path).unwrap_err().to_string();
    assert!(
        message.contains("data is truncated: header says 100000000 elements, found 2"),
        "{message}"
    );
    // A header length beyond any real header.
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let message = read_npy(&path).unwrap_err().to_string();
    assert!(
        message.contains("header length 4294967295 bytes"),
        "{message}"
    );
}

#[cfg(unix)]
fn no_temporaries(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[cfg(unix)]
#[test]
fn dev_null_target_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    write_atomic("/dev/null", b"discarded").unwrap();
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
    // A symbolic link to the device is written through, and stays a link.
    let dir = scratch("devnull");
    let link = dir.0.join("out.npz");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    rockpool_io::write_npz(&link, &[]).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    no_temporaries(&dir.0);
}

#[cfg(unix)]
#[test]
fn fifo_target_is_written_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("fifo");
    let fifo = dir.0.join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    write_atomic(&fifo, b"through the pipe").unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "{:?}", meta.file_type());
    no_temporaries(&dir.0);
}

#[cfg(unix)]
#[test]
fn directory_target_is_refused_and_left_alone() {
    let dir = scratch("dir");
    let target = dir.0.join("out.npz");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let message = write_atomic(&target, b"data").unwrap_err().to_string();
    assert!(
        message.contains("out.npz") && message.contains("is a directory"),
        "{message}"
    );
    assert_eq!(std::fs::read(target.join("keep")).unwrap(), b"x");
    no_temporaries(&dir.0);
}

#[cfg(unix)]
#[test]
fn output_equal_to_input_through_a_symlink_is_refused_and_the_input_kept() {
    let dir = scratch("same");
    let input = dir.0.join("params.npz");
    rockpool_io::write_npz(
        &input,
        &[("w".into(), NpyArray::F64(ArrayD::zeros(IxDyn(&[3]))))],
    )
    .unwrap();
    let before = std::fs::read(&input).unwrap();
    let link = dir.0.join("result.npz");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    let err = rockpool_io::check_output_distinct(
        "--out",
        &link,
        &[("--input", Path::new("/dev/null")), ("--params", &input)],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        format!(
            "--out {} is the same file as --params {}: refusing to overwrite an input; \
             choose another output path",
            link.display(),
            input.display()
        )
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn npy_from_a_fifo_is_read_with_the_same_checks() {
    let dir = scratch("fifo-read");
    let fifo = dir.0.join("in.npy");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let feed = |bytes: Vec<u8>| {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // The reader may stop early (refused header): a broken pipe is expected then.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .and_then(|mut f| f.write_all(&bytes));
        })
    };
    let writer = feed(zeros_npy(5));
    assert_eq!(read_npy(&fifo).unwrap().shape(), &[5]);
    writer.join().unwrap();
    let writer = feed(npy_claiming("(1000000000000,)", 64));
    let message = read_npy(&fifo).unwrap_err().to_string();
    assert!(message.contains("needs 8000000000000 bytes"), "{message}");
    writer.join().unwrap();
    let writer = feed(npy_claiming("(100,)", 64));
    let message = read_npy(&fifo).unwrap_err().to_string();
    assert!(
        message.contains("data is truncated: header says 100 elements, found 8"),
        "{message}"
    );
    writer.join().unwrap();
}

#[test]
fn trailing_bytes_after_the_data_are_ignored_as_numpy_does() {
    let dir = scratch("trailing");
    let path = dir.0.join("x.npy");
    let mut bytes = zeros_npy(3);
    bytes.extend_from_slice(b"trailing");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(read_npy(&path).unwrap().shape(), &[3]);
    let zip = archive("x.npy", &bytes, CompressionMethod::Deflated);
    assert_eq!(npz_from_bytes(&zip).unwrap()[0].1.shape(), &[3]);
}
