//! Test helpers shared by every end-to-end test: the binary under test (`strata_cmd`,
//! `strata`), a token server for the registry's `auth: token` mode, and fault-injecting
//! proxies (for faults the real server cannot produce). Image builders (`build`) and the
//! real `docker-registry` fixture come from the workspace's test kit (`strata-testkit`),
//! which the library suites share.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

pub use strata_testkit::build;
pub use strata_testkit::build::{make_layout, make_layout_arch};
pub use strata_testkit::registry::{Registry, TokenAuth, free_port, require};

/// The strata binary under test.
pub const STRATA: &str = env!("CARGO_BIN_EXE_strata");

/// A command running the strata binary under test (each test adds its root, cache and env).
pub fn strata_cmd() -> Command {
    Command::new(STRATA)
}

/// Runs strata with a store root and a private Docker config dir.
pub fn strata(root: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = strata_cmd();
    c.arg("--root").arg(root).args(args);
    c.env("DOCKER_CONFIG", root.with_extension("docker-config"));
    c.env("STRATA_NO_CACHE", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Text of a byte stream.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Checks a store is consistent: every blob hashes to its name, the records parse, and
/// every image's manifest, config and layers are present.
pub fn check_store(root: &Path) -> Result<usize, String> {
    use sha2::Digest as _;
    let blobs = root.join("blobs/sha256");
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(&blobs) {
        for e in rd.flatten() {
            let bytes = std::fs::read(e.path()).map_err(|x| x.to_string())?;
            let h = sha2::Sha256::digest(&bytes);
            let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
            if hex != e.file_name().to_string_lossy() {
                return Err(format!("blob {:?} does not hash to its name", e.path()));
            }
            n += 1;
        }
    }
    for f in ["refs.json", "index.json"] {
        let p = root.join(f);
        if p.exists() {
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(&p).unwrap())
                .map_err(|e| format!("{f}: {e}"))?;
        }
    }
    if let Ok(b) = std::fs::read(root.join("refs.json")) {
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        for (id, rec) in v["images"].as_object().unwrap() {
            let m = rec["manifest"].as_str().unwrap();
            let mp = blobs.join(&m[7..]);
            let mb = std::fs::read(&mp).map_err(|_| format!("{id}: manifest {m} missing"))?;
            let mv: serde_json::Value = serde_json::from_slice(&mb).unwrap();
            let cfg = mv["config"]["digest"].as_str().unwrap();
            if !blobs.join(&cfg[7..]).exists() {
                return Err(format!("{id}: config missing"));
            }
            for l in mv["layers"].as_array().unwrap() {
                let d = l["digest"].as_str().unwrap();
                if !blobs.join(&d[7..]).exists() {
                    return Err(format!("{id}: layer {d} missing"));
                }
            }
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------
// Token server

/// A token server: answers `GET /token` with a signed JWT when the Basic credentials match.
pub struct TokenServer {
    /// The realm URL.
    pub realm: String,
    /// Requests seen.
    pub hits: Arc<AtomicUsize>,
    /// Auth settings for [`Registry::start`].
    pub auth: TokenAuth,
    /// The token it hands out.
    pub token: String,
    _dir: tempfile::TempDir,
}

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn openssl(args: &[&str], dir: &Path, input: Option<&[u8]>) -> Vec<u8> {
    let mut c = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl");
    if let Some(i) = input {
        c.stdin.take().unwrap().write_all(i).unwrap();
    } else {
        drop(c.stdin.take());
    }
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "openssl {args:?}: {}", text(&o.stderr));
    o.stdout
}

impl TokenServer {
    /// Starts a token server accepting `user`/`pass` for `repo` (pull and push).
    pub fn start(user: &str, pass: &str, repo: &str) -> TokenServer {
        let dir = tempfile::tempdir().unwrap();
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-subj",
                "/CN=strata-test-token",
            ],
            dir.path(),
            None,
        );
        let der = openssl(
            &["x509", "-in", "cert.pem", "-outform", "DER"],
            dir.path(),
            None,
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&der)]});
        let claims = serde_json::json!({"iss": "strata-test-issuer", "sub": user,
            "aud": "strata-test", "exp": now + 3600, "nbf": now - 60, "iat": now - 60,
            "jti": "strata-test-1",
            "access": [{"type": "repository", "name": repo, "actions": ["pull", "push"]}]});
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let sig = openssl(
            &["dgst", "-sha256", "-sign", "key.pem"],
            dir.path(),
            Some(signing_input.as_bytes()),
        );
        let token = format!("{signing_input}.{}", b64url(&sig));
        let issued = token.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let realm = format!("http://{}/token", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        );
        let h = hits.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                h.fetch_add(1, Ordering::SeqCst);
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut authorized = false;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.trim().split_once(':') {
                        if k.eq_ignore_ascii_case("authorization") {
                            authorized = v.trim() == want;
                        }
                    }
                }
                let mut w = conn;
                let (status, body) = if authorized {
                    ("200 OK", format!("{{\"token\":\"{token}\"}}"))
                } else {
                    (
                        "401 Unauthorized",
                        "{\"details\":\"bad credentials\"}".to_string(),
                    )
                };
                let _ = write!(
                    w,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = w.shutdown(Shutdown::Both);
            }
        });
        let cert = dir.path().join("cert.pem");
        TokenServer {
            auth: TokenAuth {
                realm: realm.clone(),
                cert,
            },
            realm,
            hits,
            token: issued,
            _dir: dir,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fault proxy

/// What the proxy does to traffic. Counters count down as faults are injected.
#[derive(Default)]
pub struct Faults {
    /// Answer this many requests with 503 before passing any through.
    pub status_burst: usize,
    /// The status for the burst (503 unless set).
    pub burst_status: u16,
    /// Cut this many blob responses after `cut_after` body bytes.
    pub cuts: usize,
    /// Bytes of body sent before a cut or a stall.
    pub cut_after: usize,
    /// Flip one byte in this many blob bodies (usize::MAX: all of them).
    pub corruptions: usize,
    /// Pause this many blob bodies for `stall` after `cut_after` bytes.
    pub stalls: usize,
    /// How long a stall lasts.
    pub stall: Duration,
    /// Limit blob bodies to about this many bytes per second (0: no limit).
    pub rate: usize,
    /// Answer blob GETs with `307 Location: {redirect_blobs}{path}`.
    pub redirect_blobs: Option<String>,
    /// Demand this exact `Authorization` value, answering others with 401 and
    /// `WWW-Authenticate: {challenge}` (the proxy plays a registry with Basic or bearer auth).
    pub require_auth: Option<String>,
    /// The challenge for `require_auth`.
    pub challenge: String,
    /// Send the bodies of GETs whose path contains `trickle_path` one byte per this interval.
    pub trickle: Option<Duration>,
    /// Which bodies to trickle (`/blobs/`, `/manifests/`).
    pub trickle_path: String,
}

/// A proxy in front of a registry, injecting [`Faults`].
pub struct Proxy {
    /// `127.0.0.1:PORT` to give strata.
    pub host: String,
    /// The faults to inject (change them between runs).
    pub faults: Arc<Mutex<Faults>>,
    /// Requests forwarded or answered.
    pub requests: Arc<AtomicUsize>,
    /// The head (request line and headers) of every request received.
    pub heads: Arc<Mutex<Vec<Vec<String>>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.host);
    }
}

