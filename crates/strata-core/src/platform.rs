//! Platform specifiers, normalisation and matching as containerd/platforms v1.0.0-rc.1 (the
//! version docker CLI 28 and dockerd 28 vendor) defines them.
//!
//! A parsed specifier keeps what the user typed (lower-cased, `linux/arm64/v8` stays so) and is
//! normalised only for matching, as containerd does.

use std::cmp::Ordering;

use std::fmt;

use serde::Deserialize;

use crate::error::Error;

/// An OS/architecture pair with optional variant (OCI `platform`); parsing, normalising and
/// matching follow containerd (see this module).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Platform {
    /// Operating system (`linux`).
    #[serde(default)]
    pub os: String,
    /// CPU architecture (`amd64`).
    #[serde(default)]
    pub architecture: String,
    /// Architecture variant (`v8`).
    #[serde(default)]
    pub variant: Option<String>,
    /// OS version (Windows).
    #[serde(rename = "os.version", default)]
    pub os_version: Option<String>,
    /// Required OS features (Windows).
    #[serde(rename = "os.features", default)]
    pub os_features: Option<Vec<String>>,
}

impl Platform {
    /// Parses a `--platform` specifier as containerd does (`linux/arm64`, `arm64`,
    /// `windows(10.0.17763)`), keeping it as typed; normalisation happens when matching.
    pub fn parse(s: &str) -> crate::error::Result<Platform> {
        parse(s).map_err(|e| Error::InvalidInput(format!("invalid platform: {e}")))
    }

    /// The platform this program runs on (containerd's `DefaultSpec`).
    pub fn host() -> Platform {
        default_spec()
    }

    /// containerd's normalisation: `aarch64` → `arm64`, `x86_64` → `amd64`, `armhf` → `arm/v7`.
    pub fn normalized(&self) -> Platform {
        normalize(self)
    }

    /// Whether an image for `other` runs where `self` is wanted (containerd's `Only`).
    pub fn matches(&self, other: &Platform) -> bool {
        Matcher::only(self).matches(other)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_all(self))
    }
}

/// Why a specifier does not parse; `Display` is containerd's exact text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

const OS_AND_VERSION_RE: &str = r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$";
const SPECIFIER_RE: &str = r"^[A-Za-z0-9_.-]+$";

/// GOOS values Go knows (`isKnownOS`).
const KNOWN_OS: [&str; 17] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

/// GOARCH values Go knows (`isKnownArch`).
const KNOWN_ARCH: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "ppc64",
    "ppc64le",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// Go's `runtime.GOOS` for this build.
pub fn host_os() -> &'static str {
    std::env::consts::OS
}

/// Go's `runtime.GOARCH` for this build.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// containerd's `DefaultSpec()`: the host's OS and architecture; the CPU variant is only
/// probed on arm, where the build's target features stand in for /proc/cpuinfo.
pub fn default_spec() -> Platform {
    let variant = match host_arch() {
        "arm64" => "v8",
        "arm" => "v7",
        _ => "",
    };
    platform(host_os(), host_arch(), variant, "")
}

fn platform(os: &str, arch: &str, variant: &str, os_version: &str) -> Platform {
    Platform {
        os: os.to_string(),
        architecture: arch.to_string(),
        variant: (!variant.is_empty()).then(|| variant.to_string()),
        os_version: (!os_version.is_empty()).then(|| os_version.to_string()),
        os_features: None,
    }
}

fn variant(p: &Platform) -> &str {
    p.variant.as_deref().unwrap_or("")
}

