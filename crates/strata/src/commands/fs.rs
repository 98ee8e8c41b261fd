//! The filesystem commands, all over the one merge engine (`strata_core::tree`):
//! `changes`, `ls`, `cat`, `export`, `unpack`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use strata_core::image::Image;
use strata_core::tree::{self, ChangeLine, Kind, LayerIndex, Node, Tree};

use crate::output::print;

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// An opened image, its layer indexes, the merged tree and each layer's change lines.
type Merged = (Image, Vec<LayerIndex>, Tree, Vec<Vec<ChangeLine>>);

/// One layer's spool: its file and where each wanted entry's bytes are in it.
type LayerSpool = (Option<File>, Vec<((usize, u64), (u64, u64))>);

/// Opens an image and merges its layers (all, or up to and including `upto`).
fn merged(name: &str, platform: Option<&str>, upto: Option<usize>) -> Result<Merged> {
    let (_, image) = super::open_image(name, platform)?;
    let mut indexes = tree::index_image(&image)?;
    if let Some(n) = upto {
        if n >= indexes.len() {
            bail!(
                "{name} has {} layers (0 to {}); no layer {n}",
                indexes.len(),
                indexes.len().saturating_sub(1)
            );
        }
        indexes.truncate(n + 1);
    }
    let (t, lines) = tree::merge(&image.source().describe(), &indexes)?;
    Ok((image, indexes, t, lines))
}

/// Options of `changes`.
#[derive(clap::Args)]
pub struct ChangesArgs {
    /// Only this layer (0 is the base).
    #[arg(long, value_name = "N")]
    layer: Option<usize>,
    /// Add each entry's size.
    #[arg(short, long)]
    size: bool,
    /// Platform of a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "Image (store name, docker-archive:, oci:, oci-archive:, docker://)",
        value_name = "IMAGE"
    )]
    image: String,
}

/// Runs `changes`: per layer, `docker diff`'s `A`/`C`/`D` lines.
pub fn run_changes(args: ChangesArgs) -> Result<ExitCode> {
    let (image, _, _, lines) = merged(&args.image, args.platform.as_deref(), args.layer)?;
    let history = image.history().unwrap_or_default();
    let steps: Vec<String> = history
        .iter()
        .filter(|h| !h.empty_layer)
        .map(|h| h.created_by.clone())
        .collect();
    let mut out = String::new();
    for (i, ls) in lines.iter().enumerate() {
        if args.layer.is_some_and(|n| n != i) {
            continue;
        }
        if args.layer.is_none() {
            let step = steps.get(i).map(String::as_str).unwrap_or("");
            out.push_str(&format!(
                "# layer {i} {} {}\n",
                image.layers[i].diff_id,
                step.replace('\n', " ")
            ));
        }
        for l in ls {
            if args.size {
                out.push_str(&format!("{} {:>12} /{}\n", l.op, l.size, lossy(&l.path)));
            } else {
                out.push_str(&format!("{} /{}\n", l.op, lossy(&l.path)));
            }
        }
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// Options of `ls`.
#[derive(clap::Args)]
pub struct LsArgs {
    /// Long listing: type and mode, owner, size, time, layer, link target.
    #[arg(short, long)]
    long: bool,
    /// List subdirectories recursively (full paths).
    #[arg(short = 'R', long)]
    recursive: bool,
    /// The filesystem as of this layer (0 is the base).
    #[arg(long, value_name = "N")]
    layer: Option<usize>,
    /// Platform of a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "Image (store name, docker-archive:, oci:, oci-archive:, docker://)",
        value_name = "IMAGE"
    )]
    image: String,
    /// Directory or file inside the image (default /).
    #[arg(value_name = "PATH")]
    path: Option<String>,
}

/// `drwxr-xr-x` for a node.
pub fn mode_string(n: &Node) -> String {
    let m = n.mode;
    let mut s = String::with_capacity(10);
    s.push(n.kind.letter());
    let bit = |b: u32, c: char| if m & b != 0 { c } else { '-' };
    let special = |x: u32, sp: u32, lower: char, upper: char| match (m & x != 0, m & sp != 0) {
        (true, true) => lower,
        (false, true) => upper,
        (true, false) => 'x',
        (false, false) => '-',
    };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(0o001, 0o1000, 't', 'T'));
    s
}

fn long_line(path: &str, n: &Node, layer: usize) -> String {
    let time = jiff::Timestamp::from_second(n.mtime)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let size = match n.kind {
        Kind::Char | Kind::Block => format!("{},{}", n.dev.0, n.dev.1),
        _ => n.size.to_string(),
    };
    let mut l = format!(
        "{} {:>5}:{:<5} {:>10} {} L{layer:<2} {path}",
        mode_string(n),
        n.uid,
        n.gid,
        size,
        time
    );
    if n.kind == Kind::Symlink {
        l.push_str(" -> ");
        l.push_str(&lossy(&n.link));
    }
    l
}

