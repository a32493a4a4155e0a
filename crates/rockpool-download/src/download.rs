//! Resumable, checksum-verified HTTP(S) downloads.
//!
//! A download streams into `<dest>.part`. When an attempt ends early (the connection dropped,
//! a read stalled past the timeout, the server answered 5xx), the next attempt asks for the
//! rest with `Range: bytes=<len>-`; a server that answers `200` instead of `206` is read from
//! the start again, and a `416` means the partial file is already whole (or, when its length
//! disagrees with the server's, that it is stale and is started afresh). Only when the whole
//! file has arrived is it hashed; the hash must equal the published one, or the partial file
//! is deleted and the error names both hashes. The file is then renamed into place, so `dest`
//! exists only when it is complete and verified.
//!
//! A partial file that belongs to an older version of the remote file cannot be told apart
//! before the end: its mismatching hash deletes it, and the next run downloads anew.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use crate::checksum::Checksum;
use crate::error::{Error, Result};
use crate::progress::{Progress, Stage};

/// How a download behaves on a slow or failing network.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Attempts retried in a row without a single new byte before giving up. An attempt that
    /// received data resets the count, so a long download over a flaky link still finishes,
    /// while a dead host fails after `retries + 1` tries. A host name that does not resolve
    /// before any byte arrived fails at once (no network, or a mistyped host).
    pub retries: u32,
    /// Wait before the first retry; doubled for each further retry in a row, capped at 30 s.
    pub backoff: Duration,
    /// Limit on resolving the host and opening the connection.
    pub connect_timeout: Duration,
    /// Limit on each read from the connection: a transfer stalled this long is retried.
    pub read_timeout: Duration,
    /// The `User-Agent` header sent.
    pub user_agent: String,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            retries: 4,
            backoff: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            user_agent: format!("rockpool-download/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Size of each read from the network, in bytes.
const CHUNK: usize = 64 * 1024;

/// Downloads `url` to `dest` with [`DownloadOptions::default`], checking the bytes against
/// `expected`, and returns `dest`.
///
/// If `dest` already exists with the expected hash, nothing is downloaded (with another hash,
/// it is deleted and downloaded anew). If `<dest>.part`
/// exists, the download resumes from its end. On a network failure the partial file is kept
/// and the error says so ([`Error::Offline`] when the host could not be reached at all:
/// `cannot reach <host>: … (offline?)`). On a hash mismatch the partial file is deleted and
/// [`Error::ChecksumMismatch`] names both hashes. `progress` is called with
/// [`Stage::Download`] while bytes arrive and [`Stage::Verify`] while they are hashed.
pub fn download(
    url: &str,
    dest: &Path,
    expected: &Checksum,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<PathBuf> {
    download_with(
        url,
        dest,
        expected,
        &DownloadOptions::default(),
        &mut progress,
    )
}

/// [`download`] with explicit retry and timeout settings.
pub fn download_with(
    url: &str,
    dest: &Path,
    expected: &Checksum,
    options: &DownloadOptions,
    mut progress: impl FnMut(&Progress<'_>),
) -> Result<PathBuf> {
    let progress: &mut dyn FnMut(&Progress<'_>) = &mut progress;
    expected.validate()?;
    if dest.is_file() {
        match expected.check_file(dest, progress)? {
            Ok(()) => return Ok(dest.to_path_buf()),
            // A complete file with the wrong bytes is not the published file: fetch it anew.
            Err(_) => fs::remove_file(dest).map_err(|e| Error::io("cannot remove", dest, e))?,
        }
    }
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
    }
    let part = part_path(dest);
    fetch_into(url, &part, options, progress)?;

    if let Err(actual) = expected.check_file(&part, progress)? {
        let _ = fs::remove_file(&part);
        return Err(Error::ChecksumMismatch {
            file: part,
            algorithm: expected.algorithm(),
            expected: expected.hex(),
            actual,
        });
    }
    fs::rename(&part, dest).map_err(|e| Error::io("cannot rename into", dest, e))?;
    sync_parent(dest);
    Ok(dest.to_path_buf())
}

/// The partial file a download of `dest` writes: `dest` with `.part` appended.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// Why one attempt ended without the whole file.
enum Failure {
    /// No connection could be made; `unresolved` when the host name did not resolve.
    Unreachable { cause: String, unresolved: bool },
    /// The transfer ended early or stalled; `progressed` when new bytes arrived first.
    Interrupted { cause: String, progressed: bool },
    /// A status worth retrying (408, 429, 5xx).
    Status(u16, String),
    /// Not worth retrying.
    Fatal(Error),
}

/// Runs attempts until `part` holds the whole remote file or the retries are spent.
fn fetch_into(
    url: &str,
    part: &Path,
    options: &DownloadOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(options.user_agent.as_str())
        .timeout_resolve(Some(options.connect_timeout))
        .timeout_connect(Some(options.connect_timeout))
        .timeout_recv_response(Some(options.read_timeout))
        .timeout_per_read(Some(options.read_timeout))
        .build()
        .into();
    let mut in_a_row = 0u32;
    let mut attempts = 0u32;
    let mut ever_progressed = false;
    loop {
        attempts += 1;
        let failure = match attempt(&agent, url, part, progress) {
            Ok(()) => return Ok(()),
            Err(failure) => failure,
        };
        let (progressed, unresolved) = match &failure {
            Failure::Interrupted { progressed, .. } => (*progressed, false),
            Failure::Unreachable { unresolved, .. } => (false, *unresolved),
            _ => (false, false),
        };
        ever_progressed |= progressed;
        in_a_row = if progressed { 1 } else { in_a_row + 1 };
        if let Failure::Fatal(error) = failure {
            return Err(error);
        }
        // A name that does not resolve before any byte arrived is almost always a machine
        // without network (or a mistyped host): say so at once instead of after the backoff.
        if in_a_row > options.retries || (unresolved && !ever_progressed) {
            return Err(give_up(url, part, failure, attempts));
        }
        let doublings = (in_a_row - 1).min(16);
        thread::sleep(
            options
                .backoff
                .saturating_mul(1 << doublings)
                .min(MAX_BACKOFF),
        );
    }
}

/// The error reported once the retries are spent.
fn give_up(url: &str, part: &Path, failure: Failure, attempts: u32) -> Error {
    let bytes = file_len(part).unwrap_or(0);
    match failure {
        Failure::Unreachable { cause, .. } => Error::Offline {
            host: host_of(url).to_string(),
            cause,
            bytes,
            part: part.to_path_buf(),
        },
        Failure::Interrupted { cause, .. } => Error::Interrupted {
            url: url.to_string(),
            cause,
            attempts,
            bytes,
            part: part.to_path_buf(),
        },
        Failure::Status(status, reason) => Error::Http {
            url: url.to_string(),
            status,
            reason,
        },
        Failure::Fatal(error) => error,
    }
}

/// One request: asks for the bytes after those already in `part` and appends them.
fn attempt(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> std::result::Result<(), Failure> {
    let have = file_len(part).map_err(Failure::Fatal)?;
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let mut response = request.call().map_err(|e| classify(url, e))?;
    let status = response.status().as_u16();
    let content_range = header(&response, "content-range").map(|v| parse_content_range(&v));
    let content_length = header(&response, "content-length").and_then(|v| v.parse::<u64>().ok());

    let (mut file, start, total) = match status {
        206 => match content_range.flatten() {
            Some(range) if range.first == Some(have) => {
                let file = OpenOptions::new()
                    .append(true)
                    .open(part)
                    .map_err(|e| Failure::Fatal(Error::io("cannot open", part, e)))?;
                (file, have, range.total)
            }
            // A range we did not ask for: the partial file cannot be trusted to line up.
            _ => {
                truncate(part)?;
                return Err(Failure::Interrupted {
                    cause: "the server answered a different byte range than asked for".into(),
                    progressed: false,
                });
            }
        },
        // A full answer: to a plain request, or from a server that ignores `Range`.
        200 => (create(part)?, 0, content_length),
        416 => {
            let total = content_range.flatten().and_then(|r| r.total);
            if have > 0 && total == Some(have) {
                return Ok(());
            }
            truncate(part)?;
            return Err(Failure::Interrupted {
                cause: format!(
                    "the server refused to resume from byte {have} (HTTP 416); starting afresh"
                ),
                progressed: false,
            });
        }
        408 | 429 | 500..=599 => {
            return Err(Failure::Status(status, reason(&response)));
        }
        _ => {
            return Err(Failure::Fatal(Error::Http {
                url: url.to_string(),
                status,
                reason: reason(&response),
            }));
        }
    };

    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; CHUNK];
    let mut done = start;
    let mut progressed = false;
    progress(&Progress {
        stage: Stage::Download,
        file: part,
        done,
        total,
    });
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = file.sync_data();
                return Err(Failure::Interrupted {
                    cause: read_cause(&e),
                    progressed,
                });
            }
        };
        file.write_all(&buf[..n])
            .map_err(|e| Failure::Fatal(Error::io("cannot write", part, e)))?;
        done += n as u64;
        progressed = true;
        progress(&Progress {
            stage: Stage::Download,
            file: part,
            done,
            total,
        });
    }
    file.sync_all()
        .map_err(|e| Failure::Fatal(Error::io("cannot write", part, e)))?;
    match total {
        Some(total) if done < total => Err(Failure::Interrupted {
            cause: format!("the connection closed after {done} of {total} bytes"),
            progressed,
        }),
        _ => Ok(()),
    }
}