fn os_version(p: &Platform) -> &str {
    p.os_version.as_deref().unwrap_or("")
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_specifier_char(c: char) -> bool {
    is_name_char(c) || c == '.'
}

/// `osAndVersionRe`: `name` or `name(version)`.
fn split_os_and_version(part: &str) -> Option<(&str, &str)> {
    let (name, version) = match part.find('(') {
        Some(i) => {
            let version = part[i + 1..].strip_suffix(')')?;
            if !version.chars().all(is_specifier_char) {
                return None;
            }
            (&part[..i], version)
        }
        None => (part, ""),
    };
    (!name.is_empty() && name.chars().all(is_name_char)).then_some((name, version))
}

fn normalize_os(os: &str) -> String {
    if os.is_empty() {
        return host_os().to_string();
    }
    let os = os.to_lowercase();
    if os == "macos" {
        "darwin".to_string()
    } else {
        os
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_lowercase();
    let variant = variant.to_lowercase();
    match arch.as_str() {
        "i386" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let v = if variant == "v1" {
                String::new()
            } else {
                variant
            };
            ("amd64".into(), v)
        }
        "aarch64" | "arm64" => {
            let v = match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".into(),
                _ => variant,
            };
            ("arm64".into(), v)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

/// containerd's `Parse`: `os[(version)][/arch[/variant]]`, or a lone OS or architecture
/// completed from the host.
pub fn parse(spec: &str) -> Result<Platform, ParseError> {
    let invalid = |what: String| ParseError(format!("{what}: invalid argument"));
    if spec.contains('*') {
        return Err(invalid(format!(
            "{}: wildcards not yet supported",
            crate::gojson::quote(spec)
        )));
    }
    let parts: Vec<&str> = spec.splitn(4, '/').collect();
    let mut os = String::new();
    let mut version = "";
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some((name, v)) = split_os_and_version(part) else {
                return Err(invalid(format!(
                    "{} is an invalid OS component of {}: OSAndVersion specifier component must match {}",
                    crate::gojson::quote(part),
                    crate::gojson::quote(spec),
                    crate::gojson::quote(OS_AND_VERSION_RE)
                )));
            };
            os = normalize_os(name);
            version = v;
        } else if part.is_empty() || !part.chars().all(is_specifier_char) {
            return Err(invalid(format!(
                "{} is an invalid component of {}: platform specifier component must match {}",
                crate::gojson::quote(part),
                crate::gojson::quote(spec),
                crate::gojson::quote(SPECIFIER_RE)
            )));
        }
    }
    match parts.len() {
        1 => {
            if KNOWN_OS.contains(&os.as_str()) {
                let arch = host_arch();
                let host_variant = variant(&default_spec()).to_string();
                let v = if arch == "arm" && host_variant == "v7" {
                    ""
                } else {
                    host_variant.as_str()
                };
                return Ok(platform(&os, arch, v, version));
            }
            let (arch, mut v) = normalize_arch(parts[0], "");
            if arch == "arm" && v == "v7" {
                v.clear();
            }
            if KNOWN_ARCH.contains(&arch.as_str()) {
                return Ok(platform(host_os(), &arch, &v, version));
            }
            Err(invalid(format!(
                "{}: unknown operating system or architecture",
                crate::gojson::quote(spec)
            )))
        }
        2 => {
            let (arch, mut v) = normalize_arch(parts[1], "");
            if arch == "arm" && v == "v7" {
                v.clear();
            }
            Ok(platform(&os, &arch, &v, version))
        }
        3 => {
            let (arch, mut v) = normalize_arch(parts[1], parts[2]);
            if arch == "arm64" && v.is_empty() {
                v = "v8".into();
            }
            Ok(platform(&os, &arch, &v, version))
        }
        _ => Err(invalid(format!(
            "{}: cannot parse platform specifier",
            crate::gojson::quote(spec)
        ))),
    }
}

/// containerd's `Normalize`: OS, architecture and variant in canonical form.
pub fn normalize(p: &Platform) -> Platform {
    let (arch, v) = normalize_arch(&p.architecture, variant(p));
    Platform {
        os: normalize_os(&p.os),
        architecture: arch,
        variant: (!v.is_empty()).then_some(v),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
    }
}

/// Go's `path.Join` over the non-empty elements (a cleaned, slash-separated path).
fn join(elems: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut up = 0usize;
    for e in elems.iter().filter(|e| !e.is_empty()) {
        for c in e.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    if out.pop().is_none() {
                        up += 1;
                    }
                }
                c => out.push(c),
            }
        }
    }
    let mut parts: Vec<&str> = std::iter::repeat_n("..", up).collect();
    parts.extend(out);
    if parts.is_empty() {
        if elems.iter().all(|e| e.is_empty()) {
            String::new()
        } else {
            ".".to_string()
        }
    } else {
        parts.join("/")
    }
}