/// Runs `ls`.
pub fn run_ls(args: LsArgs) -> Result<ExitCode> {
    let (_, _, t, _) = merged(&args.image, args.platform.as_deref(), args.layer)?;
    let want = args.path.as_deref().unwrap_or("/");
    let dir = t.resolve(want.as_bytes())?;
    let mut out = String::new();
    let show = |out: &mut String, p: &[u8], n: &Node, layer: usize, full: bool| {
        let shown = if full {
            format!("/{}", lossy(p))
        } else {
            lossy(p.rsplit(|&b| b == b'/').next().unwrap_or(p))
        };
        if args.long {
            out.push_str(&long_line(&shown, n, layer));
        } else {
            out.push_str(&shown);
        }
        out.push('\n');
    };
    if !dir.is_empty() {
        match t.get(&dir) {
            None => bail!("{want}: no such file or directory in {}", args.image),
            Some((n, l)) if n.kind != Kind::Dir => {
                show(&mut out, &dir, n, *l, true);
                print(&out);
                return Ok(ExitCode::SUCCESS);
            }
            _ => {}
        }
    }
    if args.recursive {
        let (lo, hi) = if dir.is_empty() {
            (Vec::new(), vec![0xff; 1])
        } else {
            let mut lo = dir.clone();
            lo.push(b'/');
            let mut hi = dir.clone();
            hi.push(b'/' + 1);
            (lo, hi)
        };
        for p in t.walk_order() {
            if dir.is_empty() || (p.as_slice() >= lo.as_slice() && p.as_slice() < hi.as_slice()) {
                if let Some((n, l)) = t.get(p) {
                    show(&mut out, p, n, *l, true);
                }
            }
        }
    } else {
        for (p, (n, l)) in t.children(&dir) {
            show(&mut out, p, n, *l, false);
        }
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// File bodies pulled out of the layers, kept in temporary spool files (one per layer) so
/// output can be written in any order without holding a layer in memory.
struct Spool {
    files: Vec<Option<File>>,
    at: HashMap<(usize, u64), (u64, u64)>,
}

impl Spool {
    fn fill(image: &Image, wanted: &HashSet<(usize, u64)>) -> Result<Spool> {
        let n = image.layers.len();
        let mut files = Vec::with_capacity(n);
        let mut at = HashMap::new();
        let results: Vec<Result<LayerSpool>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    s.spawn(move || -> Result<LayerSpool> {
                        if !wanted.iter().any(|(l, _)| *l == i) {
                            return Ok((None, Vec::new()));
                        }
                        let l = &image.layers[i];
                        let what = format!("{}: layer {}", image.source().describe(), l.diff_id);
                        let m = image.source().open(&l.blob.locator)?;
                        let mut f = tempfile::tempfile().context("creating a spool file")?;
                        let mut pos = 0u64;
                        let mut got = Vec::new();
                        tree::for_each_body(
                            &what,
                            m.reader,
                            &|o| wanted.contains(&(i, o)),
                            &mut |o, r| {
                                let k =
                                    io::copy(r, &mut f).map_err(|e| strata_core::Error::Read {
                                        what: what.clone(),
                                        source: e,
                                    })?;
                                got.push(((i, o), (pos, k)));
                                pos += k;
                                Ok(())
                            },
                        )?;
                        Ok((Some(f), got))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("spool thread panicked")))
                })
                .collect()
        });
        for r in results {
            let (f, got) = r?;
            files.push(f);
            at.extend(got);
        }
        Ok(Spool { files, at })
    }

    fn copy_to(&self, src: (usize, u64), out: &mut dyn Write) -> Result<u64> {
        let Some(&(off, len)) = self.at.get(&src) else {
            bail!("content of layer {} entry {} was not found", src.0, src.1);
        };
        let Some(Some(f)) = self.files.get(src.0) else {
            bail!("no spool for layer {}", src.0);
        };
        let mut buf = vec![0u8; 1 << 16];
        let mut done = 0u64;
        while done < len {
            let k = buf.len().min((len - done) as usize);
            f.read_exact_at(&mut buf[..k], off + done)?;
            out.write_all(&buf[..k])?;
            done += k as u64;
        }
        Ok(len)
    }
}