fn read_head(r: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == "\r\n" || line == "\n" {
            return Some(lines);
        }
        lines.push(line.trim_end().to_string());
    }
}

fn content_length(head: &[String]) -> Option<usize> {
    head.iter().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())
            .flatten()
    })
}

fn take(counter: &mut usize) -> bool {
    if *counter == 0 {
        return false;
    }
    if *counter != usize::MAX {
        *counter -= 1;
    }
    true
}

impl Proxy {
    /// Starts a proxy to `upstream` (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let faults = Arc::new(Mutex::new(Faults::default()));
        let requests = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, rq, st, up, hd) = (
            faults.clone(),
            requests.clone(),
            stop.clone(),
            upstream.to_string(),
            heads.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (f, rq, up, hd) = (f.clone(), rq.clone(), up.clone(), hd.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &up, &f, &rq, &hd);
                });
            }
        });
        Proxy {
            host,
            faults,
            requests,
            heads,
            stop,
        }
    }
}

fn serve(
    client: TcpStream,
    upstream: &str,
    faults: &Mutex<Faults>,
    requests: &AtomicUsize,
    heads: &Mutex<Vec<Vec<String>>>,
) -> std::io::Result<()> {
    let mut cr = BufReader::new(client.try_clone()?);
    let mut cw = client;
    loop {
        let Some(head) = read_head(&mut cr) else {
            return Ok(());
        };
        if head.is_empty() || !head[0].contains("HTTP/1.") {
            // Not HTTP (a TLS probe): hang up, as a plain server would after its 400.
            let _ = cw.shutdown(Shutdown::Both);
            return Ok(());
        }
        requests.fetch_add(1, Ordering::SeqCst);
        heads.lock().unwrap().push(head.clone());
        let mut body = vec![0u8; content_length(&head).unwrap_or(0)];
        cr.read_exact(&mut body)?;
        let is_blob_get = head[0].starts_with("GET ") && head[0].contains("/blobs/sha256:");
        let path = head[0].split(' ').nth(1).unwrap_or("/").to_string();
        {
            let f = faults.lock().unwrap();
            if let Some(want) = &f.require_auth {
                let given = head.iter().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("authorization")
                        .then(|| v.trim().to_string())
                });
                if given.as_deref() != Some(want.as_str()) {
                    let msg = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
                    write!(
                        cw,
                        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{msg}",
                        f.challenge,
                        msg.len()
                    )?;
                    continue;
                }
            }
            if let (true, Some(to)) = (is_blob_get, &f.redirect_blobs) {
                write!(
                    cw,
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}{path}\r\nContent-Length: 0\r\n\r\n"
                )?;
                continue;
            }
        }
        {
            let mut f = faults.lock().unwrap();
            if take(&mut f.status_burst) {
                let code = if f.burst_status == 0 {
                    503
                } else {
                    f.burst_status
                };
                let msg = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}";
                write!(
                    cw,
                    "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{msg}",
                    msg.len()
                )?;
                continue;
            }
        }
        // Forward with a fresh upstream connection per request.
        let mut up = TcpStream::connect(upstream)?;
        for (i, l) in head.iter().enumerate() {
            if i > 0 && l.to_lowercase().starts_with("connection:") {
                continue;
            }
            write!(up, "{l}\r\n")?;
        }
        write!(up, "Connection: close\r\n\r\n")?;
        up.write_all(&body)?;
        let mut ur = BufReader::new(up);
        let Some(rhead) = read_head(&mut ur) else {
            return Ok(());
        };
        let len = content_length(&rhead);
        for l in &rhead {
            write!(cw, "{l}\r\n")?;
        }
        write!(cw, "\r\n")?;
        let head_only = head[0].starts_with("HEAD ");
        if head_only {
            cw.flush()?;
            continue;
        }
        let trickle = {
            let f = faults.lock().unwrap();
            f.trickle.filter(|_| {
                head[0].starts_with("GET ")
                    && !f.trickle_path.is_empty()
                    && path.contains(&f.trickle_path)
            })
        };
        if let Some(every) = trickle {
            let mut one = [0u8; 1];
            while ur.read(&mut one)? == 1 {
                cw.write_all(&one)?;
                cw.flush()?;
                std::thread::sleep(every);
            }
            let _ = cw.shutdown(Shutdown::Both);
            return Ok(());
        }
        let (cut, corrupt, stall, rate, after, stall_for) = {
            let mut f = faults.lock().unwrap();
            if is_blob_get {
                (
                    take(&mut f.cuts),
                    take(&mut f.corruptions),
                    take(&mut f.stalls),
                    f.rate,
                    f.cut_after,
                    f.stall,
                )
            } else {
                (false, false, false, 0, 0, Duration::ZERO)
            }
        };
        let mut sent = 0usize;
        let mut buf = vec![0u8; 16 * 1024];
        let total = len.unwrap_or(usize::MAX);
        let started = Instant::now();
        let mut stalled = false;
        while sent < total {
            let want = buf.len().min(total - sent);
            let n = ur.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            let chunk = &mut buf[..n];
            if corrupt && sent == 0 {
                chunk[n / 2] ^= 0xff;
            }
            if cut && sent + n > after {
                let keep = after.saturating_sub(sent);
                cw.write_all(&chunk[..keep])?;
                cw.flush()?;
                // The connection ends before Content-Length bytes: a dropped connection.
                let _ = cw.shutdown(Shutdown::Both);
                return Ok(());
            }
            if stall && !stalled && sent + n > after {
                let keep = after.saturating_sub(sent);
                cw.write_all(&chunk[..keep])?;
                cw.flush()?;
                std::thread::sleep(stall_for);
                stalled = true;
                cw.write_all(&chunk[keep..])?;
            } else {
                cw.write_all(chunk)?;
            }
            sent += n;
            if rate > 0 {
                let due = Duration::from_secs_f64(sent as f64 / rate as f64);
                let el = started.elapsed();
                if due > el {
                    std::thread::sleep(due - el);
                }
            }
        }
        cw.flush()?;
        if len.is_none() {
            let _ = cw.shutdown(Shutdown::Both);
            return Ok(());
        }
    }
}

