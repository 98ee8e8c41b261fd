//! How a layer blob or a whole archive is compressed, recognised by its first bytes exactly as
//! Docker's `archive.DecompressStream` does (bzip2, gzip, xz, zstd; anything else is a plain
//! tar), so every source and every command decompresses the same inputs.

use std::io::{self, BufRead, Read};

/// How a stream is compressed, judged by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (possibly multi-member).
    Gzip,
    /// zstd (possibly several frames, skippable frames first).
    Zstd,
    /// xz (possibly several streams).
    Xz,
    /// bzip2 (possibly several streams).
    Bzip2,
}

impl Compression {
    /// Docker's magic numbers (moby `pkg/archive` `DetectCompression`).
    pub fn sniff(magic: &[u8]) -> Compression {
        const ZSTD_SKIPPABLE: u32 = 0x184D_2A50;
        if magic.starts_with(b"BZh") {
            Compression::Bzip2
        } else if magic.starts_with(&[0x1f, 0x8b, 0x08]) {
            Compression::Gzip
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            || (magic.len() >= 4
                && u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]) & 0xFFFF_FFF0
                    == ZSTD_SKIPPABLE)
        {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// A decompressing reader over `r`.
    pub fn decoder<'a>(
        self,
        r: Box<dyn BufRead + Send + 'a>,
    ) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
            Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(r)),
            Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        })
    }

    /// The name used in `strata layers` output and in caches.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
        }
    }

    /// The inverse of [`Compression::name`].
    pub fn from_name(name: &str) -> Option<Compression> {
        Some(match name {
            "none" => Compression::None,
            "gzip" => Compression::Gzip,
            "zstd" => Compression::Zstd,
            "xz" => Compression::Xz,
            "bzip2" => Compression::Bzip2,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(c: Compression, packed: Vec<u8>) {
        assert_eq!(Compression::sniff(&packed), c);
        let mut out = Vec::new();
        c.decoder(Box::new(io::BufReader::new(&packed[..])))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"hello hello");
    }

    #[test]
    fn every_codec_docker_reads() {
        use std::io::Write;
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(b"hello ").unwrap();
        let mut gz = g.finish().unwrap();
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(b"hello").unwrap();
        gz.extend(g.finish().unwrap());
        roundtrip(Compression::Gzip, gz);
        roundtrip(
            Compression::Zstd,
            zstd::encode_all(&b"hello hello"[..], 1).unwrap(),
        );
        let mut x = liblzma::write::XzEncoder::new(Vec::new(), 1);
        x.write_all(b"hello hello").unwrap();
        roundtrip(Compression::Xz, x.finish().unwrap());
        let mut b = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        b.write_all(b"hello hello").unwrap();
        roundtrip(Compression::Bzip2, b.finish().unwrap());
        assert_eq!(Compression::sniff(b"ustar"), Compression::None);
        // gzip needs the deflate method byte, as Docker's matcher does.
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 0x07]), Compression::None);
        // A zstd skippable frame first.
        assert_eq!(
            Compression::sniff(&[0x5e, 0x2a, 0x4d, 0x18]),
            Compression::Zstd
        );
    }
}
