//! A streaming tar reader with the semantics of Go's `archive/tar` (what Docker reads layers
//! and archives with): V7, USTAR, PAX, GNU and STAR headers; PAX records and GNU long names
//! capped at 1 MiB each (Go's `maxSpecialFileSize`); invalid PAX records (a NUL in a path)
//! refused; sparse files in the old GNU format and in PAX formats 0.0, 0.1 and 1.0, expanded
//! on read (holes read as zeros, a map may stop short of the file's end). No entry, header or
//! body is ever held whole in memory.

use std::io::{self, Read};

const BLOCK: usize = 512;
/// Go's limit on PAX records and GNU long names.
pub const MAX_SPECIAL: u64 = 1 << 20;
/// Go's limit on the sparse map entries of one file (`maxSpecialFileSize` worth of text).
const MAX_SPARSE: usize = 1 << 16;

/// A header as Go's reader returns it (PAX records and long names applied).
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// The type flag (`'0'` for regular files; a NUL flag is normalised).
    pub typeflag: u8,
    /// The name.
    pub name: Vec<u8>,
    /// The link target.
    pub linkname: Vec<u8>,
    /// The logical size (a sparse file's real size).
    pub size: u64,
    /// The mode field.
    pub mode: u64,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// Device numbers.
    pub devmajor: u64,
    /// Device numbers.
    pub devminor: u64,
    /// `SCHILY.xattr.*` records, in order.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// Why a tar stream is refused.
fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Go's `parseNumeric`: base-256 when the top bit is set, else octal (spaces and NULs around
/// it ignored; an empty field is 0).
pub fn numeric(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        if field[0] & 0x40 != 0 {
            return None;
        }
        let mut v: u64 = (field[0] & 0x3f) as u64;
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(b as u64)?;
        }
        return Some(v);
    }
    let s = field
        .iter()
        .position(|&b| b != b' ' && b != 0)
        .unwrap_or(field.len());
    let e = field
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(s, |i| i + 1);
    let t = &field[s..e.max(s)];
    let mut v: u64 = 0;
    for &b in t {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

fn cstr(field: &[u8]) -> &[u8] {
    match field.iter().position(|&b| b == 0) {
        Some(i) => &field[..i],
        None => field,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    V7,
    Ustar,
    Gnu,
    Star,
}

/// The block's format, or `None` when its checksum is wrong (Go accepts either sum).
fn format_of(blk: &[u8; BLOCK]) -> Option<Format> {
    let want = numeric(&blk[148..156])?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in blk.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as u64;
        signed += b as i8 as i64;
    }
    if want != unsigned && want as i64 != signed {
        return None;
    }
    let magic = &blk[257..263];
    let version = &blk[263..265];
    let trailer = &blk[508..512];
    Some(if magic == b"ustar\0" && version == b"00" {
        if trailer == b"tar\0" {
            Format::Star
        } else {
            Format::Ustar
        }
    } else if magic == b"ustar " && version == b" \0" {
        Format::Gnu
    } else {
        Format::V7
    })
}

/// One piece of a sparse file: `len` bytes at `off`.
#[derive(Debug, Clone, Copy)]
struct Fragment {
    off: u64,
    len: u64,
}

/// What the body of the current entry is.
enum Body {
    Plain {
        left: u64,
    },
    Sparse {
        map: Vec<Fragment>,
        at: usize,
        pos: u64,
        size: u64,
    },
}

/// Moves the stream forward without reading (a seek), when it can.
pub type Skipper<R> = Box<dyn FnMut(&mut R, u64) -> io::Result<()>>;

/// The reader.
pub struct TarReader<R> {
    r: R,
    skip: Option<Skipper<R>>,
    /// Bytes of the stream consumed so far.
    pos: u64,
    /// Physical bytes of the current entry's data not yet read, and its padding.
    data_left: u64,
    pad: u64,
    body: Body,
    done: bool,
}

fn round(n: u64) -> u64 {
    n.div_ceil(BLOCK as u64) * BLOCK as u64
}

impl<R: Read> TarReader<R> {
    /// A reader over a tar stream.
    pub fn new(r: R) -> TarReader<R> {
        TarReader {
            r,
            skip: None,
            pos: 0,
            data_left: 0,
            pad: 0,
            body: Body::Plain { left: 0 },
            done: false,
        }
    }

    /// A reader that skips bodies with `skip` instead of reading them (a seekable file).
    pub fn with_skipper(r: R, skip: Skipper<R>) -> TarReader<R> {
        TarReader {
            skip: Some(skip),
            ..TarReader::new(r)
        }
    }

    /// Bytes of the stream consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The underlying stream (for what follows the archive).
    pub fn into_inner(self) -> R {
        self.r
    }

    fn read_exact_counted(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.r.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Reads a block; `Ok(false)` at a clean end of stream.
    fn block(&mut self, blk: &mut [u8; BLOCK]) -> io::Result<bool> {
        let mut got = 0;
        while got < BLOCK {
            match self.r.read(&mut blk[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pos += BLOCK as u64;
        Ok(true)
    }

    fn discard(&mut self, mut n: u64) -> io::Result<()> {
        if let Some(skip) = self.skip.as_mut() {
            skip(&mut self.r, n)?;
            self.pos += n;
            return Ok(());
        }
        let mut buf = [0u8; 8192];
        while n > 0 {
            let k = (n as usize).min(buf.len());
            self.read_exact_counted(&mut buf[..k])?;
            n -= k as u64;
        }
        Ok(())
    }

    /// Skips what is left of the current entry.
    fn finish_entry(&mut self) -> io::Result<()> {
        let n = self.data_left + self.pad;
        self.data_left = 0;
        self.pad = 0;
        self.body = Body::Plain { left: 0 };
        self.discard(n)
    }

    /// The body of a special entry (PAX records, long names), capped.
    fn special(&mut self, size: u64, what: &str) -> io::Result<Vec<u8>> {
        if size > MAX_SPECIAL {
            return Err(bad(format!(
                "{what} of {size} bytes exceeds the limit of {MAX_SPECIAL} bytes"
            )));
        }
        let mut v = vec![0u8; size as usize];
        self.read_exact_counted(&mut v)?;
        self.discard(round(size) - size)?;
        Ok(v)
    }

    /// The next header, or `None` at the end of the archive. What the previous entry left
    /// unread is skipped.
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        if self.done {
            return Ok(None);
        }
        self.finish_entry()?;
        let mut pax: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut blk = [0u8; BLOCK];
        loop {
            if !self.block(&mut blk)? {
                self.done = true;
                if !pax.is_empty() || long_name.is_some() || long_link.is_some() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                return Ok(None);
            }
            if blk.iter().all(|&b| b == 0) {
                // Two zero blocks end the archive; one, then the end of the stream, too; one,
                // then anything else, is invalid (Go: ErrHeader).
                if self.block(&mut blk)? && !blk.iter().all(|&b| b == 0) {
                    return Err(bad("a zero block followed by data"));
                }
                self.done = true;
                return Ok(None);
            }
            let format = format_of(&blk).ok_or_else(|| bad("archive header checksum mismatch"))?;
            let flag = blk[156];
            let size = numeric(&blk[124..136]).ok_or_else(|| bad("invalid size field"))?;
            match flag {
                b'x' | b'g' => {
                    let body = self.special(size, "PAX header")?;
                    let recs = parse_pax(&body)?;
                    if flag == b'g' {
                        // Go returns a global header as an entry of its own, and applies its
                        // records to no other.
                        let mut h = self.basic(&blk, format)?;
                        h.size = 0;
                        return Ok(Some(h));
                    }
                    pax.extend(recs);
                }
                b'L' | b'K' if format == Format::Gnu || format == Format::Ustar => {
                    let body = self.special(size, "GNU long name")?;
                    let s = cstr(&body).to_vec();
                    if flag == b'L' {
                        long_name = Some(s);
                    } else {
                        long_link = Some(s);
                    }
                }
                _ => {
                    let mut h = self.basic(&blk, format)?;
                    if let Some(n) = long_name {
                        h.name = n;
                    }
                    if let Some(l) = long_link {
                        h.linkname = l;
                    }
                    let _ = (format, size);
                    let mut sparse_pax = SparsePax::default();
                    apply_pax(&mut h, &pax, &mut sparse_pax)?;
                    if h.typeflag == 0 {
                        h.typeflag = if h.name.ends_with(b"/") { b'5' } else { b'0' };
                    }
                    self.start_body(&mut h, sparse_pax)?;
                    return Ok(Some(h));
                }
            }
        }
    }

    /// The header's own fields (before PAX records and long names).
    fn basic(&self, blk: &[u8; BLOCK], format: Format) -> io::Result<Header> {
        let num = |r: std::ops::Range<usize>, what: &str| {
            numeric(&blk[r]).ok_or_else(|| bad(format!("invalid {what} field")))
        };
        let mut name = cstr(&blk[0..100]).to_vec();
        let prefix = match format {
            Format::Ustar => cstr(&blk[345..500]),
            Format::Star => cstr(&blk[345..476]),
            _ => b"",
        };
        if !prefix.is_empty() {
            let mut p = prefix.to_vec();
            p.push(b'/');
            p.extend_from_slice(&name);
            name = p;
        }
        let (devmajor, devminor) = if format == Format::V7 {
            (0, 0)
        } else {
            (num(329..337, "devmajor")?, num(337..345, "devminor")?)
        };
        Ok(Header {
            typeflag: blk[156],
            name,
            linkname: cstr(&blk[157..257]).to_vec(),
            size: num(124..136, "size")?,
            mode: num(100..108, "mode")?,
            uid: num(108..116, "uid")?,
            gid: num(116..124, "gid")?,
            mtime: num(136..148, "mtime")? as i64,
            devmajor,
            devminor,
            xattrs: Vec::new(),
        })
    }

    /// Sets up the current entry's body. `h.size` is the stored data's size (the header's,
    /// or its PAX `size`); a sparse file's logical size replaces it.
    fn start_body(&mut self, h: &mut Header, sparse: SparsePax) -> io::Result<()> {
        // Go reads no body for header-only types, whatever size they declare.
        let phys = if matches!(h.typeflag, b'1' | b'2' | b'3' | b'4' | b'5' | b'6') {
            0
        } else {
            h.size
        };
        self.data_left = phys;
        self.pad = round(phys) - phys;
        self.body = Body::Plain { left: 0 };
        let regular = matches!(h.typeflag, b'0' | b'7');
        match sparse.version() {
            Some(_) if !regular => Err(bad("a sparse map on an entry that is not a file")),
            Some((0, _)) => {
                h.size = sparse.size.unwrap_or(phys);
                self.sparse_body(h, sparse.map_0x()?)
            }
            Some((1, 0)) => {
                // The map is at the start of the data, in decimal lines, padded to a block.
                h.size = sparse.size.unwrap_or(phys);
                let map = self.read_map_1x0()?;
                self.sparse_body(h, map)
            }
            Some(_) | None => {
                if regular {
                    self.body = Body::Plain { left: phys };
                }
                Ok(())
            }
        }
    }

    fn sparse_body(&mut self, h: &Header, map: Vec<Fragment>) -> io::Result<()> {
        // Go's validateSparseEntries: in order, not overlapping, within the file; and the
        // data the map names is exactly what is stored.
        let mut end = 0u64;
        let mut data = 0u64;
        for f in &map {
            let stop = f
                .off
                .checked_add(f.len)
                .ok_or_else(|| bad("sparse fragment overflows"))?;
            if f.off < end || stop > h.size {
                return Err(bad("invalid sparse map"));
            }
            end = stop;
            data += f.len;
        }
        if data != self.data_left {
            return Err(bad(format!(
                "sparse map holds {data} bytes of data, the entry {}",
                self.data_left
            )));
        }
        self.body = Body::Sparse {
            map,
            at: 0,
            pos: 0,
            size: h.size,
        };
        Ok(())
    }

    /// PAX 1.0: the number of fragments, then offset and length of each, one per line.
    fn read_map_1x0(&mut self) -> io::Result<Vec<Fragment>> {
        let mut text: Vec<u8> = Vec::new();
        let mut lines: Vec<u64> = Vec::new();
        let mut want: Option<u64> = None;
        loop {
            if want.is_some_and(|n| lines.len() as u64 == 1 + 2 * n) {
                break;
            }
            if text.is_empty() || !text.contains(&b'\n') {
                if self.data_left < BLOCK as u64 {
                    return Err(bad("truncated sparse map"));
                }
                let mut b = [0u8; BLOCK];
                self.read_exact_counted(&mut b)?;
                self.data_left -= BLOCK as u64;
                text.extend_from_slice(&b);
                if text.len() as u64 > MAX_SPECIAL {
                    return Err(bad("sparse map exceeds the limit"));
                }
                continue;
            }
            let i = text.iter().position(|&b| b == b'\n').unwrap_or(0);
            let line: Vec<u8> = text.drain(..=i).collect();
            let n = std::str::from_utf8(&line[..line.len() - 1])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| bad("invalid sparse map"))?;
            if want.is_none() {
                if n as usize > MAX_SPARSE {
                    return Err(bad("too many sparse fragments"));
                }
                want = Some(n);
            }
            lines.push(n);
        }
        Ok(lines[1..]
            .chunks_exact(2)
            .map(|p| Fragment {
                off: p[0],
                len: p[1],
            })
            .collect())
    }

    /// Reads the current entry's body (expanded, for sparse files).
    pub fn read_body(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.body {
            Body::Plain { left } => {
                let k = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                if k == 0 {
                    return Ok(0);
                }
                let n = self.r.read(&mut buf[..k])?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                self.pos += n as u64;
                *left -= n as u64;
                self.data_left -= n as u64;
                Ok(n)
            }
            Body::Sparse { map, at, pos, size } => {
                if *pos >= *size {
                    return Ok(0);
                }
                // In a hole: zeros up to the next fragment (or the end).
                let next = map.get(*at).copied();
                match next {
                    Some(f) if *pos >= f.off => {
                        let in_frag = f.off + f.len - *pos;
                        let k = buf
                            .len()
                            .min(usize::try_from(in_frag).unwrap_or(usize::MAX));
                        let n = self.r.read(&mut buf[..k])?;
                        if n == 0 && k > 0 {
                            return Err(io::ErrorKind::UnexpectedEof.into());
                        }
                        self.pos += n as u64;
                        self.data_left -= n as u64;
                        *pos += n as u64;
                        if *pos == f.off + f.len {
                            *at += 1;
                        }
                        Ok(n)
                    }
                    _ => {
                        let hole_end = next.map_or(*size, |f| f.off);
                        let k = buf
                            .len()
                            .min(usize::try_from(hole_end - *pos).unwrap_or(usize::MAX));
                        buf[..k].fill(0);
                        *pos += k as u64;
                        if k == 0 {
                            // A zero-length fragment at the current position.
                            *at += 1;
                            return self.read_body(buf);
                        }
                        Ok(k)
                    }
                }
            }
        }
    }
}

/// GNU sparse facts from PAX records.
#[derive(Default)]
struct SparsePax {
    major: Option<u64>,
    minor: Option<u64>,
    /// 0.0: repeated offset/numbytes records, in order.
    pairs: Vec<u64>,
    /// 0.1: the comma-separated map.
    map: Option<Vec<u8>>,
    /// The file's logical size (`GNU.sparse.size`, `GNU.sparse.realsize`).
    size: Option<u64>,
}

impl SparsePax {
    /// Go's `readGNUSparsePAXHeaders`: 0.0, 0.1 and 1.0 are known; 0.x maps without version
    /// records are guessed; any other version is not a sparse file at all.
    fn version(&self) -> Option<(u64, u64)> {
        match (self.major, self.minor) {
            (Some(0), Some(m)) if m <= 1 => Some((0, m)),
            (Some(1), Some(0)) => Some((1, 0)),
            (None, None) if !self.pairs.is_empty() || self.map.is_some() => Some((0, 1)),
            _ => None,
        }
    }

    fn map_0x(&self) -> io::Result<Vec<Fragment>> {
        let nums: Vec<u64> = match &self.map {
            Some(m) if !m.is_empty() => m
                .split(|&b| b == b',')
                .map(|x| {
                    std::str::from_utf8(x)
                        .ok()
                        .and_then(|s| s.parse::<u64>().ok())
                        .ok_or_else(|| bad("invalid GNU.sparse.map"))
                })
                .collect::<io::Result<_>>()?,
            Some(_) => Vec::new(),
            None => self.pairs.clone(),
        };
        if !nums.len().is_multiple_of(2) || nums.len() / 2 > MAX_SPARSE {
            return Err(bad("invalid GNU sparse map"));
        }
        Ok(nums
            .chunks_exact(2)
            .map(|p| Fragment {
                off: p[0],
                len: p[1],
            })
            .collect())
    }
}

/// Go's `parsePAX`: `%d %s=%s\n` records; a record's length must be right, its key
/// non-empty, and `validPAXRecord` must hold (no NUL in a path, link path or owner name;
/// none in any key).
fn parse_pax(b: &[u8]) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|&c| c == b' ')
            .ok_or_else(|| bad("invalid PAX record"))?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("invalid PAX record length"))?;
        if len <= sp + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad("invalid PAX record"));
        }
        let rec = &rest[sp + 1..len - 1];
        let eq = rec
            .iter()
            .position(|&c| c == b'=')
            .ok_or_else(|| bad("invalid PAX record"))?;
        let (k, v) = (&rec[..eq], &rec[eq + 1..]);
        if k.is_empty() {
            return Err(bad("invalid PAX record: empty key"));
        }
        let nul_free = match k {
            b"path" | b"linkpath" | b"uname" | b"gname" => !v.contains(&0),
            _ => !k.contains(&0),
        };
        if !nul_free {
            return Err(bad(format!(
                "invalid PAX record {:?}: NUL byte",
                String::from_utf8_lossy(k)
            )));
        }
        out.push((k.to_vec(), v.to_vec()));
        rest = &rest[len..];
    }
    Ok(out)
}