// ---------------------------------------------------------------------------------------
// CONNECT proxy

/// An HTTP CONNECT proxy on 127.0.0.1 (what `HTTPS_PROXY` points at) that plays other hosts:
/// tunnels for a mapped `host:port` go to a local address, nothing leaves the machine. It
/// records every CONNECT target and the head of the first request in each tunnel.
pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`.
    pub url: String,
    /// `host:port` of each CONNECT.
    pub targets: Arc<Mutex<Vec<String>>>,
    /// The head of the first request sent through each tunnel.
    pub heads: Arc<Mutex<Vec<Vec<String>>>>,
}

impl ConnectProxy {
    /// Starts a proxy that sends tunnels for each `(target, local)` pair to `local`, and
    /// refuses the rest.
    pub fn start(map: &[(&str, &str)]) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let map: Vec<(String, String)> = map
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (t, h) = (targets.clone(), heads.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (map, t, h) = (map.clone(), t.clone(), h.clone());
                std::thread::spawn(move || {
                    let _ = tunnel(conn, &map, &t, &h);
                });
            }
        });
        ConnectProxy {
            url,
            targets,
            heads,
        }
    }
}

fn tunnel(
    client: TcpStream,
    map: &[(String, String)],
    targets: &Mutex<Vec<String>>,
    heads: &Mutex<Vec<Vec<String>>>,
) -> std::io::Result<()> {
    let mut cr = BufReader::new(client.try_clone()?);
    let mut cw = client;
    let Some(head) = read_head(&mut cr) else {
        return Ok(());
    };
    let target = head
        .first()
        .and_then(|l| l.strip_prefix("CONNECT "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or("")
        .to_string();
    targets.lock().unwrap().push(target.clone());
    let Some((_, local)) = map.iter().find(|(t, _)| *t == target) else {
        write!(cw, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
        return Ok(());
    };
    let up = TcpStream::connect(local)?;
    write!(cw, "HTTP/1.1 200 Connection established\r\n\r\n")?;
    cw.flush()?;
    // The first request in the tunnel is plain HTTP here (the hosts played serve no TLS).
    let Some(first) = read_head(&mut cr) else {
        return Ok(());
    };
    heads.lock().unwrap().push(first.clone());
    let mut uw = up.try_clone()?;
    for l in &first {
        write!(uw, "{l}\r\n")?;
    }
    write!(uw, "\r\n")?;
    let mut ur = up;
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut ur, &mut cw);
        let _ = cw.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut cr, &mut uw);
    let _ = uw.shutdown(Shutdown::Write);
    let _ = back.join();
    Ok(())
}

/// Whether any recorded head carries an `Authorization` header.
pub fn has_authorization(heads: &[Vec<String>]) -> bool {
    heads.iter().flatten().any(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("authorization"))
    })
}