/// Sorts a client error into "not reachable" (worth the offline hint), "interrupted" (worth a
/// retry) and everything else.
fn classify(url: &str, error: ureq::Error) -> Failure {
    use ureq::Timeout;
    match error {
        ureq::Error::HostNotFound => Failure::Unreachable {
            cause: "the host name did not resolve".into(),
            unresolved: true,
        },
        ureq::Error::ConnectionFailed => Failure::Unreachable {
            cause: "connection failed".into(),
            unresolved: false,
        },
        ureq::Error::Timeout(which @ (Timeout::Resolve | Timeout::Connect)) => {
            Failure::Unreachable {
                cause: format!("timed out ({which})"),
                unresolved: false,
            }
        }
        ureq::Error::Timeout(which) => Failure::Interrupted {
            cause: format!("timed out ({which})"),
            progressed: false,
        },
        // Dropped by a server that was reached: worth a retry, not the offline hint.
        ureq::Error::Io(e) if is_dropped(e.kind()) => Failure::Interrupted {
            cause: e.to_string(),
            progressed: false,
        },
        // Everything else before a response: refused, unreachable, and the resolver's own
        // error (std reports a failed lookup as an uncategorised `io::Error`).
        ureq::Error::Io(e) => {
            let cause = e.to_string();
            Failure::Unreachable {
                unresolved: cause.contains("lookup address"),
                cause,
            }
        }
        other => Failure::Fatal(Error::Client {
            url: url.to_string(),
            cause: other.to_string(),
        }),
    }
}

