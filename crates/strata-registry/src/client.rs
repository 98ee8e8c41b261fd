//! A registry client for the distribution API v2: scheme choice by Docker's rule, the
//! anonymous/bearer/Basic auth flows, retries with backoff, and streaming blob reads that
//! resume where a dropped connection left off.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use strata_core::digest::Digest;
use strata_core::manifest::{MAX_JSON, media};
use ureq::http::{self, Method, Response};

use crate::auth::{Credential, DockerConfig};
use crate::{RegistryError, Result};

/// Every manifest type strata reads, for `Accept`.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// Knobs for talking to registries.
#[derive(Debug, Clone)]
pub struct Options {
    /// Hosts (`host[:port]`) that may be spoken to over plain HTTP (`--insecure-registry`).
    pub insecure: Vec<String>,
    /// How many times a request is retried after a 5xx, a 429 or a transport error.
    pub retries: u32,
    /// The first retry's delay; it doubles each time.
    pub backoff: Duration,
    /// A read that waits longer than this is a stall, handled like a dropped connection.
    pub read_timeout: Duration,
    /// A body arriving slower than this many bytes per second, for `low_speed_time` of
    /// waiting on the network, is abandoned (curl's `--speed-limit`; 0 turns it off).
    pub low_speed_limit: u64,
    /// The window `low_speed_limit` is measured over (curl's `--speed-time`).
    pub low_speed_time: Duration,
    /// The directory of Docker's client config (`config.json`, credentials); `None`: no
    /// stored credentials.
    pub docker_config: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            insecure: Vec::new(),
            retries: 5,
            backoff: Duration::from_millis(200),
            read_timeout: Duration::from_secs(60),
            low_speed_limit: 1024,
            low_speed_time: Duration::from_secs(30),
            docker_config: None,
        }
    }
}

#[derive(Debug, Clone)]
enum Challenge {
    Unknown,
    Anonymous,
    Basic,
    Bearer { realm: String, service: String },
}

struct AuthState {
    challenge: Challenge,
    tokens: HashMap<String, String>,
}

/// One registry host.
pub struct Client {
    agent: ureq::Agent,
    domain: String,
    api_host: String,
    plain_ok: bool,
    base: OnceLock<String>,
    cred: Option<Credential>,
    auth: Mutex<AuthState>,
    opts: Options,
}

/// Whether Docker would speak plain HTTP to this host: loopback addresses (after resolving
/// the name) and `--insecure-registry` hosts.
pub fn plain_http_allowed(host: &str, insecure: &[String]) -> bool {
    if insecure.iter().any(|h| h == host) {
        return true;
    }
    let bare = match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    let bare = bare.trim_start_matches('[').trim_end_matches(']');
    if insecure.iter().any(|h| h == bare) {
        return true;
    }
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    use std::net::ToSocketAddrs;
    match (bare, 0u16).to_socket_addrs() {
        Ok(addrs) => {
            let v: Vec<_> = addrs.collect();
            !v.is_empty() && v.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

fn transport_err(url: &str, e: ureq::Error) -> RegistryError {
    RegistryError::Transport {
        url: shown_url(url),
        reason: e.to_string(),
    }
}

/// A URL as errors show it: no user info and no query, where presigned redirect targets keep
/// their signatures.
pub fn shown_url(url: &str) -> String {
    let Ok(u) = url.parse::<http::Uri>() else {
        return url.split(['?', '#']).next().unwrap_or("").to_string();
    };
    let host = u.host().unwrap_or("");
    let port = u.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    match u.scheme_str() {
        Some(scheme) => format!("{scheme}://{host}{port}{}", u.path()),
        None => u.path().to_string(),
    }
}

/// Scheme, host and port (the default one filled in): what credentials are scoped to, as
/// Docker's challenge manager keys them.
fn origin(url: &str) -> Option<(String, String, u16)> {
    let u = url.parse::<http::Uri>().ok()?;
    let scheme = u.scheme_str()?.to_ascii_lowercase();
    let port = u.port_u16().or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some((scheme, u.host()?.to_ascii_lowercase(), port))
}

/// Whether strata may talk to `url` at all: HTTPS, or plain HTTP to a loopback or
/// `--insecure-registry` host (the rule Docker applies to registries, applied to token realms
/// and redirect targets too).
fn transport_allowed(url: &str, insecure: &[String]) -> bool {
    match origin(url) {
        Some((scheme, host, port)) if scheme == "https" => !host.is_empty() && port > 0,
        Some((scheme, host, port)) if scheme == "http" => {
            let bracketed = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            plain_http_allowed(&format!("{bracketed}:{port}"), insecure)
        }
        _ => false,
    }
}

/// Where a 3xx answer points, resolved against the URL asked for.
fn redirect_target(from: &str, location: &str) -> Option<String> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_string());
    }
    let u = from.parse::<http::Uri>().ok()?;
    let authority = u.authority()?.as_str();
    let scheme = u.scheme_str()?;
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let dir = u.path().rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    Some(format!("{scheme}://{authority}{dir}/{location}"))
}

