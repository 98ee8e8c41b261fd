//! `strata explore`: the terminal explorer. [`App`] holds the state and turns keys into
//! [`Action`]s; [`App::render`] draws the panes dive users know (layers, layer details, image
//! details, file tree) with ratatui. The library does no terminal I/O: the binary runs the
//! event loop and performs the actions that touch the outside (extracting, copying).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
pub mod compare;
pub mod filetree;
pub mod keys;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use strata_render::units::humanize_bytes;

pub use analysis::{Analysis, ImageInfo, Step, ViewKind};
use filetree::{FileTree, Row, Status, ViewOptions, mode_string};
pub use keys::{Command, Keys};

/// The smallest terminal the explorer draws in.
pub const MIN_SIZE: (u16, u16) = (80, 20);

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The layers pane.
    Layers,
    /// The file tree.
    Tree,
}

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond redrawing.
    None,
    /// Leave.
    Quit,
    /// Write this file, as of this layer, out through the verified `cat`.
    Extract {
        /// The layer whose merged tree holds it.
        layer: usize,
        /// The path, without the leading slash.
        path: String,
    },
    /// Put this text on the clipboard.
    Copy(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Filter,
    Search,
}

struct Popup {
    title: String,
    lines: Vec<String>,
    scroll: usize,
}

/// The explorer's state.
pub struct App {
    info: ImageInfo,
    analysis: Option<Analysis>,
    progress: Vec<String>,
    keys: Keys,
    color: bool,
    focus: Focus,
    layer: usize,
    view: ViewKind,
    wrap: bool,
    attrs: bool,
    opts: ViewOptions,
    filter_text: String,
    tree: Option<(usize, ViewKind, FileTree)>,
    rows: Option<Vec<Row>>,
    sel: usize,
    scroll: usize,
    page: usize,
    input: Option<(InputKind, String)>,
    popup: Option<Popup>,
    status: String,
    background: bool,
    pending: Option<(usize, ViewKind, std::sync::mpsc::Receiver<FileTree>)>,
}

fn style(color: bool, c: Color) -> Style {
    if color {
        Style::new().fg(c)
    } else {
        Style::new()
    }
}

fn status_color(s: Status) -> Color {
    match s {
        Status::Added => Color::Green,
        Status::Modified => Color::Yellow,
        Status::Removed => Color::Red,
        Status::Unmodified => Color::Reset,
    }
}

impl App {
    /// The explorer over an image whose layers are still to be read. `color` is false under
    /// `NO_COLOR`.
    pub fn new(info: ImageInfo, keys: Keys, color: bool) -> App {
        App {
            progress: vec![String::new(); info.layers.len()],
            info,
            analysis: None,
            keys,
            color,
            focus: Focus::Layers,
            layer: 0,
            view: ViewKind::Layer,
            wrap: false,
            attrs: true,
            opts: ViewOptions::default(),
            filter_text: String::new(),
            tree: None,
            rows: None,
            sel: 0,
            scroll: 0,
            page: 10,
            input: None,
            popup: None,
            status: String::new(),
            background: false,
            pending: None,
        }
    }

    /// Builds trees on another thread, so a big layer never freezes the keys (the tree pane
    /// says it is building meanwhile). Off by default: tests draw what they ask for at once.
    pub fn set_background_views(&mut self, on: bool) {
        self.background = on;
    }

    /// Whether the tree of the selected layer and view is ready to draw.
    pub fn view_ready(&mut self) -> bool {
        self.ensure_rows();
        self.rows.is_some()
    }

    /// A progress line for one layer while it is read.
    pub fn set_progress(&mut self, layer: usize, line: String) {
        if let Some(p) = self.progress.get_mut(layer) {
            *p = line;
        }
    }

    /// The layers have been read.
    pub fn set_analysis(&mut self, a: Analysis) {
        self.analysis = Some(a);
        self.tree = None;
        self.rows = None;
    }

    /// The layers could not be read: say why where the tree would be.
    pub fn set_status(&mut self, s: impl Into<String>) {
        self.status = s.into();
    }

