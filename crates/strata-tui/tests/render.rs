//! The explorer's screens, drawn into ratatui's TestBackend from a hand-built image: explicit
//! checks of what a person would see, plus snapshots (insta) that guard the layout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use strata_core::digest::Digest;
use strata_core::layer::{Kind, LayerIndex, Meta, Op};
use strata_tui::analysis::{LayerRow, Step};
use strata_tui::{Analysis, App, ImageInfo, Keys};

fn index(n: u8, entries: &[(&str, Kind, u64, Op)]) -> LayerIndex {
    let mut b = LayerIndex::new(Digest::sha256_of(&[n]));
    for (i, (path, kind, size, op)) in entries.iter().enumerate() {
        let meta = Meta {
            mode: if *kind == Kind::Dir { 0o755 } else { 0o644 },
            size: *size,
            ..Meta::default()
        };
        let digest = (*kind == Kind::File).then_some([n; 32]);
        b.push(*op, path.as_bytes(), b"", *kind, &meta, digest, i as u64)
            .unwrap();
    }
    b
}

fn row(n: u8, cmd: &str, stored: u64) -> LayerRow {
    LayerRow {
        digest: Digest::sha256_of(&[n, 1]).to_string(),
        diff_id: Digest::sha256_of(&[n]).to_string(),
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
        compressed: Some(stored),
        created: "2026-12-03T10:00:00Z".into(),
        created_by: cmd.into(),
    }
}

fn fixture() -> (ImageInfo, Vec<LayerIndex>) {
    let put = Op::Put;
    let l0 = index(
        0,
        &[
            ("etc", Kind::Dir, 0, put),
            ("etc/os-release", Kind::File, 20, put),
            ("usr", Kind::Dir, 0, put),
            ("usr/bin", Kind::Dir, 0, put),
            ("usr/bin/tool", Kind::File, 3000, put),
        ],
    );
    let l1 = index(
        1,
        &[
            ("app", Kind::Dir, 0, put),
            ("app/data.bin", Kind::File, 50_000, put),
        ],
    );
    let l2 = index(
        2,
        &[
            ("app/data.bin", Kind::File, 60_000, put),
            ("etc/os-release", Kind::File, 0, Op::Whiteout),
        ],
    );
    let info = ImageInfo {
        name: "test/app:1".into(),
        id: Digest::sha256_of(b"img").to_string(),
        layers: vec![
            row(0, "ADD rootfs.tar /", 1200),
            row(1, "RUN make-data > /app/data.bin", 20_000),
            row(
                2,
                "RUN make-data --again > /app/data.bin && rm /etc/os-release",
                25_000,
            ),
        ],
        steps: vec![
            Step::Layer(0),
            Step::Meta {
                created_by: "ENV LANG=C.UTF-8".into(),
            },
            Step::Layer(1),
            Step::Layer(2),
            Step::Meta {
                created_by: "CMD [\"app\"]".into(),
            },
        ],
        base: Some(("debian:bookworm".into(), 1)),
    };
    (info, vec![l0, l1, l2])
}

fn app(analysed: bool) -> App {
    let (info, indexes) = fixture();
    let mut app = App::new(info, Keys::default(), false);
    if analysed {
        app.set_analysis(Analysis::new("test", indexes).unwrap());
    }
    app
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

fn line_of(s: &str, needle: &str) -> usize {
    s.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{s}"))
}

#[test]
fn layers_pane_shows_commands_steps_and_base() {
    let mut a = app(true);
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("RUN make-data > /app/data.bin"), "{s}");
    assert!(s.contains("ENV LANG=C.UTF-8"), "{s}");
    assert!(s.contains("FROM debian:bookworm"), "{s}");
    // The base marker follows the base's last layer and precedes the image's own layers.
    assert!(line_of(&s, "FROM debian") > line_of(&s, "ADD rootfs.tar"));
    assert!(line_of(&s, "FROM debian") < line_of(&s, "RUN make-data >"));
    insta::assert_snapshot!("first_screen", s);
}

#[test]
fn image_details_explain_the_waste() {
    let mut a = app(true);
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("Potential wasted space: 110 kB"), "{s}");
    assert!(
        s.contains("/app/data.bin  (written in layers 1 and 2)"),
        "{s}"
    );
}

#[test]
fn layer_details_name_digest_media_and_sizes() {
    let mut a = app(true);
    key(&mut a, KeyCode::Down);
    let s = screen(&mut a, 200, 40);
    assert!(
        s.contains(&format!("DiffID:  {}", Digest::sha256_of(&[1]))),
        "{s}"
    );
    assert!(s.contains("(stored 20 kB, gzip)"), "{s}");
    assert!(s.contains("Created: 2026-12-03T10:00:00Z"), "{s}");
}

#[test]
fn layer_view_marks_added_modified_removed() {
    let mut a = app(true);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    let s = screen(&mut a, 140, 40);
    let data = &s.lines().nth(line_of(&s, "data.bin")).unwrap().to_string();
    assert!(data.contains("M -rw-r--r--"), "{data}");
    let gone = &s
        .lines()
        .nth(line_of(&s, "os-release"))
        .unwrap()
        .to_string();
    assert!(gone.contains("│R "), "{gone}");
    assert!(
        !s.contains("tool"),
        "layer view shows only the layer's changes:\n{s}"
    );
    insta::assert_snapshot!("layer_view", s);
}