/// A minimum transfer rate: counts the bytes a reader delivers against the time spent
/// waiting inside it (so a slow consumer never counts against the sender), and fails once a
/// whole window of waiting brought fewer than the minimum. A per-read timeout alone lets a
/// sender trickling one byte a second hold a download open forever.
pub struct SpeedFloor {
    limit: u64,
    window: Duration,
    waited: Duration,
    bytes: u64,
}

impl SpeedFloor {
    /// A floor of `opts.low_speed_limit` bytes/s over `opts.low_speed_time`.
    pub fn new(opts: &Options) -> SpeedFloor {
        SpeedFloor {
            limit: opts.low_speed_limit,
            window: opts.low_speed_time,
            waited: Duration::ZERO,
            bytes: 0,
        }
    }

    /// Records one read that took `took` and brought `n` bytes; an error once the rate
    /// over a full window is under the floor.
    pub fn record(
        &mut self,
        what: impl FnOnce() -> String,
        took: Duration,
        n: usize,
    ) -> io::Result<()> {
        if self.limit == 0 || self.window.is_zero() {
            return Ok(());
        }
        self.waited += took;
        self.bytes += n as u64;
        if self.waited < self.window {
            return Ok(());
        }
        let secs = self.waited.as_secs_f64();
        let rate = self.bytes as f64 / secs;
        if rate < self.limit as f64 {
            let what = what();
            let prefix = if what.is_empty() {
                String::new()
            } else {
                format!("{what}: ")
            };
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{prefix}transfer too slow ({rate:.0} bytes/s over {secs:.0}s, the minimum is {} bytes/s; set STRATA_LOW_SPEED_LIMIT and STRATA_LOW_SPEED_TIME to change it)",
                    self.limit
                ),
            ));
        }
        self.waited = Duration::ZERO;
        self.bytes = 0;
        Ok(())
    }
}

