//! One verdict per image: every command reads layers through the one interpreter, so a valid
//! image opens everywhere and an invalid one is refused everywhere, with the same reason.
//!
//! Each case is a small image whose verdict was taken from the live daemon (`docker load`,
//! then `docker export` of a container for the accepted ones). When a daemon is at hand
//! (`STRATA_DOCKER_HOST`, set by scripts/test.sh; required under `CI=true`), each case is also
//! loaded into it and the daemon's verdict must be the table's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::build::{gnu_tar_layer, layer, legacy, pax_layer};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";

enum Verdict {
    /// Every command succeeds; `cat PATH` prints the bytes.
    Accept(&'static str, &'static str),
    /// Every command fails with one line holding this text.
    Refuse(&'static str),
}

enum Wrap {
    Plain,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
}

fn base() -> Vec<(&'static str, char, &'static str)> {
    vec![
        ("usr/", 'd', ""),
        ("usr/bin/", 'd', ""),
        ("usr/bin/tool", 'f', "#!/bin/sh\n"),
        ("bin", 's', "usr/bin"),
        ("sbin", 's', "usr/sbin"),
        ("lib", 's', "usr/lib"),
        ("etc/", 'd', ""),
        ("etc/passwd", 'f', PASSWD),
    ]
}

fn with(extra: &[(&'static str, char, &'static str)]) -> Vec<u8> {
    let mut e = base();
    e.extend_from_slice(extra);
    layer(&e)
}

fn strata(env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut c = common::strata_cmd();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run strata")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn docker_verdict(archive: &Path) -> Option<Result<(), String>> {
    let host = std::env::var("STRATA_DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty());
    let Some(host) = host else {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true but STRATA_DOCKER_HOST is not set (scripts/test.sh starts the daemon)"
        );
        return None;
    };
    let docker = if Path::new("/usr/local/bin/docker").exists() {
        "/usr/local/bin/docker"
    } else {
        "docker"
    };
    let o = Command::new(docker)
        .args(["load", "-q", "-i"])
        .arg(archive)
        .env("DOCKER_HOST", &host)
        .output()
        .expect("docker load");
    Some(if o.status.success() {
        let id = text(&o.stdout);
        if let Some(img) = id.trim().strip_prefix("Loaded image: ") {
            let _ = Command::new(docker)
                .args(["rmi", "-f", img])
                .env("DOCKER_HOST", &host)
                .output();
        }
        Ok(())
    } else {
        Err(text(&o.stderr))
    })
}

fn check(name: &str, layers: Vec<Vec<u8>>, wrap: Wrap, verdict: Verdict) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let plain = legacy(d, "image.tar", &layers, |_, e| {
        e["RepoTags"] = serde_json::json!([format!("verdicts/{}:1", name.replace('_', "-"))]);
    });
    let bytes = std::fs::read(&plain).unwrap();
    let wrap_kind = wrap;
    let (file, packed) = match &wrap_kind {
        Wrap::Plain => ("image.tar", bytes),
        Wrap::Gzip => ("image.tar.gz", common::build::gzip(&bytes)),
        Wrap::Zstd => ("image.tar.zst", zstd::encode_all(&bytes[..], 3).unwrap()),
        Wrap::Xz => {
            let mut x = liblzma::write::XzEncoder::new(Vec::new(), 3);
            x.write_all(&bytes).unwrap();
            ("image.tar.xz", x.finish().unwrap())
        }
        Wrap::Bzip2 => {
            let mut b = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            b.write_all(&bytes).unwrap();
            ("image.tar.bz2", b.finish().unwrap())
        }
    };
    let archive = d.join(file);
    std::fs::write(&archive, &packed).unwrap();
    let img = format!("docker-archive:{}", archive.display());
    let cache = d.join("cache");
    let store = d.join("store");
    let env = [
        ("XDG_CACHE_HOME", cache.as_path()),
        ("STRATA_ROOT", store.as_path()),
    ];
    let export = d.join("export.tar");
    let export = export.display().to_string();
    let unpacked = d.join("unpacked");
    let unpacked = unpacked.display().to_string();
    let path = match verdict {
        Verdict::Accept(p, _) => p,
        Verdict::Refuse(_) => "/etc/passwd",
    };
    let archive_s = archive.display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["inspect", &img],
        vec!["history", &img],
        vec!["layers", &img],
        vec!["ls", "-R", &img],
        vec!["changes", &img],
        vec!["export", "-o", &export, &img],
        vec!["unpack", &img, &unpacked],
        vec!["cat", &img, path],
        vec!["efficiency", &img],
        vec!["load", "-q", "-i", &archive_s],
    ];
    let mut problems = Vec::new();
    let mut outputs = Vec::new();
    for args in &runs {
        let o = strata(&env, args);
        let err = text(&o.stderr);
        match &verdict {
            Verdict::Accept(_, want) => {
                if !o.status.success() {
                    problems.push(format!("strata {} refuses it: {err}", args[0]));
                } else if args[0] == "cat" && o.stdout != want.as_bytes() {
                    problems.push(format!("cat {path} printed {:?}", text(&o.stdout)));
                }
            }
            Verdict::Refuse(why) => {
                if o.status.code() != Some(1)
                    || err.trim().lines().count() != 1
                    || !err.contains(why)
                    || err.contains("panicked")
                {
                    problems.push(format!(
                        "strata {}: exit {:?}, want one line with {why:?}: {err}",
                        args[0],
                        o.status.code()
                    ));
                }
            }
        }
        outputs.push((args[0], o.stdout));
    }
    let images = strata(&env, &["images", "-q"]);
    match &verdict {
        Verdict::Accept(_, want) => {
            // The loaded image reads the same from the store.
            let tag = format!("verdicts/{}:1", name.replace('_', "-"));
            let listed = strata(&env, &["ls", "-R", &tag]);
            let from_archive = &outputs.iter().find(|(c, _)| *c == "ls").unwrap().1;
            if !listed.status.success() || &listed.stdout != from_archive {
                problems.push(format!(
                    "ls -R from the store differs: {}{}",
                    text(&listed.stdout),
                    text(&listed.stderr)
                ));
            }
            let c = strata(&env, &["cat", &tag, path]);
            if c.stdout != want.as_bytes() {
                problems.push(format!("cat from the store: {}", text(&c.stderr)));
            }
            let again = d.join("unpacked-store");
            let u = strata(&env, &["unpack", &tag, &again.display().to_string()]);
            if !u.status.success() {
                problems.push(format!("unpack from the store: {}", text(&u.stderr)));
            }
        }
        Verdict::Refuse(_) => {
            if !images.stdout.is_empty() {
                problems.push(format!(
                    "a refused load left images: {}",
                    text(&images.stdout)
                ));
            }
            if Path::new(&unpacked).exists()
                && std::fs::read_dir(&unpacked).unwrap().next().is_some()
            {
                problems.push("a refused unpack wrote files".into());
            }
        }
    }
    // Docker 20.10 (the daemon here) predates zstd in `docker load`; 23.0 reads it, and
    // strata follows the newer daemon there.
    let daemon_knows = !matches!(wrap_kind, Wrap::Zstd);
    if let Some(docker) = docker_verdict(&archive).filter(|_| daemon_knows) {
        match (&verdict, docker) {
            (Verdict::Accept(..), Err(e)) => {
                problems.push(format!("the table accepts it, but docker load says: {e}"))
            }
            (Verdict::Refuse(_), Ok(())) => {
                problems.push("the table refuses it, but docker load accepts it".into())
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

macro_rules! verdict {
    ($name:ident, $wrap:expr, $verdict:expr, $($layer:expr),+ $(,)?) => {
        #[test]
        fn $name() {
            check(stringify!($name), vec![$($layer),+], $wrap, $verdict);
        }
    };
}

use Verdict::{Accept, Refuse};
use Wrap::Plain;

// Valid: Docker accepts these (and so must every strata command).
verdict!(
    merged_usr_symlinks,
    Plain,
    Accept("/bin/tool", "#!/bin/sh\n"),
    with(&[])
);
verdict!(
    relative_symlink_climbing_above_the_root,
    Plain,
    Accept("/opt/rel", PASSWD),
    with(&[]),
    layer(&[("opt/", 'd', ""), ("opt/rel", 's', "../../etc/passwd")])
);
verdict!(
    dot_and_absolute_member_names,
    Plain,
    Accept("/srv/app", "app\n"),
    layer(&[
        ("./", 'd', ""),
        ("./etc/", 'd', ""),
        ("./etc/passwd", 'f', PASSWD)
    ]),
    layer(&[
        ("/", 'd', ""),
        ("/srv/", 'd', ""),
        ("/srv/app", 'f', "app\n")
    ])
);
verdict!(
    dotdot_member_name_stops_at_the_root,
    Plain,
    Accept("/evil", "x"),
    with(&[("../../evil", 'f', "x")])
);
verdict!(
    hardlink_target_with_dotdot_and_slash,
    Plain,
    Accept("/h2", PASSWD),
    with(&[("h", 'h', "../../etc/passwd"), ("h2", 'h', "/etc/passwd")])
);
verdict!(
    hardlink_to_a_symlink,
    Plain,
    Accept("/h", PASSWD),
    with(&[("s", 's', "etc/passwd"), ("h", 'h', "s")])
);
verdict!(
    write_through_a_symlink_of_the_same_layer,
    Plain,
    Accept("/etc/new", "n"),
    with(&[("lnk", 's', "/etc"), ("lnk/new", 'f', "n")])
);
verdict!(
    write_under_a_lower_layers_symlink,
    Plain,
    Accept("/lnk/x", "x"),
    with(&[("lnk", 's', "/etc")]),
    layer(&[("lnk/x", 'f', "x")])
);
verdict!(
    file_under_a_lower_layers_file,
    Plain,
    Accept("/f/x", "x"),
    with(&[("f", 'f', "plain")]),
    layer(&[("f/x", 'f', "x")])
);
verdict!(
    whiteout_opaque_then_recreate,
    Plain,
    Accept("/etc/link", "n\n"),
    with(&[]),
    layer(&[
        ("etc/", 'd', ""),
        ("etc/.wh..wh..opq", 'f', ""),
        ("etc/new", 'f', "n\n"),
        ("etc/link", 'h', "etc/new"),
        ("usr/bin/.wh.tool", 'f', ""),
        (".wh.lib", 'f', ""),
        ("lib", 'f', "now a file"),
    ])
);
verdict!(
    zeros_after_the_end_of_the_tar,
    Plain,
    Accept("/etc/passwd", PASSWD),
    {
        let mut l = with(&[]);
        l.extend(vec![0u8; 5 << 20]);
        l
    }
);
verdict!(
    archive_gzip,
    Wrap::Gzip,
    Accept("/bin/tool", "#!/bin/sh\n"),
    with(&[])
);
verdict!(
    archive_zstd,
    Wrap::Zstd,
    Accept("/bin/tool", "#!/bin/sh\n"),
    with(&[])
);
verdict!(
    archive_xz,
    Wrap::Xz,
    Accept("/bin/tool", "#!/bin/sh\n"),
    with(&[])
);
verdict!(
    archive_bzip2,
    Wrap::Bzip2,
    Accept("/bin/tool", "#!/bin/sh\n"),
    with(&[])
);

// Invalid: Docker refuses these (and so must every strata command).
verdict!(
    duplicate_member_name,
    Plain,
    Refuse("duplicates of file paths not supported"),
    with(&[("./etc/passwd", 'f', "again\n")])
);
verdict!(
    hardlink_to_a_lower_layer,
    Plain,
    Refuse("not in this layer"),
    with(&[]),
    layer(&[("h", 'h', "etc/passwd")])
);
verdict!(
    hardlink_to_a_missing_file,
    Plain,
    Refuse("not in this layer"),
    with(&[("h", 'h', "../../etc/nothere")])
);
verdict!(
    hardlink_to_a_directory,
    Plain,
    Refuse("directory"),
    with(&[("h", 'h', "etc")])
);
verdict!(
    entry_under_a_file_of_the_same_layer,
    Plain,
    Refuse("not a directory"),
    with(&[("f", 'f', "x"), ("f/x", 'f', "y")])
);
verdict!(
    whiteout_of_a_path_the_layer_holds,
    Plain,
    Refuse("already holds"),
    with(&[("a", 'f', "x"), (".wh.a", 'f', "")])
);
verdict!(
    entry_under_a_dangling_symlink,
    Plain,
    Refuse("no such file"),
    with(&[("l", 's', "nowhere"), ("l/x", 'f', "y")])
);

// Tar formats real tools write, read as Go's archive/tar reads them.
const SPARSE: &[(u64, &[u8])] = &[(1 << 20, b"hello"), (2 << 20, b"tail")];

// (The sparse file's bytes are compared in tests/formats.rs.)
verdict!(
    pax_sparse_1_0,
    Plain,
    Accept("/small", "n"),
    gnu_tar_layer(
        &[("sparse.bin", 3 << 20, SPARSE), ("small", 1, &[(0, b"n")])],
        &["--format=posix", "--sparse", "--sparse-version=1.0"]
    )
);
verdict!(
    pax_sparse_0_1,
    Plain,
    Accept("/small", "n"),
    gnu_tar_layer(
        &[("sparse.bin", 3 << 20, SPARSE), ("small", 1, &[(0, b"n")])],
        &["--format=posix", "--sparse", "--sparse-version=0.1"]
    )
);
verdict!(
    pax_sparse_0_0,
    Plain,
    Accept("/small", "n"),
    gnu_tar_layer(
        &[("sparse.bin", 3 << 20, SPARSE), ("small", 1, &[(0, b"n")])],
        &["--format=posix", "--sparse", "--sparse-version=0.0"]
    )
);
// Go's reader reads old GNU sparse files, but Docker's unpack refuses their type flag.
verdict!(
    old_gnu_sparse,
    Plain,
    Refuse("unhandled tar header type 83"),
    gnu_tar_layer(
        &[("sparse.bin", 3 << 20, SPARSE)],
        &["--format=gnu", "--sparse"]
    )
);
verdict!(
    nul_byte_in_a_pax_path,
    Plain,
    Refuse("NUL"),
    pax_layer(&[("path", b"etc/ok\0../../x")], "placeholder", b"x")
);
verdict!(
    pax_header_over_one_mebibyte,
    Plain,
    Refuse("exceeds the limit"),
    pax_layer(&[("comment", &[b'c'; (1 << 20) + 16])], "f", b"x")
);
