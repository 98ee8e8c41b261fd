//! Media types, descriptors, platforms, and parsing of image manifests and indexes
//! (Docker v2 schema 2, Docker manifest list, OCI manifest, OCI index).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::digest::Digest;
use crate::error::{Error, Result};

/// Media type strings strata knows.
pub mod media {
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker schema 1 manifest (unsupported, named in errors).
    pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    /// Docker schema 1 signed manifest.
    pub const DOCKER_SCHEMA1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// Docker gzip layer.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// Docker foreign gzip layer.
    pub const DOCKER_FOREIGN_LAYER_GZIP: &str =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    /// Docker uncompressed layer (what `docker save` implies).
    pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
    /// OCI uncompressed layer.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// OCI gzip layer.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// OCI zstd layer.
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// OCI non-distributable layers (deprecated but still seen).
    pub const OCI_ND_LAYER_TAR: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    /// OCI non-distributable gzip layer.
    pub const OCI_ND_LAYER_GZIP: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    /// OCI non-distributable zstd layer.
    pub const OCI_ND_LAYER_ZSTD: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

    /// Whether `mt` names a filesystem layer of any compression.
    pub fn is_layer(mt: &str) -> bool {
        matches!(
            mt,
            DOCKER_LAYER_GZIP
                | DOCKER_FOREIGN_LAYER_GZIP
                | DOCKER_LAYER_TAR
                | OCI_LAYER_TAR
                | OCI_LAYER_GZIP
                | OCI_LAYER_ZSTD
                | OCI_ND_LAYER_TAR
                | OCI_ND_LAYER_GZIP
                | OCI_ND_LAYER_ZSTD
        )
    }
}

/// Largest manifest, index or config strata reads into memory (containers/image's cap).
pub const MAX_JSON: u64 = 4 * 1024 * 1024;

/// An OCI content descriptor.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(default)]
    pub media_type: String,
    /// Digest of the referenced content.
    #[serde(deserialize_with = "de_digest")]
    pub digest: Digest,
    /// Size in bytes.
    pub size: i64,
    /// Platform (index entries only).
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Artifact type, for OCI artifacts.
    #[serde(default)]
    pub artifact_type: Option<String>,
}

fn de_digest<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Digest, D::Error> {
    let s = String::deserialize(d)?;
    Digest::parse(&s).map_err(serde::de::Error::custom)
}

pub use crate::platform::Platform;

/// An image manifest (Docker schema 2 or OCI).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Declared schema version (2).
    #[serde(default)]
    pub schema_version: Option<i64>,
    /// Declared media type.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Artifact type, when this manifest is an OCI artifact.
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// Layer blobs, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// An image index or manifest list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Declared media type.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Entries.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// What a manifest blob turned out to be.
#[derive(Debug, Clone)]
pub enum Manifest {
    /// A single-platform image manifest.
    Image(ImageManifest),
    /// An index of manifests.
    Index(Index),
}

impl Manifest {
    /// Parses manifest bytes. `declared` is the media type from the referring descriptor, if
    /// any; the JSON's own `mediaType` and shape decide otherwise.
    pub fn parse(what: &str, bytes: &[u8], declared: Option<&str>) -> Result<Manifest> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::malformed(what, format!("invalid JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| Error::malformed(what, "manifest is not a JSON object"))?;
        let own = obj.get("mediaType").and_then(|v| v.as_str());
        let mt = own.or(declared.filter(|d| !d.is_empty()));
        let is_index = match mt {
            Some(media::DOCKER_LIST) | Some(media::OCI_INDEX) => true,
            Some(media::DOCKER_MANIFEST) | Some(media::OCI_MANIFEST) => false,
            Some(m @ (media::DOCKER_SCHEMA1 | media::DOCKER_SCHEMA1_SIGNED)) => {
                return Err(Error::UnsupportedMediaType {
                    what: what.to_string(),
                    media_type: m.to_string(),
                });
            }
            Some(m) if !m.is_empty() => {
                return Err(Error::UnsupportedMediaType {
                    what: what.to_string(),
                    media_type: m.to_string(),
                });
            }
            _ => {
                if obj.contains_key("manifests") {
                    true
                } else if obj.contains_key("config") {
                    false
                } else {
                    return Err(Error::malformed(
                        what,
                        "neither an image manifest nor an index (no config, no manifests)",
                    ));
                }
            }
        };
        if is_index {
            let idx: Index = serde_json::from_value(value)
                .map_err(|e| Error::malformed(what, format!("invalid index: {e}")))?;
            Ok(Manifest::Index(idx))
        } else {
            let m: ImageManifest = serde_json::from_value(value)
                .map_err(|e| Error::malformed(what, format!("invalid manifest: {e}")))?;
            if m.schema_version.is_some_and(|v| v != 2) {
                return Err(Error::malformed(what, "unsupported schemaVersion"));
            }
            Ok(Manifest::Image(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_normalisation() {
        // containerd keeps the specifier as typed (lower-cased, aliases resolved).
        let table = [
            ("linux/aarch64", "linux/arm64"),
            ("linux/arm64/v8", "linux/arm64/v8"),
            ("linux/x86_64", "linux/amd64"),
            ("Linux/AMD64", "linux/amd64"),
            ("linux/armhf", "linux/arm"),
            ("linux/arm/v6", "linux/arm/v6"),
            ("linux/i386", "linux/386"),
            ("windows(10.0.17763)", "windows(10.0.17763)/amd64"),
        ];
        for (input, want) in table {
            assert_eq!(
                Platform::parse(input).expect(input).to_string(),
                want,
                "{input}"
            );
        }
        assert!(Platform::parse("linux//x").is_err());
        assert!(Platform::parse("linux /arm").is_err());
        let arm = Platform {
            os: "linux".into(),
            architecture: "arm64".into(),
            ..Default::default()
        };
        assert!(Platform::parse("linux/aarch64").expect("p").matches(&arm));
    }

    #[test]
    fn manifest_kinds() {
        let d = Digest::sha256_of(b"x");
        let m = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"{}","digest":"{d}","size":1}},"layers":[]}}"#,
            media::OCI_CONFIG
        );
        assert!(matches!(
            Manifest::parse("m", m.as_bytes(), None),
            Ok(Manifest::Image(_))
        ));
        let i = format!(r#"{{"manifests":[{{"mediaType":"x","digest":"{d}","size":1}}]}}"#);
        assert!(matches!(
            Manifest::parse("i", i.as_bytes(), None),
            Ok(Manifest::Index(_))
        ));
        assert!(Manifest::parse("bad", b"[]", None).is_err());
        assert!(Manifest::parse("bad", b"{}", None).is_err());
        let e = Manifest::parse(
            "s1",
            br#"{"mediaType":"application/vnd.docker.distribution.manifest.v1+json"}"#,
            None,
        );
        assert!(matches!(e, Err(Error::UnsupportedMediaType { .. })));
    }
}
