//! Image references (`name[:tag][@digest]`), parsed and normalised as Docker's
//! `reference.ParseNormalizedNamed` does, and printed in Docker's familiar form.

use std::fmt;

use crate::digest::Digest;
use crate::error::{Error, Result};

/// Docker Hub's canonical domain.
pub const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const NAME_TOTAL_MAX: usize = 255;

/// A fully normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a user-typed reference (`nginx`, `quay.io/a/b:1`, `x@sha256:…`) with Docker's rules:
    /// no domain means `docker.io`, a single Hub component gets `library/`, and the repository
    /// must be lowercase. No default tag is added (see [`Reference::with_default_tag`]).
    pub fn parse(s: &str) -> Result<Reference> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::InvalidReference(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote_name = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => remainder.as_str(),
        };
        if remote_name.to_lowercase() != remote_name {
            return Err(Error::InvalidReference(format!(
                "repository name ({remote_name}) must be lowercase"
            )));
        }
        let invalid = || Error::InvalidReference(format!("{s:?} is not a valid reference"));
        let (rest, digest) = match remainder.split_once('@') {
            Some((r, d)) => {
                if !valid_digest_syntax(d) {
                    return Err(invalid());
                }
                (r, Some(Digest::parse(d).map_err(|_| invalid())?))
            }
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            if !valid_tag(t) {
                return Err(invalid());
            }
        }
        if !valid_domain(&domain) || !valid_path(path) {
            return Err(invalid());
        }
        if domain.len() + 1 + path.len() > NAME_TOTAL_MAX {
            return Err(Error::InvalidReference(format!(
                "repository name must not be more than {NAME_TOTAL_MAX} characters"
            )));
        }
        Ok(Reference {
            domain,
            path: path.to_string(),
            tag: tag.map(str::to_string),
            digest,
        })
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
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The registry host (`docker.io`, `127.0.0.1:5000`).
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
    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `domain/path`, the fully qualified repository name.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
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
            s.push_str(&d.to_string());
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

fn valid_domain(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let ip = &rest[..end];
        if ip.is_empty()
            || !ip
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => ("x", Some(p)),
            None if after.is_empty() => ("x", None),
            None => return false,
        }
    } else {
        match d.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (d, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        })
}

fn valid_path(p: &str) -> bool {
    !p.is_empty() && p.split('/').all(valid_path_component)
}

fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn valid_tag(t: &str) -> bool {
    let w = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && w(b[0])
        && b[1..].iter().all(|&x| w(x) || x == b'.' || x == b'-')
}

fn valid_digest_syntax(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && alg.split(['-', '_', '+', '.']).all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphabetic()
                && b.iter().all(|x| x.is_ascii_alphanumeric())
        })
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
