//! A small HTTP/1.1 file server on 127.0.0.1 for the tests: serves byte strings by path,
//! honours `Range: bytes=N-` (and `N-M`), records every request, and can misbehave on demand.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use md5::{Digest, Md5};
use rockpool_download::Checksum;

/// How the server treats requests for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A correct server with range support.
    Normal,
    /// The first request gets the headers of a full answer, then only this many body bytes,
    /// then the connection closes; later requests are served normally.
    DropFirstAfter(usize),
    /// Every request is cut after this many body bytes.
    DropAlwaysAfter(usize),
    /// The first request gets this many body bytes, then nothing for the given time (the
    /// connection stays open), then the connection closes.
    StallFirstAfter(usize, Duration),
    /// `Range` is ignored: every answer is `200` with the whole file.
    IgnoreRange,
    /// The first request is answered with this status and no body; later ones normally.
    StatusFirst(u16),
    /// Every request is answered with this status.
    StatusAlways(u16),
    /// Every request is answered `302 Found` with this path as `Location`.
    RedirectTo(&'static str),
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub path: String,
    pub range: Option<String>,
}

struct File {
    body: Vec<u8>,
    mode: Mode,
    served: usize,
}

/// The server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    files: Arc<Mutex<HashMap<String, File>>>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let files = Arc::new(Mutex::new(HashMap::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (files, requests, stop) = (files.clone(), requests.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // One thread per connection, so a stalled answer does not hold up the next.
                    if let Ok(stream) = stream {
                        let (files, requests) = (files.clone(), requests.clone());
                        thread::spawn(move || serve(stream, &files, &requests));
                    }
                }
            })
        };
        Server {
            addr,
            files,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// Serves `body` at `path` (which starts with `/`).
    pub fn add(&self, path: &str, body: Vec<u8>, mode: Mode) {
        self.files.lock().unwrap().insert(
            path.to_string(),
            File {
                body,
                mode,
                served: 0,
            },
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    files: &Mutex<HashMap<String, File>>,
    requests: &Mutex<Vec<Request>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    requests.lock().unwrap().push(Request {
        path: path.clone(),
        range: range.clone(),
    });

    let (body, mode, nth) = {
        let mut files = files.lock().unwrap();
        let Some(file) = files.get_mut(&path) else {
            return respond(&mut stream, "404 Not Found", &[], b"", None);
        };
        file.served += 1;
        (file.body.clone(), file.mode, file.served)
    };
    match mode {
        Mode::RedirectTo(to) => {
            let location = format!("Location: {to}");
            return respond(&mut stream, "302 Found", &[location], b"", None);
        }
        Mode::StatusAlways(code) => return respond(&mut stream, &status(code), &[], b"", None),
        Mode::StatusFirst(code) if nth == 1 => {
            return respond(&mut stream, &status(code), &[], b"", None);
        }
        _ => {}
    }
    let cut = match mode {
        Mode::DropFirstAfter(n) if nth == 1 => Some((n, Duration::ZERO)),
        Mode::DropAlwaysAfter(n) => Some((n, Duration::ZERO)),
        Mode::StallFirstAfter(n, stall) if nth == 1 => Some((n, stall)),
        _ => None,
    };
    let len = body.len();
    let wanted = range
        .as_deref()
        .filter(|_| mode != Mode::IgnoreRange)
        .and_then(parse_range);
    match wanted {
        None => respond(&mut stream, "200 OK", &[], &body, cut),
        Some((first, _)) if first >= len => respond(
            &mut stream,
            "416 Range Not Satisfiable",
            &[format!("Content-Range: bytes */{len}")],
            b"",
            None,
        ),
        Some((first, last)) => {
            let last = last.unwrap_or(len - 1).min(len - 1);
            respond(
                &mut stream,
                "206 Partial Content",
                &[format!("Content-Range: bytes {first}-{last}/{len}")],
                &body[first..=last],
                cut,
            )
        }
    }
}

fn status(code: u16) -> String {
    let reason = match code {
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!("{code} {reason}")
}

fn parse_range(value: &str) -> Option<(usize, Option<usize>)> {
    let spec = value.strip_prefix("bytes=")?;
    let (first, last) = spec.split_once('-')?;
    let last = if last.is_empty() {
        None
    } else {
        Some(last.parse().ok()?)
    };
    Some((first.parse().ok()?, last))
}

/// Writes a response with `Content-Length: body.len()`; with `cut = (n, stall)`, sends only
/// `n` body bytes, waits `stall` and closes the connection.
fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[String],
    body: &[u8],
    cut: Option<(usize, Duration)>,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let sent = cut.map_or(body.len(), |(n, _)| n.min(body.len()));
    stream.write_all(&body[..sent])?;
    stream.flush()?;
    if let Some((_, stall)) = cut {
        thread::sleep(stall);
    }
    stream.shutdown(Shutdown::Both)
}

/// Deterministic, incompressible-looking test data.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// The MD5 of `data`, as a [`Checksum`].
pub fn md5_of(data: &[u8]) -> Checksum {
    let digest = Md5::digest(data);
    Checksum::Md5(
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into(),
    )
}