/// Reads a small body (manifest, token, error) whole, up to `limit` bytes, under the
/// transfer-rate floor.
fn read_small(body: &mut ureq::Body, limit: u64, opts: &Options) -> io::Result<Vec<u8>> {
    let mut r = body.with_config().limit(u64::MAX).reader();
    let mut floor = SpeedFloor::new(opts);
    let mut out = Vec::new();
    let mut buf = [0u8; 16 << 10];
    loop {
        let room = usize::try_from(limit.saturating_sub(out.len() as u64))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if room == 0 {
            return Ok(out);
        }
        let t = std::time::Instant::now();
        let n = match r.read(&mut buf[..room]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        floor.record(String::new, t.elapsed(), n)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// The target of a redirect answer, if `resp` is one.
fn location_of(resp: &Response<ureq::Body>, from: &str) -> Option<String> {
    if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let loc = resp.headers().get("location")?.to_str().ok()?;
    redirect_target(from, loc)
}

/// Redirects followed per request, as Go's HTTP client allows.
const MAX_REDIRECTS: usize = 10;

fn retriable_status(s: u16) -> bool {
    matches!(s, 408 | 429 | 500 | 502 | 503 | 504)
}

/// A request body that can be sent again on a retry.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    /// No body.
    Empty,
    /// Bytes in memory (manifests).
    Bytes(&'a [u8]),
    /// A file, re-opened for each attempt (blobs).
    File(&'a Path),
    /// An open file, read from its start on each attempt (an unnamed spool file, which
    /// leaves nothing behind even after `kill -9`).
    Handle(&'a std::fs::File),
}

/// The registry's `errors` array, as Docker prints it (`manifest unknown: manifest unknown`).
fn error_detail(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string();
    };
    let Some(errs) = v.get("errors").and_then(Value::as_array) else {
        return String::new();
    };
    errs.iter()
        .map(|e| {
            let code = e
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase()
                .replace('_', " ");
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
            if msg.is_empty() {
                code
            } else {
                format!("{code}: {msg}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Client {
    /// A client for `domain` (as in a reference: `docker.io`, `127.0.0.1:5000`), with the
    /// user's credentials for it.
    pub fn new(domain: &str, opts: Options) -> Result<Arc<Client>> {
        let cred = match &opts.docker_config {
            Some(dir) => DockerConfig::load_from(dir)?.credential(domain)?,
            None => None,
        };
        Ok(Self::with_credential(domain, opts, cred))
    }

    /// A client with an explicit credential (or none).
    pub fn with_credential(domain: &str, opts: Options, cred: Option<Credential>) -> Arc<Client> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_per_read(Some(opts.read_timeout))
            .timeout_per_write(Some(opts.read_timeout))
            // Redirects are followed by `send`, which decides per hop what credentials go.
            .max_redirects(0)
            .timeout_recv_response(Some(opts.read_timeout))
            .user_agent(concat!("strata/", env!("CARGO_PKG_VERSION")))
            // The system's trust store (as Docker uses), not a bundled copy of web roots.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .build()
            .into();
        let api_host = if domain == "docker.io" {
            "registry-1.docker.io".to_string()
        } else {
            domain.to_string()
        };
        let plain_ok = plain_http_allowed(&api_host, &opts.insecure);
        Arc::new(Client {
            agent,
            domain: domain.to_string(),
            api_host,
            plain_ok,
            base: OnceLock::new(),
            cred,
            auth: Mutex::new(AuthState {
                challenge: Challenge::Unknown,
                tokens: HashMap::new(),
            }),
            opts,
        })
    }

    /// The registry host as the reference names it.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// `https://host` or, where Docker's rule allows and TLS fails, `http://host`.
    fn base(&self) -> Result<&str> {
        if let Some(b) = self.base.get() {
            return Ok(b);
        }
        let https = format!("https://{}", self.api_host);
        let chosen = if self.plain_ok {
            // Docker tries TLS first and falls back to plain HTTP for these hosts.
            let probe = self
                .agent
                .get(format!("{https}/v2/"))
                .config()
                .timeout_global(Some(Duration::from_secs(5)))
                .build()
                .call();
            match probe {
                Ok(_) => https,
                Err(_) => format!("http://{}", self.api_host),
            }
        } else {
            https
        };
        Ok(self.base.get_or_init(|| chosen))
    }

    fn auth_header(&self, scope: &str) -> Option<String> {
        let st = self.auth.lock().ok()?;
        match &st.challenge {
            Challenge::Basic => self.cred.as_ref().map(Credential::basic_header),
            Challenge::Bearer { .. } => st.tokens.get(scope).map(|t| format!("Bearer {t}")),
            Challenge::Unknown | Challenge::Anonymous => None,
        }
    }

    /// Reads a `WWW-Authenticate` answer and gets what it asks for.
    fn authenticate(&self, header: &str, scope: &str) -> Result<()> {
        let challenges = http_auth::parse_challenges(header).map_err(|e| RegistryError::Auth {
            registry: self.domain.clone(),
            reason: format!("unreadable WWW-Authenticate header: {e}"),
        })?;
        let mut chosen = Challenge::Anonymous;
        for c in &challenges {
            let param = |name: &str| {
                c.params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_unescaped())
            };
            if c.scheme.eq_ignore_ascii_case("bearer") {
                if let Some(realm) = param("realm") {
                    chosen = Challenge::Bearer {
                        realm,
                        service: param("service").unwrap_or_default(),
                    };
                    break;
                }
            } else if c.scheme.eq_ignore_ascii_case("basic") {
                chosen = Challenge::Basic;
            }
        }
        match &chosen {
            Challenge::Bearer { realm, service } => {
                let token = self.fetch_token(realm, service, scope)?;
                let mut st = self.auth.lock().map_err(|_| RegistryError::Poisoned)?;
                st.tokens.insert(scope.to_string(), token);
                st.challenge = chosen;
            }
            Challenge::Basic => {
                if self.cred.is_none() {
                    return Err(RegistryError::Auth {
                        registry: self.domain.clone(),
                        reason: "authentication required (no credentials; run strata login)".into(),
                    });
                }
                let mut st = self.auth.lock().map_err(|_| RegistryError::Poisoned)?;
                st.challenge = chosen;
            }
            _ => {
                return Err(RegistryError::Auth {
                    registry: self.domain.clone(),
                    reason: "unsupported authentication scheme".into(),
                });
            }
        }
        Ok(())
    }

    fn fetch_token(&self, realm: &str, service: &str, scope: &str) -> Result<String> {
        let refuse = |url: &str| RegistryError::Auth {
            registry: self.domain.clone(),
            reason: format!(
                "token realm {} is plain HTTP to a host that is neither loopback nor an insecure registry; refusing to use it",
                shown_url(url)
            ),
        };
        let mut url = realm.to_string();
        let mut query = Vec::new();
        if !service.is_empty() {
            query.push(("service", service));
        }
        if !scope.is_empty() {
            query.push(("scope", scope));
        }
        let realm_origin = origin(realm);
        let mut hops = 0;
        let mut resp = loop {
            if !transport_allowed(&url, &self.opts.insecure) {
                return Err(refuse(&url));
            }
            let mut req = self.agent.get(&url);
            if hops == 0 {
                for (k, v) in &query {
                    req = req.query(*k, *v);
                }
            }
            // The password goes to the realm the registry named, never to where it redirects.
            if let Some(c) = &self.cred {
                if origin(&url) == realm_origin {
                    req = req.header("Authorization", c.basic_header());
                }
            }
            let resp = req.call().map_err(|e| transport_err(&url, e))?;
            match location_of(&resp, &url) {
                Some(next) if hops < MAX_REDIRECTS => {
                    hops += 1;
                    url = next;
                }
                Some(_) => {
                    return Err(RegistryError::Transport {
                        url: shown_url(realm),
                        reason: "too many redirects".into(),
                    });
                }
                None => break resp,
            }
        };
        let status = resp.status().as_u16();
        let body = read_small(resp.body_mut(), 1 << 20, &self.opts).map_err(|e| {
            RegistryError::Transport {
                url: shown_url(realm),
                reason: e.to_string(),
            }
        })?;
        if status == 401 || status == 403 {
            return Err(RegistryError::Auth {
                registry: self.domain.clone(),
                reason: if self.cred.is_some() {
                    "incorrect username or password".into()
                } else {
                    "authentication required (no credentials; run strata login)".into()
                },
            });
        }
        if status != 200 {
            return Err(RegistryError::Auth {
                registry: self.domain.clone(),
                reason: format!("token server answered {status}"),
            });
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| RegistryError::Auth {
            registry: self.domain.clone(),
            reason: format!("token server sent bad JSON: {e}"),
        })?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| RegistryError::Auth {
                registry: self.domain.clone(),
                reason: "token server sent no token".into(),
            })
    }

    /// The registry's own origin: the only one its credentials and tokens go to.
    fn registry_origin(&self) -> Result<Option<(String, String, u16)>> {
        Ok(origin(self.base()?))
    }

    /// Sends a request with auth, retrying 5xx/429 and transport failures with backoff, and
    /// following redirects. Credentials are attached per hop, only to the registry's own
    /// scheme, host and port (as Docker's challenge manager scopes them): a redirect to
    /// another port or host gets none. `path` is either absolute (`http…`, from a
    /// `Location`) or under the base URL.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        scope: &str,
        headers: &[(&str, String)],
        body: Payload<'_>,
    ) -> Result<Response<ureq::Body>> {
        let start = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base()?)
        };
        let home = self.registry_origin()?;
        let mut authed = false;
        let mut attempt = 0u32;
        'attempts: loop {
            let mut url = start.clone();
            let mut method = method.clone();
            let mut body = body;
            let mut hops = 0;
            loop {
                let ours = origin(&url) == home;
                if !ours && !transport_allowed(&url, &self.opts.insecure) {
                    return Err(RegistryError::Transport {
                        url: shown_url(&url),
                        reason: "redirected to plain HTTP on a host that is neither loopback nor an insecure registry; refusing to follow".into(),
                    });
                }
                let mut b = http::Request::builder().method(method.clone()).uri(&url);
                for (k, v) in headers {
                    b = b.header(*k, v.as_str());
                }
                if ours {
                    if let Some(a) = self.auth_header(scope) {
                        b = b.header("Authorization", a);
                    }
                }
                let result = match body {
                    Payload::Empty => b
                        .body(())
                        .map_err(|e| RegistryError::BadUrl(e.to_string()))
                        .map(|r| self.agent.run(r)),
                    Payload::Bytes(bytes) => b
                        .header("Content-Length", bytes.len().to_string())
                        .body(bytes)
                        .map_err(|e| RegistryError::BadUrl(e.to_string()))
                        .map(|r| self.agent.run(r)),
                    Payload::File(p) => {
                        let f = std::fs::File::open(p).map_err(|e| RegistryError::Local {
                            path: p.display().to_string(),
                            reason: e.to_string(),
                        })?;
                        b.body(f)
                            .map_err(|e| RegistryError::BadUrl(e.to_string()))
                            .map(|r| self.agent.run(r))
                    }
                    Payload::Handle(file) => {
                        let local = |e: std::io::Error| RegistryError::Local {
                            path: "upload spool".into(),
                            reason: e.to_string(),
                        };
                        let mut f = file.try_clone().map_err(local)?;
                        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0)).map_err(local)?;
                        b.body(f)
                            .map_err(|e| RegistryError::BadUrl(e.to_string()))
                            .map(|r| self.agent.run(r))
                    }
                }?;
                let resp = match result {
                    Ok(resp) => resp,
                    Err(e) => {
                        if attempt < self.opts.retries && is_transient(&e) {
                            self.pause(attempt);
                            attempt += 1;
                            continue 'attempts;
                        }
                        return Err(transport_err(&url, e));
                    }
                };
                let status = resp.status().as_u16();
                if let Some(next) = location_of(&resp, &url) {
                    if hops >= MAX_REDIRECTS {
                        return Err(RegistryError::Transport {
                            url: shown_url(&start),
                            reason: "too many redirects".into(),
                        });
                    }
                    hops += 1;
                    // As Go's client: 303, and 301/302 after anything but GET/HEAD, turn into
                    // a GET without a body.
                    if status == 303
                        || (matches!(status, 301 | 302)
                            && method != Method::GET
                            && method != Method::HEAD)
                    {
                        method = Method::GET;
                        body = Payload::Empty;
                    }
                    url = next;
                    continue;
                }
                // Only the registry's own challenge is answered; a redirect target's 401 is
                // its answer.
                if status == 401 && !authed && ours {
                    authed = true;
                    let h = resp
                        .headers()
                        .get("www-authenticate")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    if h.is_empty() {
                        return Ok(resp);
                    }
                    self.authenticate(&h, scope)?;
                    continue 'attempts;
                }
                if retriable_status(status) && attempt < self.opts.retries {
                    self.pause(attempt);
                    attempt += 1;
                    continue 'attempts;
                }
                return Ok(resp);
            }
        }
    }

    fn pause(&self, attempt: u32) {
        std::thread::sleep(self.opts.backoff * 2u32.saturating_pow(attempt.min(6)));
    }

    fn fail(&self, what: String, mut resp: Response<ureq::Body>) -> RegistryError {
        let status = resp.status().as_u16();
        let body = read_small(resp.body_mut(), 64 << 10, &self.opts).unwrap_or_default();
        let mut detail = error_detail(&body);
        if detail.is_empty() {
            detail = resp
                .status()
                .canonical_reason()
                .unwrap_or("error")
                .to_lowercase();
        }
        RegistryError::Status {
            what,
            status,
            detail,
        }
    }

    /// Checks the registry answers and the credentials work (what `login` does).
    pub fn ping(&self) -> Result<()> {
        let resp = self.send(Method::GET, "/v2/", "", &[], Payload::Empty)?;
        match resp.status().as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(RegistryError::Auth {
                registry: self.domain.clone(),
                reason: if self.cred.is_some() {
                    "incorrect username or password".into()
                } else {
                    "authentication required".into()
                },
            }),
            _ => Err(self.fail(format!("{}/v2/", self.domain), resp)),
        }
    }

    /// Fetches a manifest by tag or digest: its bytes, media type and digest.
    pub fn manifest(&self, repo: &str, reference: &str) -> Result<(Vec<u8>, String, Digest)> {
        let scope = pull_scope(repo);
        let resp = self.send(
            Method::GET,
            &format!("/v2/{repo}/manifests/{reference}"),
            &scope,
            &[("Accept", MANIFEST_ACCEPT.to_string())],
            Payload::Empty,
        )?;
        let what = || format!("{}/{repo}:{reference}", self.domain);
        let status = resp.status().as_u16();
        if status == 404 {
            let e = self.fail(what(), resp);
            let detail = match e {
                RegistryError::Status { detail, .. } => detail,
                _ => String::new(),
            };
            let sep = if reference.starts_with("sha256:") {
                "@"
            } else {
                ":"
            };
            return Err(RegistryError::NotFound(format!(
                "manifest for {}/{repo}{sep}{reference} not found: {detail}",
                self.domain
            )));
        }
        if !(200..300).contains(&status) {
            return Err(self.fail(what(), resp));
        }
        let header_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or("").trim().to_string());
        let mut resp = resp;
        let bytes = read_small(resp.body_mut(), MAX_JSON + 1, &self.opts).map_err(|e| {
            RegistryError::Transport {
                url: format!("manifest {}", what()),
                reason: e.to_string(),
            }
        })?;
        if bytes.len() as u64 > MAX_JSON {
            return Err(RegistryError::Core(
                strata_core::error::Error::LimitExceeded {
                    what: format!("manifest {}", what()),
                    limit: format!("{MAX_JSON} bytes"),
                },
            ));
        }
        let digest = Digest::sha256_of(&bytes);
        if let Ok(want) = Digest::parse(reference) {
            strata_core::digest::verify(&format!("manifest {}", what()), &want, &digest)?;
        }
        // The body's own mediaType wins over the header, which some registries get wrong.
        let body_type = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| {
            v.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        let media_type = body_type
            .or(header_type)
            .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
        Ok((bytes, media_type, digest))
    }

    /// Opens a blob from `offset` on: the body and, when the server says, the blob's size.
    pub fn blob_at(
        &self,
        repo: &str,
        digest: &Digest,
        offset: u64,
    ) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
        let scope = pull_scope(repo);
        let headers: Vec<(&str, String)> = if offset > 0 {
            vec![("Range", format!("bytes={offset}-"))]
        } else {
            Vec::new()
        };
        let resp = self.send(
            Method::GET,
            &format!("/v2/{repo}/blobs/{digest}"),
            &scope,
            &headers,
            Payload::Empty,
        )?;
        let status = resp.status().as_u16();
        let what = format!("{}/{repo}: blob {digest}", self.domain);
        match status {
            200 => {
                let len = resp.body().content_length();
                let mut r = resp.into_body().into_reader();
                if offset > 0 {
                    // The server ignored the range: skip what we already have.
                    let skipped =
                        io::copy(&mut (&mut r).take(offset), &mut io::sink()).map_err(|e| {
                            RegistryError::Transport {
                                url: what.clone(),
                                reason: e.to_string(),
                            }
                        })?;
                    if skipped != offset {
                        return Err(RegistryError::Transport {
                            url: what,
                            reason: "blob shorter than the part already downloaded".into(),
                        });
                    }
                }
                Ok((Box::new(r), len))
            }
            206 => {
                let total = resp
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.rsplit_once('/'))
                    .and_then(|(_, t)| t.parse::<u64>().ok());
                Ok((Box::new(resp.into_body().into_reader()), total))
            }
            404 => Err(RegistryError::NotFound(format!("{what}: blob unknown"))),
            416 => Err(RegistryError::Transport {
                url: what,
                reason: "range not satisfiable".into(),
            }),
            _ => Err(self.fail(what, resp)),
        }
    }

    /// Whether the repository already has a blob.
    pub fn has_blob(&self, repo: &str, digest: &Digest, scope: &str) -> Result<bool> {
        let resp = self.send(
            Method::HEAD,
            &format!("/v2/{repo}/blobs/{digest}"),
            scope,
            &[],
            Payload::Empty,
        )?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.fail(format!("{}/{repo}: blob {digest}", self.domain), resp)),
        }
    }

    /// Uploads a blob in one PUT (POST to open the upload, then PUT with the digest).
    pub fn upload_blob(&self, repo: &str, digest: &Digest, body: Payload<'_>) -> Result<()> {
        let scope = push_scope(repo);
        let what = format!("{}/{repo}: blob {digest}", self.domain);
        let resp = self.send(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/"),
            &scope,
            &[("Content-Length", "0".to_string())],
            Payload::Empty,
        )?;
        if resp.status().as_u16() != 202 {
            return Err(self.fail(format!("{what}: starting upload"), resp));
        }
        let loc = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Protocol(format!("{what}: upload has no Location")))?
            .to_string();
        let loc = if loc.starts_with('/') {
            format!("{}{loc}", self.base()?)
        } else {
            loc
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let put = format!("{loc}{sep}digest={digest}");
        let resp = self.send(
            Method::PUT,
            &put,
            &scope,
            &[("Content-Type", "application/octet-stream".to_string())],
            body,
        )?;
        if resp.status().as_u16() != 201 {
            return Err(self.fail(format!("{what}: upload"), resp));
        }
        Ok(())
    }

    /// Puts a manifest under a tag (or digest).
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<()> {
        let scope = push_scope(repo);
        let resp = self.send(
            Method::PUT,
            &format!("/v2/{repo}/manifests/{reference}"),
            &scope,
            &[("Content-Type", media_type.to_string())],
            Payload::Bytes(bytes),
        )?;
        if resp.status().as_u16() != 201 {
            return Err(self.fail(
                format!("{}/{repo}:{reference}: manifest", self.domain),
                resp,
            ));
        }
        Ok(())
    }
}

