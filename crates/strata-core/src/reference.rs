//! Image references (`name[:tag][@digest]`), parsed and normalised as distribution/reference
//! v0.6.0 (the version docker CLI 28 and dockerd 28 vendor) does, with its exact error texts,
//! and printed in Docker's familiar form.
//!
//! The grammar is the library's own regular expressions, compiled with RE2 semantics.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::digest::Digest;
use crate::error::{Error, Result};

/// Docker Hub's canonical domain.
pub const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
/// The longest repository path distribution/reference v0.6.0 accepts (the domain is not counted).
pub const NAME_TOTAL_MAX: usize = 255;

/// `ErrReferenceInvalidFormat`.
pub const ERR_INVALID_FORMAT: &str = "invalid reference format";
const ERR_TAG_INVALID: &str = "invalid tag format";
const ERR_DIGEST_INVALID: &str = "invalid digest format";
const ERR_NAME_UPPERCASE: &str = "repository name must be lowercase";
const ERR_NAME_EMPTY: &str = "repository name must have at least one component";
const ERR_NAME_NOT_CANONICAL: &str = "repository name must be canonical";
const ERR_DIGEST_FORMAT: &str = "invalid checksum digest format";
const ERR_DIGEST_LENGTH: &str = "invalid checksum digest length";
const ERR_DIGEST_UNSUPPORTED: &str = "unsupported digest algorithm";

// regexp.go, composed as the library composes it; Go's `\w` is ASCII, spelled out here.
const DOMAIN_COMPONENT: &str = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const PATH_COMPONENT: &str = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const TAG: &str = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
const DIGEST: &str = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";

struct Grammar {
    reference: Regex,
    anchored_name: Regex,
    anchored_tag: Regex,
    anchored_digest: Regex,
    anchored_identifier: Regex,
    anchored_domain: Regex,
    go_digest: Regex,
}

fn domain_and_port() -> String {
    let domain_name = format!(r"{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*");
    let host = format!(r"(?:{domain_name}|\[(?:[a-fA-F0-9:]+)\])");
    format!(r"{host}(?::[0-9]+)?")
}

#[allow(clippy::expect_used)] // constant patterns, exercised by every test
static GRAMMAR: LazyLock<Grammar> = LazyLock::new(|| {
    let dp = domain_and_port();
    let remote = format!("{PATH_COMPONENT}(?:/{PATH_COMPONENT})*");
    let name = format!("(?:{dp}/)?{remote}");
    let re = |p: &str| Regex::new(p).expect("reference grammar");
    Grammar {
        reference: re(&format!("^({name})(?::({TAG}))?(?:@({DIGEST}))?$")),
        anchored_name: re(&format!("^(?:({dp})/)?({remote})$")),
        anchored_tag: re(&format!("^{TAG}$")),
        anchored_digest: re(&format!("^{DIGEST}$")),
        anchored_identifier: re("^([a-f0-9]{64})$"),
        anchored_domain: re(&format!("^{dp}$")),
        go_digest: re(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"),
    }
});

fn err(text: impl Into<String>) -> Error {
    Error::InvalidReference(text.into())
}

/// go-digest v1.0.0's `Digest.Validate` with sha256, sha384 and sha512 available, as in Docker.
pub fn validate_digest(s: &str) -> std::result::Result<(), &'static str> {
    let Some(i) = s.find(':').filter(|&i| i > 0 && i + 1 < s.len()) else {
        return Err(ERR_DIGEST_FORMAT);
    };
    let (alg, encoded) = (&s[..i], &s[i + 1..]);
    let size = match alg {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => {
            return Err(if GRAMMAR.go_digest.is_match(s) {
                ERR_DIGEST_UNSUPPORTED
            } else {
                ERR_DIGEST_FORMAT
            });
        }
    };
    if encoded.len() != size * 2 {
        return Err(ERR_DIGEST_LENGTH);
    }
    if encoded
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(ERR_DIGEST_FORMAT)
    }
}

/// Whether `s` is a registry host as the grammar defines one (`host[:port]`, `[v6]:port`).
pub fn is_domain(s: &str) -> bool {
    GRAMMAR.anchored_domain.is_match(s)
}

/// Whether `s` is 64 lowercase hex digits, an image ID without its algorithm.
pub fn is_identifier(s: &str) -> bool {
    GRAMMAR.anchored_identifier.is_match(s)
}

/// A named reference: `domain/path[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// What `ParseAnyReference` returns: a name, or a bare digest (an image ID).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// A named reference.
    Named(Reference),
    /// A digest-only reference (`sha256:…`).
    Digest(String),
}

