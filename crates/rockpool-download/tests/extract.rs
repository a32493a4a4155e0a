//! Extraction of zip, tar.gz and gz archives made here, and refusal of unsafe ones.

mod support;

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use rockpool_download::{Error, ExtractLimits, extract};
use support::bytes;
use zip::write::SimpleFileOptions;

/// Writes a zip with the given (name, contents) entries; a name ending in `/` is a folder.
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, options).unwrap();
        } else {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
    }
    zip.finish().unwrap();
}

/// Writes a tar.gz with the given (name, contents) entries, names stored as given (even
/// unsafe ones, which `tar::Builder` would refuse to write).
fn write_tar_gz(path: &Path, entries: &[(&str, &[u8])]) {
    let gz = GzEncoder::new(File::create(path).unwrap(), Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in entries {
        let mut header = tar::Header::new_gnu();
        let stored = &mut header.as_old_mut().name;
        stored[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.append(&header, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// Every file under `dir`, relative, sorted (to show nothing else was written).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn zip_unpacks_into_place_and_replaces_an_older_copy() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("train.zip");
    let sample = bytes(70_000, 1);
    write_zip(
        &archive,
        &[
            ("Train/", b""),
            ("Train/0/", b""),
            ("Train/0/00001.bin", &sample),
            ("Train/1/00002.bin", b"\x01\x02\x03\x04\x05"),
            ("__MACOSX/Train/._00001.bin", b"resource fork"),
        ],
    );
    let out = dir.path().join("nmnist");
    fs::create_dir_all(out.join("Train/9")).unwrap();
    fs::write(out.join("Train/9/old.bin"), b"old").unwrap();

    let mut last = None;
    let placed = extract(&archive, &out, &ExtractLimits::default(), |p| {
        last = Some((p.done, p.total));
    })
    .unwrap();
    assert_eq!(placed, [out.join("Train")]);
    assert_eq!(fs::read(out.join("Train/0/00001.bin")).unwrap(), sample);
    assert_eq!(
        fs::read(out.join("Train/1/00002.bin")).unwrap(),
        b"\x01\x02\x03\x04\x05"
    );
    assert_eq!(last, Some((70_005, Some(70_005))));
    // The old tree is gone, and neither staging nor backup folders remain.
    assert_eq!(
        tree(&out),
        [
            "Train",
            "Train/0",
            "Train/0/00001.bin",
            "Train/1",
            "Train/1/00002.bin"
        ]
    );
}

#[test]
fn zip_slip_is_refused_and_nothing_is_written() {
    for evil in [
        "../evil.txt",
        "Train/../../evil.txt",
        "/tmp/evil.txt",
        "..\\evil.txt",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("slip.zip");
        write_zip(&archive, &[("Train/ok.bin", b"fine"), (evil, b"pwned")]);
        let out = dir.path().join("out");

        let err = extract(&archive, &out, &ExtractLimits::default(), |_| {}).unwrap_err();
        assert!(
            matches!(&err, Error::UnsafeEntry { entry, .. } if entry == evil),
            "{evil}: {err:?}"
        );
        assert!(err.to_string().contains("refusing entry"), "{err}");
        assert!(tree(&out).is_empty(), "{evil}: {:?}", tree(&out));
        assert!(!dir.path().join("evil.txt").exists());
    }
}

#[test]
fn declared_sizes_over_the_limits_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("big.zip");
    write_zip(&archive, &[("a.bin", &[0u8; 600]), ("b.bin", &[0u8; 600])]);
    let out = dir.path().join("out");
    let limits = |entry, total, count| ExtractLimits {
        max_entry_bytes: entry,
        max_total_bytes: total,
        max_entries: count,
    };

    let err = extract(&archive, &out, &limits(500, 10_000, 10), |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "an entry",
                size: 600,
                ..
            }
        ),
        "{err:?}"
    );
    let err = extract(&archive, &out, &limits(1_000, 1_000, 10), |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "a total",
                size: 1_200,
                ..
            }
        ),
        "{err:?}"
    );
    let err = extract(&archive, &out, &limits(1_000, 10_000, 1), |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                what: "an entry count",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(tree(&out).is_empty());
}