fn is_transient(e: &ureq::Error) -> bool {
    !matches!(
        e,
        ureq::Error::BadUri(_)
            | ureq::Error::HostNotFound
            | ureq::Error::RedirectFailed
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::TooManyRedirects
    )
}

/// The token scope for reading a repository.
pub fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

/// The token scope for writing a repository.
pub fn push_scope(repo: &str) -> String {
    format!("repository:{repo}:pull,push")
}

/// A blob body that survives dropped connections and stalls: on an error or an early end it
/// asks again from the byte it got to (`Range`), up to the client's retry budget.
pub struct BlobReader {
    client: Arc<Client>,
    repo: String,
    digest: Digest,
    offset: u64,
    total: Option<u64>,
    inner: Option<Box<dyn Read + Send>>,
    failures: u32,
    progress: Option<Arc<std::sync::atomic::AtomicU64>>,
    floor: SpeedFloor,
}

impl BlobReader {
    /// Starts reading `digest` at `offset`; `total` is the descriptor's size when known.
    pub fn new(
        client: Arc<Client>,
        repo: &str,
        digest: &Digest,
        offset: u64,
        total: Option<u64>,
    ) -> BlobReader {
        BlobReader {
            repo: repo.to_string(),
            digest: digest.clone(),
            offset,
            total,
            inner: None,
            failures: 0,
            progress: None,
            floor: SpeedFloor::new(&client.opts),
            client,
        }
    }