    /// The selected layer.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// The analysis, once it is there.
    pub fn analysis(&self) -> Option<&Analysis> {
        self.analysis.as_ref()
    }

    fn ensure_rows(&mut self) {
        let Some(a) = &self.analysis else { return };
        let want = (self.layer, self.view);
        if !matches!(&self.tree, Some((l, v, _)) if (*l, *v) == want) {
            if !self.background {
                self.tree = Some((want.0, want.1, a.view(want.0, want.1)));
                self.rows = None;
            } else {
                if let Some((l, v, rx)) = &self.pending {
                    if (*l, *v) == want {
                        if let Ok(t) = rx.try_recv() {
                            self.tree = Some((want.0, want.1, t));
                            self.pending = None;
                            self.rows = None;
                        }
                    } else {
                        self.pending = None;
                    }
                }
                if self.pending.is_none()
                    && !matches!(&self.tree, Some((l, v, _)) if (*l, *v) == want)
                {
                    let viewer = a.viewer();
                    let (tx, rx) = std::sync::mpsc::channel();
                    std::thread::spawn(move || {
                        let _ = tx.send(viewer.view(want.0, want.1));
                    });
                    self.pending = Some((want.0, want.1, rx));
                    self.rows = None;
                    return;
                }
                if !matches!(&self.tree, Some((l, v, _)) if (*l, *v) == want) {
                    self.rows = None;
                    return;
                }
            }
        }
        if self.rows.is_none() {
            if let Some((_, _, t)) = &self.tree {
                let rows = t.rows(&self.opts);
                self.sel = self.sel.min(rows.len().saturating_sub(1));
                self.rows = Some(rows);
            }
        }
    }

    fn selected_path(&mut self) -> Option<(String, bool)> {
        self.ensure_rows();
        let (_, _, t) = self.tree.as_ref()?;
        let row = self.rows.as_ref()?.get(self.sel)?;
        Some((t.path(row.node), t.is_dir(row.node)))
    }

    fn move_layer(&mut self, delta: isize) {
        let n = self.info.layers.len();
        if n == 0 {
            return;
        }
        let next = (self.layer as isize + delta).clamp(0, n as isize - 1) as usize;
        if next != self.layer {
            self.layer = next;
            self.sel = 0;
            self.scroll = 0;
        }
    }

    fn move_tree(&mut self, delta: isize) {
        self.ensure_rows();
        let n = self.rows.as_ref().map_or(0, Vec::len);
        if n == 0 {
            return;
        }
        self.sel = (self.sel as isize + delta).clamp(0, n as isize - 1) as usize;
    }

    fn toggle_kind(&mut self, s: Status) {
        if !self.opts.hidden.remove(&s) {
            self.opts.hidden.insert(s);
        }
        self.rows = None;
    }

    fn key_help(&self) -> Vec<String> {
        keys::DEFAULTS
            .iter()
            .map(|(c, name, _)| format!("{:>10}  {name}", self.keys.label(*c)))
            .collect()
    }