/// Go's `mergePAX`, for what Docker uses.
fn apply_pax(
    h: &mut Header,
    recs: &[(Vec<u8>, Vec<u8>)],
    sparse: &mut SparsePax,
) -> io::Result<()> {
    let num = |v: &[u8]| -> io::Result<u64> {
        std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("invalid PAX number"))
    };
    let mut sparse_name: Option<Vec<u8>> = None;
    for (k, v) in recs {
        match k.as_slice() {
            b"path" => h.name = v.clone(),
            b"linkpath" => h.linkname = v.clone(),
            b"uid" => h.uid = num(v)?,
            b"gid" => h.gid = num(v)?,
            b"size" => h.size = num(v)?,
            b"mtime" => {
                let t: f64 = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("invalid PAX mtime"))?;
                h.mtime = t.floor() as i64;
            }
            b"GNU.sparse.major" => sparse.major = Some(num(v)?),
            b"GNU.sparse.minor" => sparse.minor = Some(num(v)?),
            b"GNU.sparse.name" => sparse_name = Some(v.clone()),
            // GNU.sparse.size wins over GNU.sparse.realsize, as in Go.
            b"GNU.sparse.size" => sparse.size = Some(num(v)?),
            b"GNU.sparse.realsize" => {
                if !recs.iter().any(|(k, _)| k == b"GNU.sparse.size") {
                    sparse.size = Some(num(v)?)
                }
            }
            b"GNU.sparse.map" => sparse.map = Some(v.clone()),
            b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => sparse.pairs.push(num(v)?),
            _ => {
                if let Some(x) = k.strip_prefix(b"SCHILY.xattr.") {
                    h.xattrs
                        .push((String::from_utf8_lossy(x).into_owned(), v.clone()));
                }
            }
        }
    }
    if sparse.version().is_some() {
        if let Some(n) = sparse_name {
            h.name = n;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, flag: u8, size: usize) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = flag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    fn pax(recs: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in recs {
            let rest = k.len() + v.len() + 3;
            let mut n = rest + 1;
            while n.to_string().len() + rest != n {
                n += 1;
            }
            out.extend_from_slice(format!("{n} {k}={v}\n").as_bytes());
        }
        out
    }

    fn padded(b: &[u8]) -> Vec<u8> {
        let mut v = b.to_vec();
        v.resize(round(b.len() as u64) as usize, 0);
        v
    }

    #[test]
    fn a_sparse_map_may_stop_short_of_the_end() {
        let recs = pax(&[
            ("GNU.sparse.major", "0"),
            ("GNU.sparse.minor", "1"),
            ("GNU.sparse.name", "file"),
            ("GNU.sparse.size", "100"),
            ("GNU.sparse.map", "10,3"),
        ]);
        let mut t = Vec::new();
        t.extend_from_slice(&header("PaxHeaders/x", b'x', recs.len()));
        t.extend(padded(&recs));
        t.extend_from_slice(&header("GNUSparseFile.0/file", b'0', 3));
        t.extend(padded(b"abc"));
        t.extend([0u8; 1024]);
        let mut r = TarReader::new(&t[..]);
        let h = r.next_header().unwrap().unwrap();
        assert_eq!(h.name, b"file");
        assert_eq!(h.size, 100);
        let mut body = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = r.read_body(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        let mut want = vec![0u8; 100];
        want[10..13].copy_from_slice(b"abc");
        assert_eq!(body, want);
        assert!(r.next_header().unwrap().is_none());
    }

    #[test]
    fn special_headers_are_capped_before_they_are_read() {
        // A PAX header that says 1.5 GiB: refused at once, nothing read or allocated.
        let mut t = header("PaxHeaders/x", b'x', 0).to_vec();
        t[124..136].copy_from_slice(format!("{:011o}\0", 3u64 << 29).as_bytes());
        t[148..156].copy_from_slice(b"        ");
        let sum: u32 = t.iter().map(|&b| b as u32).sum();
        t[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let e = TarReader::new(&t[..])
            .next_header()
            .unwrap_err()
            .to_string();
        assert!(e.contains("exceeds the limit"), "{e}");
    }

    #[test]
    fn invalid_pax_records_are_refused() {
        let e = parse_pax(b"12 path=a\0b\n").unwrap_err().to_string();
        assert!(e.contains("NUL"), "{e}");
        assert!(parse_pax(b"9 path=ab\n").is_err());
        assert!(parse_pax(b"6 =ab\n").is_err());
        assert_eq!(parse_pax(b"11 path=ab\n").unwrap()[0].1, b"ab");
        // Other keys may hold NULs in their values.
        assert!(parse_pax(b"15 comment=a\0b\n").is_ok());
    }

    #[test]
    fn header_only_types_have_no_body_whatever_they_declare() {
        let mut t = Vec::new();
        t.extend_from_slice(&header("d/", b'5', 512));
        t.extend_from_slice(&header("f", b'0', 2));
        t.extend(padded(b"hi"));
        t.extend([0u8; 1024]);
        let mut r = TarReader::new(&t[..]);
        assert_eq!(r.next_header().unwrap().unwrap().typeflag, b'5');
        let f = r.next_header().unwrap().unwrap();
        assert_eq!(f.name, b"f");
    }

    #[test]
    fn a_zero_block_then_data_is_invalid() {
        let mut t = vec![0u8; BLOCK];
        t.extend_from_slice(&header("f", b'0', 0));
        assert!(TarReader::new(&t[..]).next_header().is_err());
        // One zero block and then the end is a clean end.
        assert!(
            TarReader::new(&[0u8; BLOCK][..])
                .next_header()
                .unwrap()
                .is_none()
        );
    }
}