#[test]
fn tar_gz_unpacks_nested_folders() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("ibmGestureTest.tar.gz");
    let sample = bytes(100_000, 2);
    write_tar_gz(
        &archive,
        &[
            ("ibmGestureTest/user24_led/0.npy", &sample),
            ("ibmGestureTest/user24_led/10.npy", b"ten"),
            ("./ibmGestureTest/user25_natural/3.npy", b"three"),
        ],
    );
    let out = dir.path().join("dvs");
    let placed = extract(&archive, &out, &ExtractLimits::default(), |_| {}).unwrap();
    assert_eq!(placed, [out.join("ibmGestureTest")]);
    assert_eq!(
        fs::read(out.join("ibmGestureTest/user24_led/0.npy")).unwrap(),
        sample
    );
    assert_eq!(
        fs::read(out.join("ibmGestureTest/user24_led/10.npy")).unwrap(),
        b"ten"
    );
    assert_eq!(
        fs::read(out.join("ibmGestureTest/user25_natural/3.npy")).unwrap(),
        b"three"
    );
}

#[test]
fn tar_slip_and_links_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    let archive = dir.path().join("slip.tar.gz");
    write_tar_gz(
        &archive,
        &[("data/ok.npy", b"ok"), ("../evil.npy", b"pwned")],
    );
    let err = extract(&archive, &out, &ExtractLimits::default(), |_| {}).unwrap_err();
    assert!(
        matches!(&err, Error::UnsafeEntry { entry, .. } if entry == "../evil.npy"),
        "{err:?}"
    );
    assert!(!dir.path().join("evil.npy").exists());
    assert!(tree(&out).is_empty(), "{:?}", tree(&out));

    let archive = dir.path().join("link.tar.gz");
    let gz = GzEncoder::new(File::create(&archive).unwrap(), Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    tar.append_link(&mut header, "data/passwd", "/etc/passwd")
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    let err = extract(&archive, &out, &ExtractLimits::default(), |_| {}).unwrap_err();
    assert!(
        matches!(&err, Error::UnsafeEntry { reason, .. } if reason.contains("links")),
        "{err:?}"
    );
    assert!(tree(&out).is_empty(), "{:?}", tree(&out));
}

#[test]
fn single_gz_unpacks_to_its_stem_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("shd_test.h5.gz");
    let data = bytes(123_456, 3);
    let mut gz = GzEncoder::new(File::create(&archive).unwrap(), Compression::fast());
    gz.write_all(&data).unwrap();
    gz.finish().unwrap();
    let out = dir.path().join("shd");

    let placed = extract(&archive, &out, &ExtractLimits::default(), |_| {}).unwrap();
    assert_eq!(placed, [out.join("shd_test.h5")]);
    assert_eq!(fs::read(out.join("shd_test.h5")).unwrap(), data);

    let small = ExtractLimits {
        max_entry_bytes: 100_000,
        ..ExtractLimits::default()
    };
    fs::remove_dir_all(&out).unwrap();
    let err = extract(&archive, &out, &small, |_| {}).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 100_000, .. }),
        "{err:?}"
    );
    assert!(tree(&out).is_empty());
}

#[test]
fn damaged_and_unnamed_archives_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("broken.zip");
    fs::write(&archive, b"PK\x03\x04 this is not really a zip").unwrap();
    let err = extract(
        &archive,
        &dir.path().join("o"),
        &ExtractLimits::default(),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Archive { .. }), "{err:?}");

    let plain = dir.path().join("file.h5");
    fs::write(&plain, b"x").unwrap();
    let err = extract(
        &plain,
        &dir.path().join("o"),
        &ExtractLimits::default(),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnknownArchive { .. }), "{err:?}");
}
