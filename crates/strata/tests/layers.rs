//! `strata layers` on a two-image archive: step/layer pairing, overlay2 sizes worked out by
//! hand from shared/spec's size rule, and the base-image boundary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::build::sha;

use serde_json::{Value, json};

fn tar_of(entries: &[(&str, &str, Option<&str>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data, link) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match link {
            Some(t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, name, t).unwrap();
            }
            None => {
                h.set_size(data.len() as u64);
                h.set_cksum();
                b.append_data(&mut h, name, data.as_bytes()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

#[test]
fn layers_pairs_steps_and_marks_the_base() {
    let base = tar_of(&[("bin/sh", "#!shell\n", None)]); // 8 bytes
    let l2 = tar_of(&[
        ("app/a.txt", "hello world\n", None),
        ("app/l", "", Some("/bin/sh")),
    ]); // 12 + 7
    let l3 = tar_of(&[("app/.wh.a.txt", "", None), ("app/b", "xyz", None)]); // 0 + 3
    let ids: Vec<String> = [&base, &l2, &l3].iter().map(|l| sha(l)).collect();
    let base_cfg = serde_json::to_vec(&json!({
        "os": "linux", "architecture": "amd64",
        "rootfs": {"type": "layers", "diff_ids": [ids[0]]},
        "history": [{"created_by": "import"}],
    }))
    .unwrap();
    let app_cfg = serde_json::to_vec(&json!({
        "os": "linux", "architecture": "amd64",
        "rootfs": {"type": "layers", "diff_ids": ids},
        "history": [
            {"created_by": "import"},
            {"created_by": "ENV X=1", "empty_layer": true},
            {"created_by": "COPY app"},
            {"created_by": "RUN rm a.txt"},
            {"created_by": "CMD sh", "empty_layer": true},
        ],
    }))
    .unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |p: &str, d: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(d.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, p, d).unwrap();
    };
    add("l0/layer.tar", &base);
    add("l1/layer.tar", &l2);
    add("l2/layer.tar", &l3);
    add("base.json", &base_cfg);
    add("app.json", &app_cfg);
    let manifest = json!([
        {"Config": "app.json", "RepoTags": ["t/app:1"], "Layers": ["l0/layer.tar", "l1/layer.tar", "l2/layer.tar"]},
        {"Config": "base.json", "RepoTags": ["t/base:1"], "Layers": ["l0/layer.tar"]},
    ]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("two.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();

    let out = common::strata_cmd()
        .args([
            "layers",
            "--format",
            "json",
            &format!("docker-archive:{}:t/app:1", path.display()),
        ])
        .env("STRATA_NO_CACHE", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], json!(sha(&app_cfg)));
    assert_eq!(v["base"]["name"], json!("t/base:1"));
    assert_eq!(v["base"]["layers"], json!(1));
    assert_eq!(v["size"], json!(8 + 12 + 7 + 3));
    let steps = v["steps"].as_array().unwrap();
    let summary: Vec<(Value, Value, Value, Value)> = steps
        .iter()
        .map(|s| {
            (
                s["created_by"].clone(),
                s["index"].clone(),
                s["layer"]["size"].clone(),
                s["layer"]["in_base"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("import"), json!(0), json!(8), json!(true)),
            (json!("ENV X=1"), Value::Null, Value::Null, Value::Null),
            (json!("COPY app"), json!(1), json!(19), json!(false)),
            (json!("RUN rm a.txt"), json!(2), json!(3), json!(false)),
            (json!("CMD sh"), Value::Null, Value::Null, Value::Null),
        ]
    );
    assert_eq!(steps[2]["layer"]["diff_id"], json!(ids[1]));

    // The table marks where the base ends, between layer 0 and layer 1.
    let out = common::strata_cmd()
        .args([
            "layers",
            &format!("docker-archive:{}:t/app:1", path.display()),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let marker = lines
        .iter()
        .position(|l| l.contains("base image t/base:1"))
        .expect("marker");
    // The base's own step (import) comes before it; the app's ENV step after it.
    assert!(lines[marker - 1].starts_with("0 "), "{text}");
    assert!(
        lines[marker + 1].starts_with("- ") && lines[marker + 2].starts_with("1 "),
        "{text}"
    );
}