    /// Counts bytes received into `p` (for progress bars).
    pub fn with_progress(mut self, p: Arc<std::sync::atomic::AtomicU64>) -> BlobReader {
        self.progress = Some(p);
        self
    }

    fn retry_or(&mut self, e: io::Error) -> io::Result<()> {
        self.inner = None;
        if self.failures >= self.client.opts.retries {
            // A transport failure, not bad data: the partial download stays resumable.
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                format!("{e} (gave up after {} retries)", self.failures),
            ));
        }
        self.client.pause(self.failures);
        self.failures += 1;
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.inner.is_none() {
                if self.total.is_some_and(|t| self.offset >= t) {
                    return Ok(0);
                }
                match self.client.blob_at(&self.repo, &self.digest, self.offset) {
                    Ok((r, len)) => {
                        if self.total.is_none() {
                            self.total = len;
                        }
                        self.inner = Some(r);
                    }
                    Err(RegistryError::NotFound(m)) => {
                        return Err(io::Error::new(io::ErrorKind::NotFound, m));
                    }
                    Err(e) => {
                        let err = io::Error::other(e.to_string());
                        self.retry_or(err)?;
                        continue;
                    }
                }
            }
            let Some(r) = self.inner.as_mut() else {
                continue;
            };
            // Never read past the promised size: extra bytes are the server's problem.
            let want = match self.total {
                Some(t) => buf
                    .len()
                    .min(usize::try_from(t - self.offset).unwrap_or(usize::MAX)),
                None => buf.len(),
            };
            let t = std::time::Instant::now();
            let got = r.read(&mut buf[..want]);
            if let Ok(n) = &got {
                // Too slow is not retried: a sender that trickles trickles again.
                let (client, repo, digest) = (&self.client, &self.repo, &self.digest);
                let what = || format!("{}/{repo}: blob {digest}", client.domain);
                self.floor.record(what, t.elapsed(), *n)?;
            }
            match got {
                Ok(0) => {
                    if self.total.is_some_and(|t| self.offset < t) {
                        let e = io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "connection closed after {} of {} bytes",
                                self.offset,
                                self.total.unwrap_or(0)
                            ),
                        );
                        self.retry_or(e)?;
                        continue;
                    }
                    return Ok(0);
                }
                Ok(n) => {
                    self.offset += n as u64;
                    if let Some(p) = &self.progress {
                        p.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.retry_or(e)?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_rule() {
        assert!(plain_http_allowed("127.0.0.1:5000", &[]));
        assert!(plain_http_allowed("127.8.9.1", &[]));
        assert!(plain_http_allowed("[::1]:5000", &[]));
        assert!(plain_http_allowed("localhost:5000", &[]));
        assert!(!plain_http_allowed("192.0.2.1:5000", &[]));
        assert!(plain_http_allowed(
            "192.0.2.1:5000",
            &["192.0.2.1:5000".to_string()]
        ));
    }

    #[test]
    fn credentials_are_scoped_to_scheme_host_and_port() {
        assert_eq!(
            origin("http://127.0.0.1:5000/v2/"),
            origin("http://127.0.0.1:5000/x")
        );
        assert_ne!(
            origin("http://127.0.0.1:5000/v2/"),
            origin("http://127.0.0.1:5001/v2/")
        );
        assert_ne!(origin("http://h/v2/"), origin("https://h/v2/"));
        assert_eq!(origin("https://H/v2/"), origin("https://h:443/v2/"));
        assert_eq!(origin("http://h/"), origin("http://h:80/"));
    }

    #[test]
    fn realms_and_redirects_follow_the_plain_http_rule() {
        assert!(transport_allowed("https://auth.example.com/token", &[]));
        assert!(transport_allowed("http://127.0.0.1:9/token", &[]));
        assert!(transport_allowed("http://[::1]/token", &[]));
        assert!(!transport_allowed("http://192.0.2.10/token", &[]));
        assert!(transport_allowed(
            "http://192.0.2.10/token",
            &["192.0.2.10".to_string()]
        ));
        assert!(transport_allowed(
            "http://192.0.2.10:8080/x",
            &["192.0.2.10:8080".to_string()]
        ));
        assert!(!transport_allowed("ftp://127.0.0.1/x", &[]));
    }

    #[test]
    fn redirect_locations_resolve_against_the_request() {
        let from = "http://127.0.0.1:5000/v2/a/blobs/sha256:00";
        assert_eq!(
            redirect_target(from, "/x?y=1").as_deref(),
            Some("http://127.0.0.1:5000/x?y=1")
        );
        assert_eq!(
            redirect_target(from, "//cdn.example/b").as_deref(),
            Some("http://cdn.example/b")
        );
        assert_eq!(
            redirect_target(from, "c").as_deref(),
            Some("http://127.0.0.1:5000/v2/a/blobs/c")
        );
        assert_eq!(
            redirect_target(from, "https://s3.example/k").as_deref(),
            Some("https://s3.example/k")
        );
    }

    #[test]
    fn shown_urls_drop_user_info_and_query() {
        assert_eq!(
            shown_url("https://u:p@s3.example:8443/k?X-Amz-Signature=abc"),
            "https://s3.example:8443/k"
        );
    }

    #[test]
    fn a_trickle_is_cut_after_one_window() {
        let opts = Options {
            low_speed_limit: 100,
            low_speed_time: Duration::from_secs(2),
            ..Options::default()
        };
        let mut f = SpeedFloor::new(&opts);
        // Fast enough: windows reset.
        for _ in 0..10 {
            f.record(|| "b".into(), Duration::from_millis(500), 100)
                .unwrap();
        }
        // One byte a second: refused once a window of waiting has passed.
        let mut f = SpeedFloor::new(&opts);
        f.record(|| "b".into(), Duration::from_secs(1), 1).unwrap();
        let e = f
            .record(|| "blob sha256:ab".into(), Duration::from_secs(1), 1)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("blob sha256:ab: transfer too slow"),
            "{e}"
        );
        // Time spent by the consumer between reads is not counted.
        let mut f = SpeedFloor::new(&opts);
        f.record(|| "b".into(), Duration::from_millis(1), 10)
            .unwrap();
    }

    #[test]
    fn registry_errors_read_as_docker_prints_them() {
        let b = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        assert_eq!(error_detail(b), "manifest unknown: manifest unknown");
        assert_eq!(error_detail(b"<html>oops</html>"), "<html>oops</html>");
    }
}
