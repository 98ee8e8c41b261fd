//! Bad and unknown image names: what `pull`, `push`, `tag`, `history`, `image inspect`,
//! `inspect` and `rmi` print, byte for byte as docker CLI 28.2.2 with the Debian 20.10.24
//! daemon printed them here (recorded from the live pair; CLI-side texts come from
//! distribution/reference v0.6.0, daemon-side ones from the daemon's older rules). With
//! `STRATA_DOCKER_HOST` set, each case is also run through the live docker and compared.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

/// (arguments, stdout, stderr, exit code), recorded from docker.
const CASES: &[(&[&str], &str, &str, i32)] = &[
    (&["pull", "a b"], "", "invalid reference format\n", 1),
    (&["push", "a b"], "", "invalid reference format\n", 1),
    (
        &["tag", "x", "a b"],
        "",
        "Error parsing reference: \"a b\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["tag", "a b", "y"],
        "",
        "Error parsing reference: \"a b\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["history", "a b"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &["image", "inspect", "a b"],
        "[]\n",
        "Error response from daemon: no such image: a b: invalid reference format\n",
        1,
    ),
    (
        &["inspect", "a b"],
        "[]\n",
        "Error: No such object: a b\n",
        1,
    ),
    (
        &["rmi", "a b"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &["pull", "ABC"],
        "",
        "invalid reference format: repository name (library/ABC) must be lowercase\n",
        1,
    ),
    (
        &["push", "ABC"],
        "",
        "invalid reference format: repository name (library/ABC) must be lowercase\n",
        1,
    ),
    (
        &["tag", "x", "ABC"],
        "",
        "Error parsing reference: \"ABC\" is not a valid repository/tag: invalid reference format: repository name (library/ABC) must be lowercase\n",
        1,
    ),
    (
        &["tag", "ABC", "y"],
        "",
        "Error parsing reference: \"ABC\" is not a valid repository/tag: invalid reference format: repository name (library/ABC) must be lowercase\n",
        1,
    ),
    (
        &["history", "ABC"],
        "",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["image", "inspect", "ABC"],
        "[]\n",
        "Error response from daemon: no such image: ABC: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["inspect", "ABC"],
        "[]\n",
        "Error: No such object: ABC\n",
        1,
    ),
    (
        &["rmi", "ABC"],
        "",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["pull", "Foo/bar"],
        "Using default tag: latest\n",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["push", "Foo/bar"],
        "Using default tag: latest\n",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["tag", "x", "Foo/bar"],
        "",
        "Error response from daemon: No such image: x:latest\n",
        1,
    ),
    (
        &["tag", "Foo/bar", "y"],
        "",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["history", "Foo/bar"],
        "",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["image", "inspect", "Foo/bar"],
        "[]\n",
        "Error response from daemon: no such image: Foo/bar: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["inspect", "Foo/bar"],
        "[]\n",
        "Error: No such object: Foo/bar\n",
        1,
    ),
    (
        &["rmi", "Foo/bar"],
        "",
        "Error response from daemon: invalid reference format: repository name must be lowercase\n",
        1,
    ),
    (
        &["pull", "a@sha256:abc"],
        "",
        "invalid reference format\n",
        1,
    ),
    (
        &["push", "a@sha256:abc"],
        "",
        "invalid reference format\n",
        1,
    ),
    (
        &["tag", "x", "a@sha256:abc"],
        "",
        "Error parsing reference: \"a@sha256:abc\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["tag", "a@sha256:abc", "y"],
        "",
        "Error parsing reference: \"a@sha256:abc\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["history", "a@sha256:abc"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &["image", "inspect", "a@sha256:abc"],
        "[]\n",
        "Error response from daemon: no such image: a@sha256:abc: invalid reference format\n",
        1,
    ),
    (
        &["inspect", "a@sha256:abc"],
        "[]\n",
        "Error: No such object: a@sha256:abc\n",
        1,
    ),
    (
        &["rmi", "a@sha256:abc"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &["pull", "a@md5:ffffffffffffffffffffffffffffffff"],
        "",
        "unsupported digest algorithm\n",
        1,
    ),
    (
        &["push", "a@md5:ffffffffffffffffffffffffffffffff"],
        "",
        "unsupported digest algorithm\n",
        1,
    ),
    (
        &["tag", "x", "a@md5:ffffffffffffffffffffffffffffffff"],
        "",
        "Error parsing reference: \"a@md5:ffffffffffffffffffffffffffffffff\" is not a valid repository/tag: unsupported digest algorithm\n",
        1,
    ),
    (
        &["tag", "a@md5:ffffffffffffffffffffffffffffffff", "y"],
        "",
        "Error parsing reference: \"a@md5:ffffffffffffffffffffffffffffffff\" is not a valid repository/tag: unsupported digest algorithm\n",
        1,
    ),
    (
        &["history", "a@md5:ffffffffffffffffffffffffffffffff"],
        "",
        "Error response from daemon: unsupported digest algorithm\n",
        1,
    ),
    (
        &["image", "inspect", "a@md5:ffffffffffffffffffffffffffffffff"],
        "[]\n",
        "Error response from daemon: no such image: a@md5:ffffffffffffffffffffffffffffffff: unsupported digest algorithm\n",
        1,
    ),
    (
        &["inspect", "a@md5:ffffffffffffffffffffffffffffffff"],
        "[]\n",
        "Error response from daemon: no such image: a@md5:ffffffffffffffffffffffffffffffff: unsupported digest algorithm\n",
        1,
    ),
    (
        &["rmi", "a@md5:ffffffffffffffffffffffffffffffff"],
        "",
        "Error response from daemon: unsupported digest algorithm\n",
        1,
    ),
    (
        &["pull", "a@sha256:ffffffffffffffffffffffffffffffff"],
        "",
        "invalid checksum digest length\n",
        1,
    ),
    (
        &["push", "a@sha256:ffffffffffffffffffffffffffffffff"],
        "",
        "invalid checksum digest length\n",
        1,
    ),
    (
        &["tag", "x", "a@sha256:ffffffffffffffffffffffffffffffff"],
        "",
        "Error parsing reference: \"a@sha256:ffffffffffffffffffffffffffffffff\" is not a valid repository/tag: invalid checksum digest length\n",
        1,
    ),
    (
        &["tag", "a@sha256:ffffffffffffffffffffffffffffffff", "y"],
        "",
        "Error parsing reference: \"a@sha256:ffffffffffffffffffffffffffffffff\" is not a valid repository/tag: invalid checksum digest length\n",
        1,
    ),
    (
        &["history", "a@sha256:ffffffffffffffffffffffffffffffff"],
        "",
        "Error response from daemon: invalid checksum digest length\n",
        1,
    ),
    (
        &[
            "image",
            "inspect",
            "a@sha256:ffffffffffffffffffffffffffffffff",
        ],
        "[]\n",
        "Error response from daemon: no such image: a@sha256:ffffffffffffffffffffffffffffffff: invalid checksum digest length\n",
        1,
    ),
    (
        &["inspect", "a@sha256:ffffffffffffffffffffffffffffffff"],
        "[]\n",
        "Error response from daemon: no such image: a@sha256:ffffffffffffffffffffffffffffffff: invalid checksum digest length\n",
        1,
    ),
    (
        &["rmi", "a@sha256:ffffffffffffffffffffffffffffffff"],
        "",
        "Error response from daemon: invalid checksum digest length\n",
        1,
    ),
    (
        &[
            "pull",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "",
        "invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "push",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "",
        "invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "tag",
            "x",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "",
        "Error parsing reference: \"a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\" is not a valid repository/tag: invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "tag",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            "y",
        ],
        "",
        "Error parsing reference: \"a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\" is not a valid repository/tag: invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "history",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "",
        "Error response from daemon: invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "image",
            "inspect",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "[]\n",
        "Error response from daemon: no such image: a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF: invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "inspect",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "[]\n",
        "Error response from daemon: no such image: a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF: invalid checksum digest format\n",
        1,
    ),
    (
        &[
            "rmi",
            "a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        ],
        "",
        "Error response from daemon: invalid checksum digest format\n",
        1,
    ),
    (&["pull", ""], "", "invalid reference format\n", 1),
    (&["push", ""], "", "invalid reference format\n", 1),
    (
        &["tag", "x", ""],
        "",
        "Error parsing reference: \"\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["tag", "", "y"],
        "",
        "Error parsing reference: \"\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["history", ""],
        "",
        "Error response from daemon: page not found\n",
        1,
    ),
    (
        &["image", "inspect", ""],
        "[]\n",
        "Error: No such image: \n",
        1,
    ),
    (
        &["inspect", ""],
        "[]\n",
        "invalid container name or ID: value is empty\n",
        1,
    ),
    (
        &["rmi", ""],
        "",
        "Error response from daemon: page not found\n",
        1,
    ),
    (
        &[
            "pull",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "invalid repository name (ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff), cannot specify 64-byte hexadecimal strings\n",
        1,
    ),
    (
        &[
            "push",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "invalid repository name (ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff), cannot specify 64-byte hexadecimal strings\n",
        1,
    ),
    (
        &[
            "tag",
            "x",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "Error parsing reference: \"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\" is not a valid repository/tag: invalid repository name (ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff), cannot specify 64-byte hexadecimal strings\n",
        1,
    ),
    (
        &[
            "tag",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "y",
        ],
        "",
        "Error response from daemon: No such image: sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "history",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "Error response from daemon: No such image: sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "image",
            "inspect",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "[]\n",
        "Error response from daemon: no such image: ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: No such image: sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "inspect",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "[]\n",
        "Error: No such object: ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "rmi",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "Error response from daemon: No such image: sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (&["pull", "a:b:c"], "", "invalid reference format\n", 1),
    (&["push", "a:b:c"], "", "invalid reference format\n", 1),
    (
        &["tag", "x", "a:b:c"],
        "",
        "Error parsing reference: \"a:b:c\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["tag", "a:b:c", "y"],
        "",
        "Error parsing reference: \"a:b:c\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["history", "a:b:c"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &["image", "inspect", "a:b:c"],
        "[]\n",
        "Error response from daemon: no such image: a:b:c: invalid reference format\n",
        1,
    ),
    (
        &["inspect", "a:b:c"],
        "[]\n",
        "Error: No such object: a:b:c\n",
        1,
    ),
    (
        &["rmi", "a:b:c"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &[
            "pull",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "Using default tag: latest\n",
        "Error response from daemon: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &[
            "push",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "Using default tag: latest\n",
        "Error response from daemon: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &[
            "tag",
            "x",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "",
        "Error response from daemon: No such image: x:latest\n",
        1,
    ),
    (
        &[
            "tag",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "y",
        ],
        "",
        "Error response from daemon: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &[
            "history",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "",
        "Error response from daemon: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &[
            "image",
            "inspect",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "[]\n",
        "Error response from daemon: no such image: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &[
            "inspect",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "[]\n",
        "Error response from daemon: no such image: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &[
            "rmi",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        "",
        "Error response from daemon: repository name must not be more than 255 characters\n",
        1,
    ),
    (
        &["push", "nosuch"],
        "Using default tag: latest\nThe push refers to repository [docker.io/library/nosuch]\n",
        "An image does not exist locally with the tag: nosuch\n",
        1,
    ),
    (
        &["tag", "x", "nosuch"],
        "",
        "Error response from daemon: No such image: x:latest\n",
        1,
    ),
    (
        &["tag", "nosuch", "y"],
        "",
        "Error response from daemon: No such image: nosuch:latest\n",
        1,
    ),
    (
        &["history", "nosuch"],
        "",
        "Error response from daemon: No such image: nosuch:latest\n",
        1,
    ),
    (
        &["image", "inspect", "nosuch"],
        "[]\n",
        "Error response from daemon: no such image: nosuch: No such image: nosuch:latest\n",
        1,
    ),
    (
        &["inspect", "nosuch"],
        "[]\n",
        "Error: No such object: nosuch\n",
        1,
    ),
    (
        &["rmi", "nosuch"],
        "",
        "Error response from daemon: No such image: nosuch:latest\n",
        1,
    ),
    (
        &["push", "sha256:abc"],
        "The push refers to repository [docker.io/library/sha256]\n",
        "An image does not exist locally with the tag: sha256\n",
        1,
    ),
    (
        &["tag", "x", "sha256:abc"],
        "",
        "Error response from daemon: No such image: x:latest\n",
        1,
    ),
    (
        &["tag", "sha256:abc", "y"],
        "",
        "Error response from daemon: No such image: sha256:abc\n",
        1,
    ),
    (
        &["history", "sha256:abc"],
        "",
        "Error response from daemon: No such image: sha256:abc\n",
        1,
    ),
    (
        &["image", "inspect", "sha256:abc"],
        "[]\n",
        "Error response from daemon: no such image: sha256:abc: No such image: sha256:abc\n",
        1,
    ),
    (
        &["inspect", "sha256:abc"],
        "[]\n",
        "Error: No such object: sha256:abc\n",
        1,
    ),
    (
        &["rmi", "sha256:abc"],
        "",
        "Error response from daemon: No such image: sha256:abc\n",
        1,
    ),
    (&["pull", "a\tb"], "", "invalid reference format\n", 1),
    (&["push", "a\tb"], "", "invalid reference format\n", 1),
    (
        &["tag", "x", "a\tb"],
        "",
        "Error parsing reference: \"a\\tb\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["tag", "a\tb", "y"],
        "",
        "Error parsing reference: \"a\\tb\" is not a valid repository/tag: invalid reference format\n",
        1,
    ),
    (
        &["history", "a\tb"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &["image", "inspect", "a\tb"],
        "[]\n",
        "Error response from daemon: no such image: a\tb: invalid reference format\n",
        1,
    ),
    (
        &["inspect", "a\tb"],
        "[]\n",
        "Error: No such object: a\tb\n",
        1,
    ),
    (
        &["rmi", "a\tb"],
        "",
        "Error response from daemon: invalid reference format\n",
        1,
    ),
    (
        &[
            "push",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "cannot push a digest reference\n",
        1,
    ),
    (
        &[
            "tag",
            "x",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "refusing to create a tag with a digest reference\n",
        1,
    ),
    (
        &[
            "tag",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "y",
        ],
        "",
        "Error response from daemon: No such image: x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "history",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "Error response from daemon: No such image: x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "image",
            "inspect",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "[]\n",
        "Error response from daemon: no such image: x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: No such image: x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "inspect",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "[]\n",
        "Error: No such object: x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
    (
        &[
            "rmi",
            "x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ],
        "",
        "Error response from daemon: No such image: x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        1,
    ),
];

fn live_docker() -> Option<(String, String)> {
    let host = std::env::var("STRATA_DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())?;
    let docker = if std::path::Path::new("/usr/local/bin/docker").exists() {
        "/usr/local/bin/docker"
    } else {
        "docker"
    };
    Some((docker.to_string(), host))
}

fn run_cases(verb: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let live = live_docker();
    let mut ran = 0;
    for (args, out, err, code) in CASES.iter().filter(|c| c.0[0] == verb) {
        let o = common::strata(&tmp.path().join("root"), args, &[]);
        let got = (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            o.status.code(),
        );
        assert_eq!(
            got,
            (out.to_string(), err.to_string(), Some(*code)),
            "strata {args:?}"
        );
        if let Some((docker, host)) = &live {
            let d = Command::new(docker)
                .args(*args)
                .env("DOCKER_HOST", host)
                .env("DOCKER_CONFIG", tmp.path().join("docker-config"))
                .output()
                .unwrap();
            let theirs = (
                String::from_utf8_lossy(&d.stdout).into_owned(),
                String::from_utf8_lossy(&d.stderr).into_owned(),
                d.status.code(),
            );
            assert_eq!(got, theirs, "strata vs live docker {args:?}");
        }
        ran += 1;
    }
    assert!(ran >= 10, "{verb}: {ran} cases");
}

#[test]
fn pull_names() {
    run_cases("pull");
}

#[test]
fn push_names() {
    run_cases("push");
}

#[test]
fn tag_names() {
    run_cases("tag");
}

#[test]
fn history_names() {
    run_cases("history");
}

#[test]
fn image_inspect_names() {
    run_cases("image");
}

#[test]
fn inspect_names() {
    run_cases("inspect");
}

#[test]
fn rmi_names() {
    run_cases("rmi");
}
