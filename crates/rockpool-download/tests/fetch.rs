//! Whole datasets from a loopback server: download, verify, unpack, and do nothing the second
//! time.

mod support;

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use rockpool_download::{
    ArchiveKind, DatasetSpec, DownloadOptions, Error, FetchOptions, RemoteFile, fetch_spec,
};
use support::{Mode, Server, bytes, md5_of};
use zip::write::SimpleFileOptions;

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        zip.start_file(*name, SimpleFileOptions::default()).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn tar_gz_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (name, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, name, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

fn gz_bytes(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn file(
    server: &Server,
    split: &'static str,
    file_name: &'static str,
    body: &[u8],
    archive: ArchiveKind,
    unpacks_to: &'static str,
) -> RemoteFile {
    // The URL ends in no file name, as Mendeley's and figshare's do.
    let path = format!("/files/{split}/{}", body.len());
    server.add(&path, body.to_vec(), Mode::DropFirstAfter(body.len() / 2));
    RemoteFile {
        split,
        url: Cow::Owned(server.url(&path)),
        file_name,
        checksum: md5_of(body),
        archive,
        unpacks_to,
    }
}

fn options(keep_archives: bool) -> FetchOptions {
    FetchOptions {
        download: DownloadOptions {
            backoff: Duration::ZERO,
            ..DownloadOptions::default()
        },
        keep_archives,
        ..FetchOptions::default()
    }
}

#[test]
fn a_dataset_is_fetched_once_and_found_again() {
    let server = Server::start();
    let sample = bytes(40_000, 1);
    let gesture = bytes(30_000, 2);
    let h5 = bytes(50_000, 3);
    let spec = DatasetSpec {
        name: "toy",
        title: "three splits in three archive formats",
        files: vec![
            file(
                &server,
                "train",
                "train.zip",
                &zip_bytes(&[("Train/0/00001.bin", &sample)]),
                ArchiveKind::Zip,
                "Train",
            ),
            file(
                &server,
                "valid",
                "valid.tar.gz",
                &tar_gz_bytes(&[("gestures/user01_led/4.npy", &gesture)]),
                ArchiveKind::TarGz,
                "gestures",
            ),
            file(
                &server,
                "test",
                "toy_test.h5.gz",
                &gz_bytes(&h5),
                ArchiveKind::Gz,
                "toy_test.h5",
            ),
        ],
    };
    let dir = tempfile::tempdir().unwrap();

    let files = fetch_spec(&spec, dir.path(), &options(true), |_| {}).unwrap();
    let root = dir.path().join("toy");
    assert_eq!(files.root, root);
    assert_eq!(files.path("train"), Some(root.join("Train").as_path()));
    assert_eq!(files.path("test"), Some(root.join("toy_test.h5").as_path()));
    assert_eq!(fs::read(root.join("Train/0/00001.bin")).unwrap(), sample);
    assert_eq!(
        fs::read(root.join("gestures/user01_led/4.npy")).unwrap(),
        gesture
    );
    assert_eq!(fs::read(root.join("toy_test.h5")).unwrap(), h5);
    assert!(root.join("train.zip").is_file());
    // Each file was cut once and resumed once.
    assert_eq!(server.requests().len(), 6);

    // Again: nothing is requested and the answer is the same.
    let again = fetch_spec(&spec, dir.path(), &options(true), |_| {}).unwrap();
    assert_eq!(again, files);
    assert_eq!(server.requests().len(), 6);

    // The unpacked folder deleted: it is unpacked again from the kept, verified archive.
    fs::remove_dir_all(root.join("Train")).unwrap();
    fetch_spec(&spec, dir.path(), &options(true), |_| {}).unwrap();
    assert_eq!(fs::read(root.join("Train/0/00001.bin")).unwrap(), sample);
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn archives_can_be_dropped_after_unpacking() {
    let server = Server::start();
    let h5 = bytes(10_000, 4);
    let spec = DatasetSpec {
        name: "small",
        title: "one gz",
        files: vec![file(
            &server,
            "train",
            "small_train.h5.gz",
            &gz_bytes(&h5),
            ArchiveKind::Gz,
            "small_train.h5",
        )],
    };
    let dir = tempfile::tempdir().unwrap();
    let files = fetch_spec(&spec, dir.path(), &options(false), |_| {}).unwrap();
    assert_eq!(fs::read(files.path("train").unwrap()).unwrap(), h5);
    assert!(!files.splits[0].archive.exists());
    let requests = server.requests().len();
    fetch_spec(&spec, dir.path(), &options(false), |_| {}).unwrap();
    assert_eq!(server.requests().len(), requests);
}

#[test]
fn an_archive_without_the_expected_folder_is_an_error() {
    let server = Server::start();
    let spec = DatasetSpec {
        name: "odd",
        title: "wrong layout",
        files: vec![file(
            &server,
            "train",
            "train.zip",
            &zip_bytes(&[("Elsewhere/a.bin", b"a")]),
            ArchiveKind::Zip,
            "Train",
        )],
    };
    let dir = tempfile::tempdir().unwrap();
    let err = fetch_spec(&spec, dir.path(), &options(true), |_| {}).unwrap_err();
    assert!(
        matches!(&err, Error::MissingEntry { expected, .. } if expected == "Train"),
        "{err:?}"
    );
    assert!(!Path::new(&dir.path().join("odd/.train.zip.done")).exists());
    drop(File::open(dir.path().join("odd/train.zip")).unwrap());
}

#[test]
fn unknown_dataset_names_list_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let err = rockpool_download::fetch_dataset("mnist-dvs", dir.path(), |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no dataset is named \"mnist-dvs\"; known datasets: shd, ssc, nmnist, dvs_gesture"
    );
}