/// Options of `cat`.
#[derive(clap::Args)]
pub struct CatArgs {
    /// Platform of a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "Image (store name, docker-archive:, oci:, oci-archive:, docker://)",
        value_name = "IMAGE"
    )]
    image: String,
    /// File inside the image (symlinks are followed inside the image root).
    #[arg(value_name = "PATH")]
    path: String,
}

/// Runs `cat`.
pub fn run_cat(args: CatArgs) -> Result<ExitCode> {
    let (image, _, t, _) = merged(&args.image, args.platform.as_deref(), None)?;
    let p = t.resolve(args.path.as_bytes())?;
    let Some((n, _)) = t.get(&p) else {
        bail!("{}: no such file in {}", args.path, args.image);
    };
    if n.kind != Kind::File {
        bail!(
            "{}: not a regular file (it is {})",
            args.path,
            mode_string(n)
        );
    }
    let mut wanted = HashSet::new();
    wanted.insert(n.source);
    let spool = Spool::fill(&image, &wanted)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match spool
        .copy_to(n.source, &mut out)
        .and_then(|_| Ok(out.flush()?))
    {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e)
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e),
    }
}

/// Options of `export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Write to a file ("-" for STDOUT).
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// Platform of a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "Image (store name, docker-archive:, oci:, oci-archive:, docker://)",
        value_name = "IMAGE"
    )]
    image: String,
}

fn content_sources(t: &Tree) -> HashSet<(usize, u64)> {
    t.iter()
        .filter(|(_, (n, _))| n.kind == Kind::File && n.size > 0)
        .map(|(_, (n, _))| n.source)
        .collect()
}

/// Runs `export`: the flattened filesystem as a tar, in `docker export`'s order.
pub fn run_export(args: ExportArgs) -> Result<ExitCode> {
    let (image, _, t, _) = merged(&args.image, args.platform.as_deref(), None)?;
    let spool = Spool::fill(&image, &content_sources(&t))?;
    let out: Box<dyn Write> = match args.output.as_deref() {
        None | Some("-") => {
            if args.output.is_none() && io::IsTerminal::is_terminal(&io::stdout()) {
                bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            Box::new(io::BufWriter::with_capacity(1 << 20, io::stdout().lock()))
        }
        Some(p) => Box::new(io::BufWriter::with_capacity(
            1 << 20,
            File::create(p).with_context(|| format!("creating {p}"))?,
        )),
    };
    let mut b = tar::Builder::new(out);
    let mut first_path: HashMap<u64, Vec<u8>> = HashMap::new();
    for p in t.walk_order() {
        let Some((n, _)) = t.get(p) else { continue };
        let mut h = tar::Header::new_gnu();
        h.set_mode(n.mode);
        h.set_uid(n.uid);
        h.set_gid(n.gid);
        h.set_mtime(n.mtime.max(0) as u64);
        h.set_size(0);
        let mut name = p.clone();
        if !n.xattrs.is_empty() {
            let recs: Vec<(String, &[u8])> = n
                .xattrs
                .iter()
                .map(|(k, v)| (format!("SCHILY.xattr.{k}"), v.as_slice()))
                .collect();
            b.append_pax_extensions(recs.iter().map(|(k, v)| (k.as_str(), *v)))?;
        }
        match n.kind {
            Kind::Dir => {
                name.push(b'/');
                h.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut h, bytes_path(&name), io::empty())?;
            }
            Kind::File => {
                if let Some(first) = first_path.get(&n.inode) {
                    h.set_entry_type(tar::EntryType::Link);
                    b.append_link(&mut h, bytes_path(&name), bytes_path(first))?;
                    continue;
                }
                first_path.insert(n.inode, name.clone());
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(n.size);
                if n.size == 0 {
                    b.append_data(&mut h, bytes_path(&name), io::empty())?;
                } else {
                    let mut data = Vec::new();
                    // Small files go through memory; large ones stream from the spool.
                    if n.size <= 1 << 20 {
                        spool.copy_to(n.source, &mut data)?;
                        b.append_data(&mut h, bytes_path(&name), &data[..])?;
                    } else {
                        let reader = SpoolReader::new(&spool, n.source)?;
                        b.append_data(&mut h, bytes_path(&name), reader)?;
                    }
                }
            }
            Kind::Symlink => {
                h.set_entry_type(tar::EntryType::Symlink);
                b.append_link(&mut h, bytes_path(&name), bytes_path(&n.link))?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                h.set_entry_type(match n.kind {
                    Kind::Char => tar::EntryType::Char,
                    Kind::Block => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                });
                h.set_device_major(n.dev.0)?;
                h.set_device_minor(n.dev.1)?;
                b.append_data(&mut h, bytes_path(&name), io::empty())?;
            }
        }
    }
    let mut out = b.into_inner()?;
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => {
            r?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn bytes_path(p: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(p))
}

struct SpoolReader<'a> {
    file: &'a File,
    off: u64,
    left: u64,
}

