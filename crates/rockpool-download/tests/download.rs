//! Downloads against a loopback HTTP server: full transfer, resume with `Range`, checksum
//! mismatch, servers that ignore `Range` or refuse it, bounded retries, offline hosts.

mod support;

use std::fs;
use std::net::TcpListener;
use std::time::Duration;

use rockpool_download::{
    Checksum, DownloadOptions, Error, Stage, download, download_with, part_path,
};
use sha2::{Digest, Sha256};
use support::{Mode, Request, Server, bytes, md5_of};

fn quick(retries: u32) -> DownloadOptions {
    DownloadOptions {
        retries,
        backoff: Duration::ZERO,
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        ..DownloadOptions::default()
    }
}

fn request(path: &str, range: Option<&str>) -> Request {
    Request {
        path: path.into(),
        range: range.map(Into::into),
    }
}

#[test]
fn full_download_is_verified_and_not_repeated() {
    let server = Server::start();
    let data = bytes(300_000, 1);
    server.add("/a.bin", data.clone(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("sub/a.bin");

    let mut reports = Vec::new();
    let got = download(&server.url("/a.bin"), &dest, &md5_of(&data), |p| {
        reports.push((p.stage, p.done, p.total));
    })
    .unwrap();
    assert_eq!(got, dest);
    assert_eq!(fs::read(&dest).unwrap(), data);
    assert!(!part_path(&dest).exists());
    assert_eq!(server.requests(), [request("/a.bin", None)]);
    let last_download = reports
        .iter()
        .rev()
        .find(|r| r.0 == Stage::Download)
        .unwrap();
    assert_eq!(*last_download, (Stage::Download, 300_000, Some(300_000)));
    assert!(
        reports
            .iter()
            .any(|r| r.0 == Stage::Verify && r.1 == 300_000)
    );

    // Present with the right hash: no second request. SHA-256 works the same way.
    let sha = Checksum::Sha256(
        Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
            .into(),
    );
    download(&server.url("/a.bin"), &dest, &sha, |_| {}).unwrap();
    download(&server.url("/a.bin"), &dest, &md5_of(&data), |_| {}).unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_dropped_connection_is_resumed_with_range() {
    let server = Server::start();
    let data = bytes(400_000, 2);
    server.add("/b.bin", data.clone(), Mode::DropFirstAfter(150_000));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("b.bin");

    download_with(
        &server.url("/b.bin"),
        &dest,
        &md5_of(&data),
        &quick(2),
        |_| {},
    )
    .unwrap();
    assert_eq!(fs::read(&dest).unwrap(), data, "resumed file differs");
    assert_eq!(
        server.requests(),
        [
            request("/b.bin", None),
            request("/b.bin", Some("bytes=150000-"))
        ]
    );
}

#[test]
fn redirects_are_followed_and_keep_the_range() {
    let server = Server::start();
    let data = bytes(120_000, 12);
    server.add("/real.bin", data.clone(), Mode::DropFirstAfter(50_000));
    server.add(
        "/file_downloaded",
        Vec::new(),
        Mode::RedirectTo("/real.bin"),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("train.zip");

    download_with(
        &server.url("/file_downloaded"),
        &dest,
        &md5_of(&data),
        &quick(1),
        |_| {},
    )
    .unwrap();
    assert_eq!(fs::read(&dest).unwrap(), data);
    assert_eq!(
        server.requests(),
        [
            request("/file_downloaded", None),
            request("/real.bin", None),
            request("/file_downloaded", Some("bytes=50000-")),
            request("/real.bin", Some("bytes=50000-")),
        ]
    );
}

#[test]
fn a_stalled_transfer_times_out_and_resumes() {
    let server = Server::start();
    let data = bytes(100_000, 11);
    server.add(
        "/stall.bin",
        data.clone(),
        Mode::StallFirstAfter(30_000, Duration::from_millis(1_500)),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("stall.bin");
    let options = DownloadOptions {
        read_timeout: Duration::from_millis(300),
        ..quick(1)
    };
    download_with(
        &server.url("/stall.bin"),
        &dest,
        &md5_of(&data),
        &options,
        |_| {},
    )
    .unwrap();
    assert_eq!(fs::read(&dest).unwrap(), data);
    assert_eq!(
        server.requests(),
        [
            request("/stall.bin", None),
            request("/stall.bin", Some("bytes=30000-"))
        ]
    );
}

#[test]
fn an_interrupted_run_keeps_its_part_and_the_next_run_resumes() {
    let server = Server::start();
    let data = bytes(200_000, 3);
    server.add("/c.bin", data.clone(), Mode::DropFirstAfter(64_000));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("c.bin");
    let url = server.url("/c.bin");

    let err = download_with(&url, &dest, &md5_of(&data), &quick(0), |_| {}).unwrap_err();
    assert!(
        matches!(err, Error::Interrupted { bytes: 64_000, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("c.bin.part"), "{message}");
    assert!(message.contains("resumes"), "{message}");
    assert!(!dest.exists());
    assert_eq!(fs::read(part_path(&dest)).unwrap(), data[..64_000]);

    download_with(&url, &dest, &md5_of(&data), &quick(0), |_| {}).unwrap();
    assert_eq!(fs::read(&dest).unwrap(), data);
    assert_eq!(
        server.requests()[1],
        request("/c.bin", Some("bytes=64000-"))
    );
}

#[test]
fn a_checksum_mismatch_deletes_the_file_and_names_both_hashes() {
    let server = Server::start();
    let data = bytes(10_000, 4);
    server.add("/d.bin", data.clone(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("d.bin");
    let published = md5_of(b"something else");

    let err = download(&server.url("/d.bin"), &dest, &published, |_| {}).unwrap_err();
    let actual = md5_of(&data).hex();
    match &err {
        Error::ChecksumMismatch {
            expected,
            actual: a,
            ..
        } => {
            assert_eq!(*expected, published.hex());
            assert_eq!(*a, actual);
        }
        other => panic!("expected a checksum mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&published.hex()) && message.contains(&actual),
        "{message}"
    );
    assert!(!dest.exists());
    assert!(!part_path(&dest).exists());
}

#[test]
fn a_server_ignoring_range_restarts_from_zero() {
    let server = Server::start();
    let data = bytes(50_000, 5);
    server.add("/e.bin", data.clone(), Mode::IgnoreRange);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("e.bin");
    // Garbage in the partial file: appending the 200 answer to it would corrupt the result.
    fs::write(part_path(&dest), vec![0xAA; 1_000]).unwrap();

    download(&server.url("/e.bin"), &dest, &md5_of(&data), |_| {}).unwrap();
    assert_eq!(fs::read(&dest).unwrap(), data);
    assert_eq!(server.requests(), [request("/e.bin", Some("bytes=1000-"))]);
}

#[test]
fn range_not_satisfiable_finishes_a_whole_part_or_starts_afresh() {
    let server = Server::start();
    let data = bytes(20_000, 6);
    server.add("/f.bin", data.clone(), Mode::Normal);
    let dir = tempfile::tempdir().unwrap();

    // The part already holds the whole file (a run stopped between download and rename).
    let whole = dir.path().join("whole.bin");
    fs::write(part_path(&whole), &data).unwrap();
    download_with(
        &server.url("/f.bin"),
        &whole,
        &md5_of(&data),
        &quick(1),
        |_| {},
    )
    .unwrap();
    assert_eq!(fs::read(&whole).unwrap(), data);

    // The part is longer than the remote file: stale, so it is dropped and fetched anew.
    let stale = dir.path().join("stale.bin");
    fs::write(part_path(&stale), bytes(30_000, 7)).unwrap();
    download_with(
        &server.url("/f.bin"),
        &stale,
        &md5_of(&data),
        &quick(1),
        |_| {},
    )
    .unwrap();
    assert_eq!(fs::read(&stale).unwrap(), data);
    assert_eq!(
        server.requests(),
        [
            request("/f.bin", Some("bytes=20000-")),
            request("/f.bin", Some("bytes=30000-")),
            request("/f.bin", None),
        ]
    );
}

#[test]
fn retries_are_bounded() {
    let server = Server::start();
    server.add("/g.bin", bytes(10_000, 8), Mode::DropAlwaysAfter(0));
    server.add("/busy.bin", bytes(10_000, 9), Mode::StatusAlways(503));
    let dir = tempfile::tempdir().unwrap();
    let expected = md5_of(&bytes(10_000, 8));

    let err = download_with(
        &server.url("/g.bin"),
        &dir.path().join("g.bin"),
        &expected,
        &quick(3),
        |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Interrupted { attempts: 4, .. }),
        "{err:?}"
    );
    let err = download_with(
        &server.url("/busy.bin"),
        &dir.path().join("busy.bin"),
        &expected,
        &quick(2),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Http { status: 503, .. }), "{err:?}");
    let requests = server.requests();
    assert_eq!(requests.iter().filter(|r| r.path == "/g.bin").count(), 4);
    assert_eq!(requests.iter().filter(|r| r.path == "/busy.bin").count(), 3);
}

#[test]
fn a_transient_server_error_is_retried_and_a_missing_file_is_not() {
    let server = Server::start();
    let data = bytes(5_000, 10);
    server.add("/h.bin", data.clone(), Mode::StatusFirst(503));
    let dir = tempfile::tempdir().unwrap();

    let dest = dir.path().join("h.bin");
    download_with(
        &server.url("/h.bin"),
        &dest,
        &md5_of(&data),
        &quick(2),
        |_| {},
    )
    .unwrap();
    assert_eq!(fs::read(&dest).unwrap(), data);

    let err = download_with(
        &server.url("/nowhere.bin"),
        &dir.path().join("nowhere.bin"),
        &md5_of(&data),
        &quick(5),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::Http { status: 404, .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nowhere.bin answered HTTP 404"),
        "{err}"
    );
    let requests = server.requests();
    assert_eq!(
        requests.iter().filter(|r| r.path == "/nowhere.bin").count(),
        1
    );
}

#[test]
fn connection_refused_says_offline_and_keeps_the_partial_file() {
    // A port that was just free: nothing listens there now.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("i.bin");
    fs::write(part_path(&dest), b"first bytes").unwrap();
    let url = format!("http://127.0.0.1:{port}/i.bin");

    let err = download_with(&url, &dest, &md5_of(b"x"), &quick(1), |_| {}).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Offline { .. }), "{err:?}");
    assert!(
        message.starts_with(&format!("cannot reach 127.0.0.1:{port}: ")),
        "{message}"
    );
    assert!(message.contains("(offline?)"), "{message}");
    assert!(message.contains("11 bytes"), "{message}");
    assert_eq!(fs::read(part_path(&dest)).unwrap(), b"first bytes");

    // Without a partial file the message ends at the hint.
    let fresh = dir.path().join("fresh.bin");
    let err = download_with(&url, &fresh, &md5_of(b"x"), &quick(0), |_| {}).unwrap_err();
    assert!(err.to_string().ends_with("(offline?)"), "{err}");
}

#[test]
fn a_malformed_published_hash_is_refused_before_any_request() {
    let server = Server::start();
    server.add("/j.bin", vec![1, 2, 3], Mode::Normal);
    let dir = tempfile::tempdir().unwrap();
    let err = download(
        &server.url("/j.bin"),
        &dir.path().join("j.bin"),
        &Checksum::Md5("20959b8e".into()),
        |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, Error::BadChecksum { .. }), "{err:?}");
    assert!(server.requests().is_empty());
}