impl AnyReference {
    /// `String()`.
    pub fn to_go_string(&self) -> String {
        match self {
            AnyReference::Named(r) => r.to_string(),
            AnyReference::Digest(d) => d.clone(),
        }
    }

    /// `FamiliarString`.
    pub fn familiar(&self) -> String {
        match self {
            AnyReference::Named(r) => r.familiar(),
            AnyReference::Digest(d) => d.clone(),
        }
    }
}

/// `reference.Parse`: the grammar only, no normalisation (the domain may be empty).
pub fn parse(s: &str) -> Result<Reference> {
    let g = &*GRAMMAR;
    let Some(m) = g.reference.captures(s) else {
        if s.is_empty() {
            return Err(err(ERR_NAME_EMPTY));
        }
        if g.reference.is_match(&s.to_lowercase()) {
            return Err(err(ERR_NAME_UPPERCASE));
        }
        return Err(err(ERR_INVALID_FORMAT));
    };
    let name = m.get(1).map_or("", |x| x.as_str());
    let (domain, path) = match g.anchored_name.captures(name) {
        Some(n) => (
            n.get(1).map_or("", |x| x.as_str()),
            n.get(2).map_or("", |x| x.as_str()),
        ),
        None => ("", name),
    };
    if path.len() > NAME_TOTAL_MAX {
        return Err(err(format!(
            "repository name must not be more than {NAME_TOTAL_MAX} characters"
        )));
    }
    let tag = m.get(2).map(|x| x.as_str()).filter(|t| !t.is_empty());
    let digest = m.get(3).map(|x| x.as_str()).filter(|d| !d.is_empty());
    if let Some(d) = digest {
        validate_digest(d).map_err(err)?;
    }
    if path.is_empty() {
        return Err(err(ERR_NAME_EMPTY));
    }
    Ok(Reference {
        domain: domain.to_string(),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// `splitDockerDomain`: the first component is a host when it has `.` or `:`, is `localhost`,
/// or has uppercase letters; otherwise the name is on Docker Hub (`library/` for one component).
fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i)
            if name[..i].contains(['.', ':'])
                || &name[..i] == "localhost"
                || name[..i].to_lowercase() != name[..i] =>
        {
            (name[..i].to_string(), name[i + 1..].to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_PREFIX}{remainder}");
    }
    (domain, remainder)
}

/// `ParseNormalizedNamed`: what `docker pull` and `docker push` accept.
pub fn parse_normalized_named(s: &str) -> Result<Reference> {
    if is_identifier(s) {
        return Err(err(format!(
            "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
        )));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = match remainder.find(':') {
        Some(i) => &remainder[..i],
        None => remainder.as_str(),
    };
    if remote.to_lowercase() != remote {
        return Err(err(format!(
            "{ERR_INVALID_FORMAT}: repository name ({remote}) must be lowercase"
        )));
    }
    parse(&format!("{domain}/{remainder}"))
}

/// `ParseNamed`: a reference that must already be in canonical (fully qualified) form.
pub fn parse_named(s: &str) -> Result<Reference> {
    let named = parse_normalized_named(s)?;
    if named.to_string() != s {
        return Err(err(ERR_NAME_NOT_CANONICAL));
    }
    Ok(named)
}

/// `ParseAnyReference`: an image ID (64 hex digits or a digest) or a normalised name.
pub fn parse_any(s: &str) -> Result<AnyReference> {
    if is_identifier(s) {
        return Ok(AnyReference::Digest(format!("sha256:{s}")));
    }
    if validate_digest(s).is_ok() {
        return Ok(AnyReference::Digest(s.to_string()));
    }
    parse_normalized_named(s).map(AnyReference::Named)
}

/// `ParseAnyReference` as the daemon Docker runs here (20.10, docker/distribution v2.7)
/// parses the names `history`, `image inspect`, `tag` and `rmi` send it: v0.6.0's grammar with
/// the older rules: an uppercase first component is not a host, the lowercase error does not
/// name the repository, and the 255-character limit counts the whole name.
pub fn parse_any_daemon(s: &str) -> Result<AnyReference> {
    if is_identifier(s) {
        return Ok(AnyReference::Digest(format!("sha256:{s}")));
    }
    if validate_digest(s).is_ok() {
        return Ok(AnyReference::Digest(s.to_string()));
    }
    let (domain, remainder) = match s.find('/') {
        Some(i) if s[..i].contains(['.', ':']) || &s[..i] == "localhost" => {
            let d = if &s[..i] == LEGACY_DEFAULT_DOMAIN {
                DEFAULT_DOMAIN
            } else {
                &s[..i]
            };
            (d.to_string(), s[i + 1..].to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), s.to_string()),
    };
    let remainder = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        format!("{OFFICIAL_PREFIX}{remainder}")
    } else {
        remainder
    };
    let remote = remainder.split(':').next().unwrap_or("");
    if remote.to_lowercase() != remote {
        return Err(err(format!("{ERR_INVALID_FORMAT}: {ERR_NAME_UPPERCASE}")));
    }
    let full = format!("{domain}/{remainder}");
    if let Some(m) = GRAMMAR.reference.captures(&full) {
        if m.get(1).map_or(0, |x| x.as_str().len()) > NAME_TOTAL_MAX {
            return Err(err(format!(
                "repository name must not be more than {NAME_TOTAL_MAX} characters"
            )));
        }
    }
    parse(&full).map(AnyReference::Named)
}

/// `ParseDockerRef`: a normalised name with `latest` added, or only the digest when both are given.
pub fn parse_docker_ref(s: &str) -> Result<Reference> {
    let mut named = parse_normalized_named(s)?;
    if named.digest.is_some() {
        named.tag = None;
        return Ok(named);
    }
    Ok(named.with_default_tag())
}

/// `WithName`: a repository name, not normalised.
pub fn with_name(name: &str) -> Result<Reference> {
    let Some(m) = GRAMMAR.anchored_name.captures(name) else {
        return Err(err(ERR_INVALID_FORMAT));
    };
    let path = m.get(2).map_or("", |x| x.as_str());
    if path.len() > NAME_TOTAL_MAX {
        return Err(err(format!(
            "repository name must not be more than {NAME_TOTAL_MAX} characters"
        )));
    }
    Ok(Reference {
        domain: m.get(1).map_or("", |x| x.as_str()).to_string(),
        path: path.to_string(),
        tag: None,
        digest: None,
    })
}

impl Reference {
    /// Parses a user-typed reference as `docker pull` does ([`parse_normalized_named`]): no
    /// domain means `docker.io`, a single Hub component gets `library/`. No tag is added.
    pub fn parse(s: &str) -> Result<Reference> {
        parse_normalized_named(s)
    }

    /// Adds the tag `latest` when the reference has neither tag nor digest (Docker's `TagNameOnly`).
    pub fn with_default_tag(mut self) -> Reference {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some("latest".to_string());
        }
        self
    }

    /// A copy with this tag and no digest.
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    /// A copy with this digest and no tag (a RepoDigest).
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// `WithTag`: sets the tag, keeping any digest; the tag must match the grammar.
    pub fn tagged(&self, tag: &str) -> Result<Reference> {
        if !GRAMMAR.anchored_tag.is_match(tag) {
            return Err(err(ERR_TAG_INVALID));
        }
        Ok(Reference {
            tag: Some(tag.to_string()),
            ..self.clone()
        })
    }

    /// `WithDigest`: sets the digest, keeping any tag; only the grammar is checked, as in Go.
    pub fn digested(&self, digest: &str) -> Result<Reference> {
        if !GRAMMAR.anchored_digest.is_match(digest) {
            return Err(err(ERR_DIGEST_INVALID));
        }
        Ok(Reference {
            digest: Some(digest.to_string()),
            ..self.clone()
        })
    }

    /// The registry host (`docker.io`, `127.0.0.1:5000`); empty for an unnormalised name.
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The repository path (`library/nginx`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
    /// The digest, if any (and if it is one strata can compute).
    pub fn digest(&self) -> Option<Digest> {
        self.digest.as_deref().and_then(|d| Digest::parse(d).ok())
    }
    /// The digest as written, if any.
    pub fn digest_str(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// `domain/path`, the fully qualified repository name.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The repository as Docker shows it: `nginx`, `user/app`, `quay.io/x/y`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            match self.path.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        }
    }

    /// The whole reference as Docker shows it (`nginx:latest`, `x@sha256:…`).
    pub fn familiar(&self) -> String {
        let mut s = self.familiar_name();
        self.push_suffix(&mut s);
        s
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
    }
}

/// Fully qualified form: `docker.io/library/nginx:latest`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.name();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

/// `reference.Sort`: tag+digest, tag, digest, name only, then bare digests; ties by string;
/// strings that do not parse go last, sorted.
pub fn sort(refs: &[&str]) -> Vec<String> {
    let rank = |r: &AnyReference| match r {
        AnyReference::Named(n) => match (n.tag.is_some(), n.digest.is_some()) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (false, false) => 3,
        },
        AnyReference::Digest(_) => 4,
    };
    let mut parsed: Vec<(u8, String)> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    for s in refs {
        match parse_any(s) {
            Ok(r) => parsed.push((rank(&r), r.to_go_string())),
            Err(_) => bad.push(s.to_string()),
        }
    }
    parsed.sort();
    bad.sort();
    parsed.into_iter().map(|(_, s)| s).chain(bad).collect()
}