#[test]
fn aggregated_view_and_size_sort() {
    let mut a = app(true);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    ctrl(&mut a, 'a');
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("Aggregated Layer Contents (layers 0-2)"), "{s}");
    assert!(s.contains("tool"), "{s}");
    assert!(
        line_of(&s, "── app") < line_of(&s, "── usr"),
        "name order:\n{s}"
    );
    ctrl(&mut a, 'o');
    let s = screen(&mut a, 140, 40);
    // app (60 kB) before usr (3 kB) before etc (empty once os-release is gone).
    assert!(line_of(&s, "── app") < line_of(&s, "── usr"), "{s}");
    assert!(line_of(&s, "── usr") < line_of(&s, "── etc"), "{s}");
    assert!(s.contains("sorted by size"), "{s}");
    insta::assert_snapshot!("aggregated_by_size", s);
}

#[test]
fn regex_filter_hides_and_shows() {
    let mut a = app(true);
    ctrl(&mut a, 'f');
    for c in "^usr/bin/t".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    let typing = screen(&mut a, 140, 40);
    assert!(typing.contains("Filter (regex): ^usr/bin/t"), "{typing}");
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("── tool") && !s.contains("── os-release"), "{s}");
    ctrl(&mut a, 'f');
    for _ in 0.."^usr/bin/t".len() {
        key(&mut a, KeyCode::Backspace);
    }
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("── tool") && s.contains("── os-release"), "{s}");
}

#[test]
fn kind_filters_and_collapse() {
    let mut a = app(true);
    key(&mut a, KeyCode::Tab);
    ctrl(&mut a, 'a'); // in the tree pane: hide added files
    let s = screen(&mut a, 140, 40);
    assert!(
        s.contains("(nothing to show)") && s.contains("A hidden"),
        "{s}"
    );
    ctrl(&mut a, 'a');
    // Collapse the first directory (etc).
    key(&mut a, KeyCode::Char(' '));
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("etc ⊕") && !s.contains("── os-release"), "{s}");
}

#[test]
fn extract_asks_for_the_selected_file() {
    let mut a = app(true);
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Down);
    let act = a.on_key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL));
    assert_eq!(
        act,
        strata_tui::Action::Extract {
            layer: 0,
            path: "etc/os-release".into()
        }
    );
    let act = a.on_key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL));
    assert_eq!(act, strata_tui::Action::Copy("/etc/os-release".into()));
}

#[test]
fn search_lists_every_layer_touching_a_path() {
    let mut a = app(true);
    key(&mut a, KeyCode::Char('/'));
    for c in "os-release".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("layer   0  written  /etc/os-release"), "{s}");
    assert!(s.contains("layer   2  removed  /etc/os-release"), "{s}");
    key(&mut a, KeyCode::Esc);
    let s = screen(&mut a, 140, 40);
    assert!(!s.contains("Layers touching"), "{s}");
}

#[test]
fn largest_files_and_help() {
    let mut a = app(true);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    ctrl(&mut a, 'a');
    ctrl(&mut a, 'g');
    let s = screen(&mut a, 140, 40);
    assert!(
        line_of(&s, "/app/data.bin") < line_of(&s, "/usr/bin/tool"),
        "{s}"
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('?'));
    let s = screen(&mut a, 140, 40);
    assert!(
        s.contains("^F  filter-files") && s.contains("^E  extract-file"),
        "{s}"
    );
}

#[test]
fn wrap_shows_whole_commands() {
    let mut a = app(true);
    let s = screen(&mut a, 90, 30);
    assert!(
        !s.contains("rm /etc/os-release"),
        "cut off without wrap:\n{s}"
    );
    ctrl(&mut a, 'p');
    let s = screen(&mut a, 90, 30);
    assert!(s.contains("os-release"), "{s}");
}

#[test]
fn before_the_layers_are_read() {
    let mut a = app(false);
    a.set_progress(1, "reading 12 kB / 20 kB".into());
    let s = screen(&mut a, 140, 40);
    assert!(
        s.contains("~20 kB") && s.contains("layer 1: reading 12 kB / 20 kB"),
        "{s}"
    );
    assert!(s.contains("the tree fills in"), "{s}");
    insta::assert_snapshot!("before_reading", s);
}

#[test]
fn too_small_says_so() {
    let mut a = app(true);
    let s = screen(&mut a, 60, 15);
    assert!(s.contains("terminal too small (60x15)"), "{s}");
}

#[test]
fn colours_follow_no_color() {
    let (info, indexes) = fixture();
    let mut coloured = App::new(info.clone(), Keys::default(), true);
    coloured.set_analysis(Analysis::new("t", indexes.clone()).unwrap());
    let mut plain = App::new(info, Keys::default(), false);
    plain.set_analysis(Analysis::new("t", indexes).unwrap());
    let fg = |app: &mut App| {
        let mut t = Terminal::new(TestBackend::new(140, 40)).unwrap();
        t.draw(|f| app.render(f)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..40u16)
            .flat_map(|y| (0..140u16).map(move |x| (x, y)))
            .any(|(x, y)| buf[(x, y)].fg == ratatui::style::Color::Green)
    };
    assert!(fg(&mut coloured), "added files are green");
    assert!(!fg(&mut plain), "NO_COLOR: no colour");
}

#[test]
fn trees_build_in_the_background() {
    let mut a = app(true);
    a.set_background_views(true);
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("(building the tree of layer 0…)"), "{s}");
    // Keys keep working while it builds.
    key(&mut a, KeyCode::Down);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !a.view_ready() {
        assert!(std::time::Instant::now() < deadline, "never built");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let s = screen(&mut a, 140, 40);
    assert!(
        s.contains("Current Layer Contents (layer 1)") && s.contains("── data.bin"),
        "{s}"
    );
}
