//! Image locations in containers/image's `transport:reference` grammar:
//! `docker-archive:PATH[:REF|:@N]`, `oci:DIR[:REF]`, `oci-archive:PATH[:REF]`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::archive::DockerArchive;
use crate::error::{Error, Result};
use crate::image::Selector;
use crate::layout::OciLayout;
use crate::source::Source;

/// A parsed location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A `docker save` archive.
    DockerArchive(PathBuf, Selector),
    /// An OCI layout directory.
    Oci(PathBuf, Selector),
    /// A tar of an OCI layout.
    OciArchive(PathBuf, Selector),
}

fn split_ref(rest: &str) -> (PathBuf, Selector) {
    match rest.split_once(':') {
        Some((path, r)) if !r.is_empty() => {
            let sel = match r.strip_prefix('@').and_then(|n| n.parse::<usize>().ok()) {
                Some(i) => Selector::Index(i),
                None => Selector::Name(r.to_string()),
            };
            (PathBuf::from(path), sel)
        }
        Some((path, _)) => (PathBuf::from(path), Selector::Default),
        None => (PathBuf::from(rest), Selector::Default),
    }
}

impl Location {
    /// Parses a location; `None` when the text names no file transport (a plain image
    /// reference, for the local store or a registry).
    pub fn parse(s: &str) -> Option<Location> {
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            let (p, sel) = split_ref(rest);
            return Some(Location::DockerArchive(p, sel));
        }
        if let Some(rest) = s.strip_prefix("oci-archive:") {
            let (p, sel) = split_ref(rest);
            return Some(Location::OciArchive(p, sel));
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            let (p, sel) = split_ref(rest);
            return Some(Location::Oci(p, sel));
        }
        None
    }

    /// Opens the source this location names, and which image of it to use (a compressed
    /// archive is decompressed as `settings` say).
    pub fn open(
        &self,
        settings: &crate::settings::Settings,
    ) -> Result<(Arc<dyn Source>, Selector)> {
        let check = |p: &PathBuf| -> Result<()> {
            if p.as_os_str().is_empty() {
                return Err(Error::InvalidInput(
                    "missing path in image location".to_string(),
                ));
            }
            Ok(())
        };
        Ok(match self {
            Location::DockerArchive(p, s) => {
                check(p)?;
                (Arc::new(DockerArchive::open(p, settings)?), s.clone())
            }
            Location::Oci(p, s) => {
                check(p)?;
                (Arc::new(OciLayout::open_dir(p)?), s.clone())
            }
            Location::OciArchive(p, s) => {
                check(p)?;
                (Arc::new(OciLayout::open_archive(p, settings)?), s.clone())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert_eq!(
            Location::parse("docker-archive:a.tar"),
            Some(Location::DockerArchive("a.tar".into(), Selector::Default))
        );
        assert_eq!(
            Location::parse("docker-archive:/x/a.tar:example/app:1"),
            Some(Location::DockerArchive(
                "/x/a.tar".into(),
                Selector::Name("example/app:1".into())
            ))
        );
        assert_eq!(
            Location::parse("docker-archive:a.tar:@2"),
            Some(Location::DockerArchive("a.tar".into(), Selector::Index(2)))
        );
        assert_eq!(
            Location::parse("oci:dir:latest"),
            Some(Location::Oci("dir".into(), Selector::Name("latest".into())))
        );
        assert_eq!(
            Location::parse("oci-archive:x.tar"),
            Some(Location::OciArchive("x.tar".into(), Selector::Default))
        );
        assert_eq!(Location::parse("nginx:latest"), None);
    }
}
