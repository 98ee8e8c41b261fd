//! What a name means among a set of images: the daemon's `ImageService.GetImage` (Docker
//! 20.10), the one lookup behind store names (`inspect`, `rmi`, `tag`, `push`) and the
//! `before=`/`since=` filters of `images`.

use std::collections::BTreeSet;

use crate::error::Error;
use crate::reference::{AnyReference, Reference, parse_any_daemon};

/// What the lookup needs of an image.
pub trait Named {
    /// `sha256:<hex>`.
    fn id(&self) -> &str;
    /// Its tags, in any form the reference grammar parses (full or familiar).
    fn tags(&self) -> &[String];
    /// Its `name@digest` references, in any form.
    fn digests(&self) -> &[String];
}

/// Why a name named no image.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The daemon could not parse it (its message).
    #[error(transparent)]
    Invalid(Error),
    /// Nothing matched: the daemon's `No such image: …`, naming what was looked for.
    #[error("No such image: {0}")]
    NotFound(String),
}

fn same(stored: &str, want: &Reference) -> bool {
    Reference::parse(stored).is_ok_and(|r| r.familiar() == want.familiar())
}

/// The image `name` names: a full ID (with or without `sha256:`), a `repo:tag` (`latest` when
/// no tag is given), a `repo@digest` (a tag beside the digest is ignored), or else a unique
/// prefix of the hex ID, optionally after `sha256:`.
pub fn find<'a, T: Named>(images: &'a [T], name: &str) -> Result<&'a T, LookupError> {
    let named = match parse_any_daemon(name).map_err(LookupError::Invalid)? {
        AnyReference::Digest(id) => {
            return images
                .iter()
                .find(|i| i.id() == id)
                .ok_or(LookupError::NotFound(id));
        }
        AnyReference::Named(r) => r,
    };
    let found = match named.digest() {
        Some(d) => {
            let want = named.with_digest(d);
            images
                .iter()
                .find(|i| i.digests().iter().any(|s| same(s, &want)))
        }
        None => {
            let want = named.clone().with_default_tag();
            images
                .iter()
                .find(|i| i.tags().iter().any(|s| same(s, &want)))
        }
    };
    if let Some(i) = found {
        return Ok(i);
    }
    // imageStore.Search: a unique prefix of the hex ID, optionally with its algorithm.
    let (alg, hex) = name
        .split_once(':')
        .map_or((None, name), |(a, h)| (Some(a), h));
    let is_hex = !hex.is_empty() && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if is_hex && alg.is_none_or(|a| a == "sha256") {
        let matching = |i: &&T| {
            i.id()
                .strip_prefix("sha256:")
                .is_some_and(|h| h.starts_with(hex))
        };
        let ids: BTreeSet<&str> = images.iter().filter(matching).map(|i| i.id()).collect();
        if ids.len() == 1 {
            if let Some(i) = images.iter().find(matching) {
                return Ok(i);
            }
        }
    }
    Err(LookupError::NotFound(named.with_default_tag().familiar()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Img(String, Vec<String>, Vec<String>);

    impl Named for Img {
        fn id(&self) -> &str {
            &self.0
        }
        fn tags(&self) -> &[String] {
            &self.1
        }
        fn digests(&self) -> &[String] {
            &self.2
        }
    }

    fn images() -> Vec<Img> {
        let id = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let d = format!("sha256:{}", "d".repeat(64));
        vec![
            Img(
                id('a'),
                vec!["docker.io/library/app:1".into()],
                vec![format!("docker.io/library/app@{d}")],
            ),
            Img(id('b'), vec!["base:latest".into()], vec![]),
            Img(
                format!("sha256:ab{}", "0".repeat(62)),
                vec!["localhost:5000/x:2".into()],
                vec![],
            ),
        ]
    }

    fn found(name: &str) -> String {
        match find(&images(), name) {
            Ok(i) => i.0[7..9].to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn names_ids_digests_and_prefixes_find_their_image() {
        assert_eq!(found("app:1"), "aa", "familiar name against a full tag");
        assert_eq!(
            found("docker.io/library/base"),
            "bb",
            "full name, default tag"
        );
        assert_eq!(found("localhost:5000/x:2"), "ab");
        let d = "d".repeat(64);
        assert_eq!(
            found(&format!("app:9@sha256:{d}")),
            "aa",
            "digest wins over tag"
        );
        assert_eq!(found(&"b".repeat(64)), "bb");
        assert_eq!(found("sha256:bbb"), "bb");
        assert_eq!(found("bb"), "bb");
    }

    #[test]
    fn misses_say_what_the_daemon_says() {
        assert_eq!(found("app"), "No such image: app:latest");
        assert_eq!(found("a"), "No such image: a:latest", "ambiguous prefix");
        assert_eq!(found("sha256:a"), "No such image: sha256:a");
        assert_eq!(
            found(&"c".repeat(64)),
            format!("No such image: sha256:{}", "c".repeat(64))
        );
        assert!(found("UPPER").starts_with("invalid reference format"));
    }
}