/// containerd's `Format`: `os/arch[/variant]`, `unknown` without an OS.
pub fn format(p: &Platform) -> String {
    if p.os.is_empty() {
        return "unknown".into();
    }
    join(&[&p.os, &p.architecture, variant(p)])
}

/// containerd's `FormatAll`: [`format()`] with the OS version in parentheses.
pub fn format_all(p: &Platform) -> String {
    if p.os.is_empty() {
        return "unknown".into();
    }
    if os_version(p).is_empty() {
        return format(p);
    }
    let os = format!("{}({})", p.os, os_version(p));
    join(&[&os, &p.architecture, variant(p)])
}

/// A Windows `major.minor.build` (zero when absent or unparseable).
fn windows_version(s: &str) -> (u8, u8, u16) {
    let parts: Vec<&str> = s.splitn(4, '.').collect();
    if parts.len() < 3 {
        return (0, 0, 0);
    }
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !(digits(parts[0]) && digits(parts[1]) && digits(parts[2])) {
        return (0, 0, 0);
    }
    match (parts[0].parse(), parts[1].parse(), parts[2].parse()) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        _ => (0, 0, 0),
    }
}

/// Windows Server 2022 (`V21H2Server`): from this build on, hosts run older LTSC builds.
const WS2022: u16 = 20348;

/// `checkWindowsHostAndContainerCompat`.
pub fn windows_compatible(host: (u8, u8, u16), ctr: (u8, u8, u16)) -> bool {
    if host.0 != ctr.0 || host.1 != ctr.1 {
        return false;
    }
    if host.2 < WS2022 {
        return host.2 == ctr.2;
    }
    (WS2022..=host.2).contains(&ctr.2)
}

/// One platform's matcher (`NewMatcher`).
#[derive(Debug, Clone)]
struct One {
    want: Platform,
    windows_version: Option<(u8, u8, u16)>,
}

impl One {
    fn new(p: &Platform) -> One {
        One {
            want: normalize(p),
            windows_version: (p.os == "windows").then(|| windows_version(os_version(p))),
        }
    }

    fn matches(&self, q: &Platform) -> bool {
        let n = normalize(q);
        if self.want.os != n.os
            || self.want.architecture != n.architecture
            || variant(&self.want) != variant(&n)
        {
            return false;
        }
        match self.windows_version {
            None | Some((0, 0, 0)) => true,
            Some(host) => {
                os_version(q).is_empty() || windows_compatible(host, windows_version(os_version(q)))
            }
        }
    }
}

/// containerd's `MatchComparer`: `Only`, `OnlyStrict` or `Ordered`.
#[derive(Debug, Clone)]
pub struct Matcher {
    ordered: Vec<One>,
}

fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn numbered_variant(v: &str) -> Option<i64> {
    go_atoi(v.strip_prefix('v').unwrap_or(v))
}

/// `arm64variantToVersion`: the arm64 variants containerd knows, as (major, highest minor) steps.
fn arm64_steps(v: &str) -> Option<Vec<(u32, u32)>> {
    if v == "v8" {
        return Some(vec![(8, 0)]);
    }
    if v == "v9" {
        return Some(vec![(9, 0), (8, 5)]);
    }
    if let Some(m) = v.strip_prefix("v8.") {
        let m = m
            .parse::<u32>()
            .ok()
            .filter(|m| *m <= 9 && m.to_string() == v[3..])?;
        return Some(vec![(8, m)]);
    }
    if let Some(m) = v.strip_prefix("v9.") {
        let m = m
            .parse::<u32>()
            .ok()
            .filter(|m| *m <= 7 && m.to_string() == v[3..])?;
        return Some(vec![(9, m), (8, (m + 5).min(9))]);
    }
    None
}

