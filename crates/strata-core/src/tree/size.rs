//! Docker's overlay2 size of a layer: replays moby's `archive.Unpack` (overlay whiteout
//! conversion) on tar headers, counting what the unpacked directory holds.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};

use super::{base_of, clean_entry_name, parent_of};
use crate::error::{Error, Result};
use crate::layer::read_err;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    /// Anything else, sharing an inode (hardlinks share one).
    NonDir(u64),
}

/// The directory a layer unpacks into, as far as sizes go: replays moby's `archive.Unpack`
/// (overlay whiteout conversion) on tar headers.
pub struct LayerModel {
    what: String,
    nodes: BTreeMap<Vec<u8>, Kind>,
    inodes: HashMap<u64, (u64, u32)>,
    next_inode: u64,
    total: u64,
    /// Tar entries seen.
    pub entries: u64,
}

impl LayerModel {
    /// An empty model; `what` names the layer in errors.
    pub fn new(what: &str) -> LayerModel {
        LayerModel {
            what: what.to_string(),
            nodes: BTreeMap::new(),
            inodes: HashMap::new(),
            next_inode: 0,
            total: 0,
            entries: 0,
        }
    }

    /// Docker's size of what has been applied so far.
    pub fn size(&self) -> u64 {
        self.total
    }

    fn unsafe_path(&self, entry: &[u8], reason: impl Into<String>) -> Error {
        Error::UnsafePath {
            what: self.what.clone(),
            entry: String::from_utf8_lossy(entry).into_owned(),
            reason: reason.into(),
        }
    }

    /// Reads a whole tar stream (every byte, so the caller's hash covers it) and applies it.
    pub fn walk(&mut self, r: &mut dyn Read) -> Result<()> {
        let mut archive = tar::Archive::new(r);
        let what = self.what.clone();
        let bad = |e: io::Error| read_err(&format!("{what}: invalid tar"), e);
        for entry in archive.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            self.entries += 1;
            let name = entry.path_bytes().into_owned();
            let header = entry.header();
            let kind = header.entry_type();
            let size = entry.size();
            let link = entry.link_name_bytes().map(|l| l.into_owned());
            self.apply(&name, kind, size, link.as_deref())?;
            // Drain the body through the caller's hasher.
            io::copy(&mut entry, &mut io::sink()).map_err(bad)?;
        }
        Ok(())
    }

    fn unref(&mut self, kind: Kind) {
        if let Kind::NonDir(ino) = kind {
            if let Some((size, refs)) = self.inodes.get_mut(&ino) {
                *refs -= 1;
                if *refs == 0 {
                    self.total -= *size;
                    self.inodes.remove(&ino);
                }
            }
        }
    }

    fn remove_all(&mut self, path: &[u8]) {
        if let Some(k) = self.nodes.remove(path) {
            self.unref(k);
            if k == Kind::Dir {
                let mut lo = path.to_vec();
                lo.push(b'/');
                let mut hi = path.to_vec();
                hi.push(b'/' + 1);
                let doomed: Vec<Vec<u8>> =
                    self.nodes.range(lo..hi).map(|(k, _)| k.clone()).collect();
                for d in doomed {
                    if let Some(k) = self.nodes.remove(&d) {
                        self.unref(k);
                    }
                }
            }
        }
    }

    fn new_inode(&mut self, size: u64) -> Kind {
        self.next_inode += 1;
        self.inodes.insert(self.next_inode, (size, 1));
        self.total += size;
        Kind::NonDir(self.next_inode)
    }

    fn ensure_parents(&mut self, path: &[u8]) -> Result<()> {
        let mut ancestors = Vec::new();
        let mut p = parent_of(path);
        while let Some(dir) = p {
            match self.nodes.get(dir) {
                Some(Kind::Dir) => break,
                Some(Kind::NonDir(_)) => {
                    return Err(Error::malformed(
                        self.what.clone(),
                        format!(
                            "entry {:?}: parent {:?} is not a directory",
                            String::from_utf8_lossy(path),
                            String::from_utf8_lossy(dir)
                        ),
                    ));
                }
                None => ancestors.push(dir.to_vec()),
            }
            p = parent_of(dir);
        }
        for a in ancestors {
            self.nodes.insert(a, Kind::Dir);
        }
        Ok(())
    }

    /// Applies one tar entry.
    pub fn apply(
        &mut self,
        raw_name: &[u8],
        kind: tar::EntryType,
        size: u64,
        link: Option<&[u8]>,
    ) -> Result<()> {
        if matches!(
            kind,
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
        ) {
            return Ok(());
        }
        let path = match clean_entry_name(raw_name) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(()),
            Err(reason) => return Err(self.unsafe_path(raw_name, reason)),
        };
        self.ensure_parents(&path)?;
        let is_dir = kind == tar::EntryType::Directory;
        if let Some(existing) = self.nodes.get(&path).copied() {
            if !(existing == Kind::Dir && is_dir) {
                self.remove_all(&path);
            }
        }
        let base = base_of(&path);
        if base == b".wh..wh..opq" {
            // Becomes an xattr on the parent directory: no file, no size.
            return Ok(());
        }
        if let Some(original) = base.strip_prefix(b".wh.") {
            // Becomes a 0/0 character device named after the deleted file.
            let mut target = parent_of(&path).map(|p| p.to_vec()).unwrap_or_default();
            if !target.is_empty() {
                target.push(b'/');
            }
            target.extend_from_slice(original);
            self.remove_all(&target);
            let k = self.new_inode(0);
            self.nodes.insert(target, k);
            return Ok(());
        }
        let node = match kind {
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                self.new_inode(size)
            }
            tar::EntryType::Symlink => {
                let target = link.unwrap_or_default();
                if target.first() != Some(&b'/') {
                    // moby: Join(Dir(path), target) must stay inside the root.
                    let mut joined = parent_of(&path).map(|p| p.to_vec()).unwrap_or_default();
                    joined.push(b'/');
                    joined.extend_from_slice(target);
                    if clean_entry_name(&joined).is_err() {
                        return Err(self.unsafe_path(
                            raw_name,
                            format!(
                                "symlink target {:?} points outside the image root",
                                String::from_utf8_lossy(target)
                            ),
                        ));
                    }
                }
                self.new_inode(target.len() as u64)
            }
            tar::EntryType::Link => {
                let target = link.unwrap_or_default();
                let clean = match clean_entry_name(target) {
                    Ok(Some(t)) => t,
                    Ok(None) | Err(_) => {
                        return Err(self.unsafe_path(
                            raw_name,
                            format!(
                                "hardlink target {:?} points outside the image root",
                                String::from_utf8_lossy(target)
                            ),
                        ));
                    }
                };
                match self.nodes.get(&clean).copied() {
                    Some(Kind::NonDir(ino)) => {
                        if let Some((_, refs)) = self.inodes.get_mut(&ino) {
                            *refs += 1;
                        }
                        Kind::NonDir(ino)
                    }
                    Some(Kind::Dir) => {
                        return Err(Error::malformed(
                            self.what.clone(),
                            format!(
                                "hardlink {:?} points to a directory",
                                String::from_utf8_lossy(raw_name)
                            ),
                        ));
                    }
                    None => {
                        return Err(Error::malformed(
                            self.what.clone(),
                            format!(
                                "hardlink {:?} points to {:?}, which is not in this layer",
                                String::from_utf8_lossy(raw_name),
                                String::from_utf8_lossy(target)
                            ),
                        ));
                    }
                }
            }
            // Devices, FIFOs: size 0.
            _ => self.new_inode(0),
        };
        self.nodes.insert(path, node);
        Ok(())
    }
}