    /// Handles one key.
    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        if let Some(p) = &mut self.popup {
            match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => self.popup = None,
                KeyCode::Down | KeyCode::Char('j') => p.scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => p.scroll = p.scroll.saturating_sub(1),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Action::Quit;
                }
                _ => {}
            }
            return Action::None;
        }
        if let Some((kind, text)) = &mut self.input {
            match key.code {
                KeyCode::Esc => self.input = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Enter => {
                    let (kind, text) = (*kind, text.clone());
                    self.input = None;
                    self.apply_input(kind, text);
                }
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Action::Quit;
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return Action::None;
        }
        let cmds = self.keys.commands(&key);
        // A key bound twice means one thing per pane (dive's Ctrl+A).
        let cmd = match cmds.as_slice() {
            [] => return Action::None,
            [one] => *one,
            many => *many
                .iter()
                .find(|c| match self.focus {
                    Focus::Layers => !matches!(
                        c,
                        Command::ToggleAdded
                            | Command::ToggleRemoved
                            | Command::ToggleModified
                            | Command::ToggleUnmodified
                    ),
                    Focus::Tree => !matches!(c, Command::AggregatedView | Command::LayerView),
                })
                .unwrap_or(&many[0]),
        };
        self.run(cmd)
    }

    fn apply_input(&mut self, kind: InputKind, text: String) {
        match kind {
            InputKind::Filter => {
                if text.is_empty() {
                    self.opts.filter = None;
                    self.filter_text.clear();
                } else {
                    match regex::Regex::new(&text) {
                        Ok(re) => {
                            self.opts.filter = Some(re);
                            self.filter_text = text;
                        }
                        Err(e) => {
                            self.status = format!(
                                "bad filter: {}",
                                e.to_string().lines().last().unwrap_or("")
                            );
                        }
                    }
                }
                self.rows = None;
                self.sel = 0;
                self.scroll = 0;
            }
            InputKind::Search => {
                let Some(a) = &self.analysis else {
                    self.status = "the layers are still being read".into();
                    return;
                };
                let hits = a.search(&text);
                let lines = if hits.is_empty() {
                    vec![format!("no layer touches a path containing {text:?}")]
                } else {
                    hits.iter()
                        .map(|(l, written, p)| {
                            let op = if *written { "written" } else { "removed" };
                            format!("layer {l:>3}  {op:<8} /{p}")
                        })
                        .collect()
                };
                self.popup = Some(Popup {
                    title: format!("Layers touching {text:?}"),
                    lines,
                    scroll: 0,
                });
            }
        }
    }

    fn run(&mut self, cmd: Command) -> Action {
        match cmd {
            Command::Quit => return Action::Quit,
            Command::ToggleView => {
                self.focus = match self.focus {
                    Focus::Layers => Focus::Tree,
                    Focus::Tree => Focus::Layers,
                };
            }
            Command::Filter => self.input = Some((InputKind::Filter, self.filter_text.clone())),
            Command::Search => self.input = Some((InputKind::Search, String::new())),
            Command::ToggleSort => {
                self.opts.by_size = !self.opts.by_size;
                self.rows = None;
            }
            Command::Collapse => {
                if let Some((p, true)) = self.selected_path() {
                    if !self.opts.collapsed.remove(&p) {
                        self.opts.collapsed.insert(p);
                    }
                    self.rows = None;
                }
            }
            Command::CollapseAll => {
                self.ensure_rows();
                if self.opts.collapsed.is_empty() {
                    if let Some((_, _, t)) = &self.tree {
                        self.opts.collapsed = (0..t.len())
                            .filter(|&i| t.is_dir(i))
                            .map(|i| t.path(i))
                            .collect();
                    }
                } else {
                    self.opts.collapsed.clear();
                }
                self.rows = None;
            }
            Command::Extract => match self.selected_path() {
                Some((p, false)) => {
                    return Action::Extract {
                        layer: self.layer,
                        path: p,
                    };
                }
                Some((_, true)) => self.status = "select a file to extract".into(),
                None => {}
            },
            Command::Copy => {
                if let Some((p, _)) = self.selected_path() {
                    self.status = format!("copied /{p}");
                    return Action::Copy(format!("/{p}"));
                }
            }
            Command::Wrap => self.wrap = !self.wrap,
            Command::LayerView => self.view = ViewKind::Layer,
            Command::AggregatedView => self.view = ViewKind::Aggregated,
            Command::ToggleAdded => self.toggle_kind(Status::Added),
            Command::ToggleRemoved => self.toggle_kind(Status::Removed),
            Command::ToggleModified => self.toggle_kind(Status::Modified),
            Command::ToggleUnmodified => self.toggle_kind(Status::Unmodified),
            Command::ToggleAttributes => self.attrs = !self.attrs,
            Command::Largest => {
                self.ensure_rows();
                if let Some((_, _, t)) = &self.tree {
                    let lines = t
                        .largest(30)
                        .into_iter()
                        .map(|i| format!("{:>10}  /{}", humanize_bytes(t.attrs(i).size), t.path(i)))
                        .collect();
                    self.popup = Some(Popup {
                        title: "Largest files".into(),
                        lines,
                        scroll: 0,
                    });
                }
            }
            Command::Help => {
                self.popup = Some(Popup {
                    title: "Keys".into(),
                    lines: self.key_help(),
                    scroll: 0,
                });
            }
            Command::Up => self.step(-1),
            Command::Down => self.step(1),
            Command::PageUp => self.step(-(self.page as isize)),
            Command::PageDown => self.step(self.page as isize),
        }
        Action::None
    }

    fn step(&mut self, delta: isize) {
        match self.focus {
            Focus::Layers => self.move_layer(delta),
            Focus::Tree => self.move_tree(delta),
        }
    }

    /// Draws everything.
    pub fn render(&mut self, f: &mut Frame<'_>) {
        let area = f.area();
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            let msg = format!(
                "terminal too small ({}x{}): explore needs at least {}x{}",
                area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
            return;
        }
        let [main, bar] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(main);
        let [layers, details, image] = Layout::vertical([
            Constraint::Percentage(45),
            Constraint::Length(11),
            Constraint::Min(5),
        ])
        .areas(left);
        self.render_layers(f, layers);
        self.render_details(f, details);
        self.render_image(f, image);
        self.render_tree(f, right);
        self.render_bar(f, bar);
        if let Some(p) = &self.popup {
            let w = area.width.saturating_sub(10).min(100);
            let h = area.height.saturating_sub(6).min(30);
            let r = Rect::new(
                area.x + (area.width - w) / 2,
                area.y + (area.height - h) / 2,
                w,
                h,
            );
            f.render_widget(Clear, r);
            let lines: Vec<Line> = p
                .lines
                .iter()
                .skip(p.scroll)
                .map(|l| Line::raw(l.clone()))
                .collect();
            f.render_widget(
                Paragraph::new(lines)
                    .block(Block::bordered().title(format!(" {} (Esc closes) ", p.title))),
                r,
            );
        }
    }

    fn pane(&self, title: &str, focused: bool) -> Block<'static> {
        let b = Block::bordered().title(format!(" {title} "));
        if focused && self.color {
            b.border_style(Style::new().fg(Color::Cyan))
        } else if focused {
            b.border_style(Style::new().add_modifier(Modifier::BOLD))
        } else {
            b
        }
    }

    fn render_layers(&self, f: &mut Frame<'_>, area: Rect) {
        let mut lines: Vec<Line> = vec![Line::styled(
            "   #       Size  Command",
            Style::new().add_modifier(Modifier::BOLD),
        )];
        let mut selected_line = 0;
        let dim = if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        };
        for step in &self.info.steps {
            match step {
                Step::Layer(i) => {
                    let l = &self.info.layers[*i];
                    let size = match &self.analysis {
                        Some(a) => a
                            .layer_sizes
                            .get(*i)
                            .map(|s| humanize_bytes(*s))
                            .unwrap_or_default(),
                        None => l
                            .compressed
                            .map(|s| format!("~{}", humanize_bytes(s)))
                            .unwrap_or_default(),
                    };
                    let cmd = if l.created_by.is_empty() {
                        "(no command recorded)"
                    } else {
                        &l.created_by
                    };
                    let text = format!(
                        "{}{i:>3} {size:>10}  {cmd}",
                        if *i == self.layer { '>' } else { ' ' }
                    );
                    if *i == self.layer {
                        selected_line = lines.len();
                        lines.push(Line::styled(
                            text,
                            Style::new().add_modifier(Modifier::REVERSED),
                        ));
                    } else {
                        lines.push(Line::raw(text));
                    }
                    if let Some((name, n)) = &self.info.base {
                        if i + 1 == *n {
                            lines.push(Line::styled(
                                format!("  ──── FROM {name} ────"),
                                style(self.color, Color::Cyan),
                            ));
                        }
                    }
                }
                Step::Meta { created_by } => {
                    lines.push(Line::styled(format!("     {:>10}  {created_by}", "·"), dim));
                }
            }
        }
        let inner_h = area.height.saturating_sub(2) as usize;
        let scroll = selected_line.saturating_sub(inner_h.saturating_sub(2));
        let mut p = Paragraph::new(lines)
            .block(self.pane("Layers", self.focus == Focus::Layers))
            .scroll((scroll as u16, 0));
        if self.wrap {
            p = p.wrap(Wrap { trim: false });
        }
        f.render_widget(p, area);
    }

    fn render_details(&self, f: &mut Frame<'_>, area: Rect) {
        let Some(l) = self.info.layers.get(self.layer) else {
            f.render_widget(
                Paragraph::new("no layers").block(self.pane("Layer Details", false)),
                area,
            );
            return;
        };
        let media = l.media_type.rsplit('.').next().unwrap_or("");
        let kind = match media {
            m if m.ends_with("gzip") => "gzip",
            m if m.ends_with("zstd") => "zstd",
            _ if l.media_type.contains("tar") => "plain tar",
            _ => "",
        };
        let size = self
            .analysis
            .as_ref()
            .and_then(|a| a.layer_sizes.get(self.layer))
            .map_or("(reading)".to_string(), |s| humanize_bytes(*s));
        let stored = l.compressed.map_or("?".to_string(), humanize_bytes);
        let lines = vec![
            Line::raw(format!(
                "Digest:  {}",
                if l.digest.is_empty() {
                    "(not named by the source)"
                } else {
                    &l.digest
                }
            )),
            Line::raw(format!("DiffID:  {}", l.diff_id)),
            Line::raw(format!("Size:    {size} (stored {stored}, {kind})")),
            Line::raw(format!("Media:   {}", l.media_type)),
            Line::raw(format!("Created: {}", l.created)),
            Line::raw(format!("Command: {}", l.created_by)),
        ];
        f.render_widget(
            Paragraph::new(lines)
                .block(self.pane("Layer Details", false))
                .wrap(Wrap { trim: false }),
            area,
        );
    }

    fn render_image(&self, f: &mut Frame<'_>, area: Rect) {
        let mut lines = vec![Line::raw(format!("Image name: {}", self.info.name))];
        match &self.analysis {
            None => {
                lines.push(Line::raw("Reading layers…"));
                for (i, p) in self.progress.iter().enumerate() {
                    if !p.is_empty() {
                        lines.push(Line::raw(format!("  layer {i}: {p}")));
                    }
                }
                if !self.status.is_empty() {
                    lines.push(Line::styled(
                        self.status.clone(),
                        style(self.color, Color::Red),
                    ));
                }
            }
            Some(a) => {
                lines.push(Line::raw(format!(
                    "Total Image size: {}",
                    humanize_bytes(a.total)
                )));
                lines.push(Line::raw(format!(
                    "Potential wasted space: {}",
                    humanize_bytes(a.wasted)
                )));
                lines.push(Line::raw(format!(
                    "Image efficiency score: {:.0} %",
                    a.score * 100.0
                )));
                lines.push(Line::raw(format!(
                    "User wasted: {:.1} %",
                    a.user_wasted_percent * 100.0
                )));
                lines.push(Line::styled(
                    "Count  Total Space  Path",
                    Style::new().add_modifier(Modifier::BOLD),
                ));
                for w in &a.waste {
                    lines.push(Line::raw(format!(
                        "{:>5}  {:>11}  {}  ({})",
                        w.count,
                        humanize_bytes(w.cumulative),
                        w.path,
                        w.reason
                    )));
                }
            }
        }
        f.render_widget(
            Paragraph::new(lines).block(self.pane("Image Details", false)),
            area,
        );
    }

    fn render_tree(&mut self, f: &mut Frame<'_>, area: Rect) {
        let title = match self.view {
            ViewKind::Layer => format!("Current Layer Contents (layer {})", self.layer),
            ViewKind::Aggregated => format!("Aggregated Layer Contents (layers 0-{})", self.layer),
        };
        let block = self.pane(&title, self.focus == Focus::Tree);
        if self.analysis.is_none() {
            f.render_widget(
                Paragraph::new("(the tree fills in when the layers are read)").block(block),
                area,
            );
            return;
        }
        self.ensure_rows();
        if self.rows.is_none() {
            f.render_widget(
                Paragraph::new(format!("(building the tree of layer {}…)", self.layer))
                    .block(block),
                area,
            );
            return;
        }
        let inner_h = area.height.saturating_sub(3) as usize;
        self.page = inner_h.max(1);
        if self.sel < self.scroll {
            self.scroll = self.sel;
        } else if self.sel >= self.scroll + inner_h {
            self.scroll = self.sel + 1 - inner_h;
        }
        let mut lines = Vec::new();
        let header = if self.attrs {
            "  Permission     UID:GID       Size  Filetree"
        } else {
            "  Filetree"
        };
        lines.push(Line::styled(
            header,
            Style::new().add_modifier(Modifier::BOLD),
        ));
        if let (Some((_, _, t)), Some(rows)) = (&self.tree, &self.rows) {
            if rows.is_empty() {
                lines.push(Line::raw("  (nothing to show)"));
            }
            for (k, r) in rows.iter().enumerate().skip(self.scroll).take(inner_h) {
                let e = t.attrs(r.node);
                let is_dir = t.is_dir(r.node);
                let status = t.status(r.node);
                let size = if is_dir { t.subtree(r.node) } else { e.size };
                let mut name = t.name(r.node);
                if let Some(l) = &e.link {
                    name.push_str(" → ");
                    name.push_str(l);
                }
                if is_dir
                    && !self.opts.collapsed.is_empty()
                    && self.opts.collapsed.contains(&t.path(r.node))
                {
                    name.push_str(" ⊕");
                }
                let prefix = t.prefix(r);
                let text = if self.attrs {
                    format!(
                        "{} {} {:>9} {:>10}  {}{}",
                        status.marker(),
                        mode_string(e.type_char, e.mode),
                        format!("{}:{}", e.uid, e.gid),
                        humanize_bytes(size),
                        prefix,
                        name
                    )
                } else {
                    format!("{} {}{}", status.marker(), prefix, name)
                };
                let mut st = style(self.color, status_color(status));
                if k == self.sel && self.focus == Focus::Tree {
                    st = st.add_modifier(Modifier::REVERSED);
                }
                lines.push(Line::styled(text, st));
            }
        }
        let mut sub = vec![];
        if !self.filter_text.is_empty() {
            sub.push(format!("filter /{}/", self.filter_text));
        }
        if self.opts.by_size {
            sub.push("sorted by size".into());
        }
        for s in [
            Status::Added,
            Status::Modified,
            Status::Removed,
            Status::Unmodified,
        ] {
            if self.opts.hidden.contains(&s) {
                sub.push(format!("{} hidden", s.marker()));
            }
        }
        let block = if sub.is_empty() {
            block
        } else {
            block.title_bottom(format!(" {} ", sub.join(", ")))
        };
        f.render_widget(Paragraph::new(lines).block(block), area);
    }

    fn render_bar(&self, f: &mut Frame<'_>, area: Rect) {
        if let Some((kind, text)) = &self.input {
            let label = match kind {
                InputKind::Filter => "Filter (regex)",
                InputKind::Search => "Search all layers",
            };
            f.render_widget(Paragraph::new(format!("{label}: {text}█")), area);
            return;
        }
        let k = |c| self.keys.label(c);
        let mut spans = vec![];
        // A message (extraction, copy, a bad filter) comes first, where it is seen.
        if !self.status.is_empty() && self.analysis.is_some() {
            spans.push(Span::styled(
                format!("{} ", self.status),
                style(self.color, Color::Yellow),
            ));
        }
        for (c, what) in [
            (Command::Quit, "Quit"),
            (Command::ToggleView, "Switch pane"),
            (Command::Filter, "Filter"),
            (Command::LayerView, "Layer"),
            (Command::AggregatedView, "Aggregated"),
            (Command::ToggleSort, "Sort"),
            (Command::Collapse, "Collapse"),
            (Command::Extract, "Extract"),
            (Command::Wrap, "Wrap"),
            (Command::Search, "Search"),
            (Command::Help, "Help"),
        ] {
            spans.push(Span::styled(
                format!(" {}", k(c)),
                Style::new().add_modifier(Modifier::BOLD),
            ));
            spans.push(Span::raw(format!(" {what}")));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}