/// `platformVector`: the platforms an image for `p` may fall back to, best first.
fn platform_vector(p: &Platform) -> Vec<Platform> {
    let like = |arch: &str, v: &str| Platform {
        architecture: arch.to_string(),
        variant: (!v.is_empty()).then(|| v.to_string()),
        ..p.clone()
    };
    let mut vec = vec![p.clone()];
    match p.architecture.as_str() {
        "amd64" => {
            if let Some(n) = numbered_variant(variant(p)).filter(|n| *n > 1) {
                vec.extend((1..n).rev().map(|k| like("amd64", &format!("v{k}"))));
            }
            vec.push(like("386", ""));
        }
        "arm" => {
            if let Some(n) = numbered_variant(variant(p)).filter(|n| *n > 5) {
                vec.extend((5..n).rev().map(|k| like("arm", &format!("v{k}"))));
            }
        }
        "arm64" => {
            vec.clear();
            let v = if variant(p).is_empty() {
                "v8"
            } else {
                variant(p)
            };
            if let Some(steps) = arm64_steps(v) {
                for (major, top) in steps {
                    for minor in (0..=top).rev() {
                        let name = if minor == 0 {
                            format!("v{major}")
                        } else {
                            format!("v{major}.{minor}")
                        };
                        vec.push(like("arm64", &name));
                    }
                }
                vec.extend(platform_vector(&like("arm", "v8")));
            }
        }
        _ => {}
    }
    vec
}

impl Matcher {
    /// `Only(p)`: `p` and what runs on it (amd64 levels below, 386, older arm variants).
    pub fn only(p: &Platform) -> Matcher {
        Matcher::ordered(&platform_vector(&normalize(p)))
    }

    /// `OnlyStrict(p)`: equality after normalisation.
    pub fn only_strict(p: &Platform) -> Matcher {
        Matcher::ordered(&[normalize(p)])
    }

    /// `Ordered(ps...)`: any of `ps`, earlier ones preferred.
    pub fn ordered(ps: &[Platform]) -> Matcher {
        Matcher {
            ordered: ps.iter().map(One::new).collect(),
        }
    }

    /// Whether an image for `q` suits this matcher.
    pub fn matches(&self, q: &Platform) -> bool {
        self.ordered.iter().any(|m| m.matches(q))
    }

    /// `Less`: whether `a` is preferred to `b`.
    pub fn less(&self, a: &Platform, b: &Platform) -> bool {
        for m in &self.ordered {
            let (am, bm) = (m.matches(a), m.matches(b));
            if am || bm {
                return am && !bm;
            }
        }
        false
    }

    /// A sort order from [`Matcher::less`] (for a stable sort, best first).
    pub fn order(&self, a: &Platform, b: &Platform) -> Ordering {
        if self.less(a, b) {
            Ordering::Less
        } else if self.less(b, a) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }
}

/// The fourth field of a Windows version (`winRevision`), 0 when absent.
fn windows_revision(v: &str) -> u64 {
    v.split('.')
        .nth(3)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Windows' `windowsMatchComparer.Less`: among matching images the higher revision first.
pub fn windows_less(want: &Platform, a: &Platform, b: &Platform) -> bool {
    let m = One::new(want);
    let (am, bm) = (m.matches(a), m.matches(b));
    if am && bm {
        return windows_revision(os_version(a)) > windows_revision(os_version(b));
    }
    am && !bm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_cleans_like_go_path_join() {
        assert_eq!(join(&["linux", "..", ""]), ".");
        assert_eq!(join(&["linux", "", "v7"]), "linux/v7");
        assert_eq!(join(&["linux", ".", "v7"]), "linux/v7");
        assert_eq!(join(&["a", "..", ".."]), "..");
    }
}