/// `FamiliarMatch`: the pattern against the familiar string, or else the familiar name. As in
/// Go, a malformed pattern's error is reported beside whatever the second try found.
pub fn familiar_match(pattern: &str, r: &AnyReference) -> (bool, Option<crate::glob::BadPattern>) {
    let (mut matched, error) = match crate::glob::path_match(pattern, &r.familiar()) {
        Ok(m) => (m, None),
        Err(e) => (false, Some(e)),
    };
    if let (false, AnyReference::Named(n)) = (matched, r) {
        matched = crate::glob::path_match(pattern, &n.familiar_name()).unwrap_or(false);
    }
    (matched, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        // (input, fully qualified, familiar) — Docker's documented normalisation (spec, seed 002).
        let table = [
            ("nginx", "docker.io/library/nginx", "nginx"),
            (
                "nginx:latest",
                "docker.io/library/nginx:latest",
                "nginx:latest",
            ),
            ("library/nginx:1", "docker.io/library/nginx:1", "nginx:1"),
            ("user/app:1", "docker.io/user/app:1", "user/app:1"),
            ("index.docker.io/user/app", "docker.io/user/app", "user/app"),
            (
                "docker.io/library/a/b",
                "docker.io/library/a/b",
                "library/a/b",
            ),
            ("localhost/app", "localhost/app", "localhost/app"),
            (
                "localhost:5000/a/b:t",
                "localhost:5000/a/b:t",
                "localhost:5000/a/b:t",
            ),
            (
                "127.0.0.1:5055/example/app:1",
                "127.0.0.1:5055/example/app:1",
                "127.0.0.1:5055/example/app:1",
            ),
            (
                "quay.io/x/y:Tag_1.0",
                "quay.io/x/y:Tag_1.0",
                "quay.io/x/y:Tag_1.0",
            ),
            (
                "Registry.Example.com/x",
                "Registry.Example.com/x",
                "Registry.Example.com/x",
            ),
            (
                "a__b/c-d--e.f_g",
                "docker.io/a__b/c-d--e.f_g",
                "a__b/c-d--e.f_g",
            ),
            ("[::1]:5000/x:1", "[::1]:5000/x:1", "[::1]:5000/x:1"),
        ];
        for (input, full, familiar) in table {
            let r = Reference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.to_string(), full, "{input}");
            assert_eq!(r.familiar(), familiar, "{input}");
        }
    }

    #[test]
    fn digest_references() {
        let d = "sha256:d88bdc520aa57136a9f0f0994d9904e9064ddaed8465933d15cb8ce0f3b1c557";
        let r = Reference::parse(&format!("busybox@{d}")).expect("parse");
        assert_eq!(r.to_string(), format!("docker.io/library/busybox@{d}"));
        assert_eq!(r.digest().map(|x| x.to_string()), Some(d.to_string()));
        assert_eq!(r.clone().with_default_tag().tag(), None);
        let r = Reference::parse(&format!("busybox:1@{d}")).expect("parse");
        assert_eq!(r.tag(), Some("1"));
    }

    #[test]
    fn uppercase_errors_match_docker() {
        let e = Reference::parse("Busybox").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("invalid reference format: repository name (library/Busybox) must be lowercase")
        );
        let e = Reference::parse("127.0.0.1:5055/SpecCheck/x")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("invalid reference format: repository name (SpecCheck/x) must be lowercase")
        );
        assert!(
            Reference::parse("Busybox/x").is_ok(),
            "uppercase first component is a host"
        );
    }

    #[test]
    fn invalid_references() {
        for bad in [
            "",
            "a:b:c",
            "-a",
            "a-",
            "a//b",
            "a:",
            "a@sha256:abc",
            "a b",
            "a/b:-tag",
            &"a".repeat(300),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn default_tag() {
        let r = Reference::parse("nginx").expect("parse").with_default_tag();
        assert_eq!(r.to_string(), "docker.io/library/nginx:latest");
        assert_eq!(r.familiar(), "nginx:latest");
    }
}