impl<'a> SpoolReader<'a> {
    fn new(s: &'a Spool, src: (usize, u64)) -> Result<SpoolReader<'a>> {
        let Some(&(off, len)) = s.at.get(&src) else {
            bail!("content of layer {} entry {} was not found", src.0, src.1);
        };
        let Some(Some(file)) = s.files.get(src.0) else {
            bail!("no spool for layer {}", src.0);
        };
        Ok(SpoolReader {
            file,
            off,
            left: len,
        })
    }
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = buf.len().min(self.left as usize);
        if k == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..k], self.off)?;
        self.off += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Options of `unpack`.
#[derive(clap::Args)]
pub struct UnpackArgs {
    /// Platform of a multi-platform image.
    #[arg(long)]
    platform: Option<String>,
    #[arg(
        help = "Image (store name, docker-archive:, oci:, oci-archive:, docker://)",
        value_name = "IMAGE"
    )]
    image: String,
    /// Directory to create (must not exist, or be empty).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `unpack`: the merged filesystem written to a new directory. Every path comes from the
/// merged tree, whose parents are real directories this command created, so no write can
/// follow a link out of DIR.
pub fn run_unpack(args: UnpackArgs) -> Result<ExitCode> {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let (image, _, t, _) = merged(&args.image, args.platform.as_deref(), None)?;
    let root = &args.dir;
    if root.exists() {
        if std::fs::read_dir(root)
            .with_context(|| format!("reading {}", root.display()))?
            .next()
            .is_some()
        {
            bail!("{}: directory is not empty", root.display());
        }
    } else {
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    }
    let spool = Spool::fill(&image, &content_sources(&t))?;
    let is_root = rustix_is_root();
    let mut first_path: HashMap<u64, PathBuf> = HashMap::new();
    let mut dirs: Vec<(PathBuf, &Node)> = Vec::new();
    for p in t.walk_order() {
        let Some((n, _)) = t.get(p) else { continue };
        let dest = root.join(bytes_path(p));
        match n.kind {
            Kind::Dir => {
                std::fs::create_dir(&dest)
                    .with_context(|| format!("creating {}", dest.display()))?;
                dirs.push((dest, n));
                continue;
            }
            Kind::File => {
                if let Some(first) = first_path.get(&n.inode) {
                    std::fs::hard_link(first, &dest)
                        .with_context(|| format!("linking {}", dest.display()))?;
                    continue;
                }
                let mut f = File::options()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .with_context(|| format!("creating {}", dest.display()))?;
                if n.size > 0 {
                    spool.copy_to(n.source, &mut f)?;
                }
                first_path.insert(n.inode, dest.clone());
            }
            Kind::Symlink => {
                symlink(bytes_path(&n.link), &dest)
                    .with_context(|| format!("creating {}", dest.display()))?;
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                // Device nodes need privileges; an unprivileged unpack skips them, as rootless
                // umoci does.
                if !mknod(&dest, n) {
                    continue;
                }
            }
        }
        set_meta(&dest, n, is_root)?;
    }
    // Directories last, deepest first, so adding entries does not disturb their times.
    for (d, n) in dirs.iter().rev() {
        set_meta(d, n, is_root)?;
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(n.mode));
    }
    Ok(ExitCode::SUCCESS)
}

fn rustix_is_root() -> bool {
    std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
            .unwrap_or(false)
}

fn mknod(dest: &Path, n: &Node) -> bool {
    let kind = match n.kind {
        Kind::Char => "c",
        Kind::Block => "b",
        _ => "p",
    };
    let mut c = std::process::Command::new("mknod");
    c.arg(dest).arg(kind);
    if kind != "p" {
        c.arg(n.dev.0.to_string()).arg(n.dev.1.to_string());
    }
    c.status().map(|s| s.success()).unwrap_or(false)
}

fn set_meta(dest: &Path, n: &Node, is_root: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if is_root {
        std::os::unix::fs::lchown(dest, Some(n.uid as u32), Some(n.gid as u32))
            .with_context(|| format!("chown {}", dest.display()))?;
    }
    if n.kind != Kind::Symlink {
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(n.mode))
            .with_context(|| format!("chmod {}", dest.display()))?;
    }
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(n.mtime.max(0) as u64);
    if matches!(n.kind, Kind::File | Kind::Dir) {
        let f = File::options().read(true).open(dest);
        if let Ok(f) = f {
            let _ = f.set_times(std::fs::FileTimes::new().set_modified(t).set_accessed(t));
        }
    }
    Ok(())
}