/// I/O error kinds of a connection that was made and then lost.
fn is_dropped(kind: io::ErrorKind) -> bool {
    use io::ErrorKind::*;
    matches!(
        kind,
        ConnectionReset | ConnectionAborted | UnexpectedEof | BrokenPipe | WriteZero
    )
}

/// The message of an error that ended reading the body (ureq wraps its own errors in
/// `io::Error`).
fn read_cause(error: &io::Error) -> String {
    match error.get_ref() {
        Some(inner) => inner.to_string(),
        None => error.to_string(),
    }
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

fn reason(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .status()
        .canonical_reason()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}

/// A parsed `Content-Range: bytes <first>-<last>/<total>` (or `bytes */<total>`).
#[derive(Debug, PartialEq, Eq)]
struct ContentRange {
    first: Option<u64>,
    total: Option<u64>,
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    let first = match range.trim() {
        "*" => None,
        r => Some(r.split_once('-')?.0.trim().parse().ok()?),
    };
    Some(ContentRange { first, total })
}

/// The host (with port, if any) of a URL, for messages.
pub(crate) fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

fn file_len(path: &Path) -> Result<u64> {
    match fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

fn create(part: &Path) -> std::result::Result<File, Failure> {
    File::create(part).map_err(|e| Failure::Fatal(Error::io("cannot create", part, e)))
}

fn truncate(part: &Path) -> std::result::Result<(), Failure> {
    create(part).map(drop)
}

/// Makes a rename durable where the platform allows syncing a folder.
pub(crate) fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = File::open(parent)
    {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_forms() {
        assert_eq!(
            parse_content_range("bytes 100-199/1000"),
            Some(ContentRange {
                first: Some(100),
                total: Some(1000)
            })
        );
        assert_eq!(
            parse_content_range("bytes */1000"),
            Some(ContentRange {
                first: None,
                total: Some(1000)
            })
        );
        assert_eq!(
            parse_content_range("bytes 5-9/*"),
            Some(ContentRange {
                first: Some(5),
                total: None
            })
        );
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn hosts_for_messages() {
        assert_eq!(
            host_of("https://zenkelab.org/datasets/x.zip"),
            "zenkelab.org"
        );
        assert_eq!(host_of("http://127.0.0.1:8080/a?b"), "127.0.0.1:8080");
        assert_eq!(host_of("https://user@figshare.com"), "figshare.com");
    }

    #[test]
    fn part_files_sit_beside_the_destination() {
        assert_eq!(
            part_path(Path::new("/d/shd_train.h5.zip")),
            Path::new("/d/shd_train.h5.zip.part")
        );
    }
}
