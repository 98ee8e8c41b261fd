//! `strata explore IMAGE1 IMAGE2`: two images side by side, their shared base first, then every
//! file added, removed or changed (by content digest, mode, owner, type, target) from the
//! first to the second, through strata's diff engine.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use strata_core::compare::FileDiff;
use strata_render::units::humanize_bytes;

use crate::analysis::{ImageInfo, Step};
use crate::{Action, MIN_SIZE};

/// The comparison screen's state.
pub struct CompareApp {
    a: ImageInfo,
    b: ImageInfo,
    shared: usize,
    diffs: Option<Vec<FileDiff>>,
    shown: Vec<usize>,
    filter: Option<regex::Regex>,
    input: Option<String>,
    by_size: bool,
    sel: usize,
    scroll: usize,
    page: usize,
    color: bool,
    status: String,
}

fn diff_ids(i: &ImageInfo) -> Vec<&str> {
    i.layers.iter().map(|l| l.diff_id.as_str()).collect()
}

impl CompareApp {
    /// Two images; the file differences arrive later with [`CompareApp::set_diffs`].
    pub fn new(a: ImageInfo, b: ImageInfo, color: bool) -> CompareApp {
        let (da, db) = (diff_ids(&a), diff_ids(&b));
        let shared = da.iter().zip(db.iter()).take_while(|(x, y)| x == y).count();
        CompareApp {
            a,
            b,
            shared,
            diffs: None,
            shown: Vec::new(),
            filter: None,
            input: None,
            by_size: false,
            sel: 0,
            scroll: 0,
            page: 10,
            color,
            status: String::new(),
        }
    }

    /// The files that differ, in path order.
    pub fn set_diffs(&mut self, d: Vec<FileDiff>) {
        self.diffs = Some(d);
        self.refresh();
    }

    /// Reading failed: say why.
    pub fn set_status(&mut self, s: impl Into<String>) {
        self.status = s.into();
    }

    fn refresh(&mut self) {
        let Some(d) = &self.diffs else { return };
        let mut shown: Vec<usize> = (0..d.len())
            .filter(|&i| {
                self.filter
                    .as_ref()
                    .is_none_or(|re| re.is_match(&d[i].path))
            })
            .collect();
        if self.by_size {
            let delta = |f: &FileDiff| f.size1.abs_diff(f.size2);
            shown.sort_by(|&x, &y| delta(&d[y]).cmp(&delta(&d[x])));
        }
        self.shown = shown;
        self.sel = self.sel.min(self.shown.len().saturating_sub(1));
    }

    /// Handles one key.
    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if let Some(text) = &mut self.input {
            match key.code {
                KeyCode::Esc => self.input = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Enter => {
                    let t = text.clone();
                    self.input = None;
                    self.filter = if t.is_empty() {
                        None
                    } else {
                        match regex::Regex::new(&t) {
                            Ok(r) => Some(r),
                            Err(_) => {
                                self.status = format!("bad filter: {t}");
                                None
                            }
                        }
                    };
                    self.refresh();
                }
                KeyCode::Char('c') if ctrl => return Action::Quit,
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return Action::None;
        }
        let n = self.shown.len();
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('c') if ctrl => return Action::Quit,
            KeyCode::Char('f') if ctrl => self.input = Some(String::new()),
            KeyCode::Char('o') if ctrl => {
                self.by_size = !self.by_size;
                self.refresh();
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.sel = (self.sel + 1).min(n.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => self.sel = self.sel.saturating_sub(1),
            KeyCode::PageDown => self.sel = (self.sel + self.page).min(n.saturating_sub(1)),
            KeyCode::PageUp => self.sel = self.sel.saturating_sub(self.page),
            _ => {}
        }
        Action::None
    }

    fn layers(&self, i: &ImageInfo, title: &str) -> Paragraph<'static> {
        let mut lines = vec![Line::styled(
            format!("{}  ({} layers)", i.name, i.layers.len()),
            Style::new().add_modifier(Modifier::BOLD),
        )];
        for step in &i.steps {
            if let Step::Layer(k) = step {
                let l = &i.layers[*k];
                let mark = if *k < self.shared { "=" } else { "+" };
                lines.push(Line::raw(format!("{mark}{k:>3}  {}", l.created_by)));
                if k + 1 == self.shared {
                    lines.push(Line::raw("  ──── end of the shared base ────"));
                }
            }
        }
        Paragraph::new(lines).block(Block::bordered().title(format!(" {title} ")))
    }

    /// Draws the screen.
    pub fn render(&mut self, f: &mut Frame<'_>) {
        let area = f.area();
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            f.render_widget(
                Paragraph::new(format!(
                    "terminal too small ({}x{}): explore needs at least {}x{}",
                    area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
                )),
                area,
            );
            return;
        }
        let [top, files, bar] = Layout::vertical([
            Constraint::Percentage(40),
            Constraint::Min(5),
            Constraint::Length(1),
        ])
        .areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        f.render_widget(self.layers(&self.a, "Image 1"), left);
        f.render_widget(self.layers(&self.b, "Image 2"), right);
        let inner = files.height.saturating_sub(3) as usize;
        self.page = inner.max(1);
        if self.sel < self.scroll {
            self.scroll = self.sel;
        } else if self.sel >= self.scroll + inner {
            self.scroll = self.sel + 1 - inner;
        }
        let mut lines = vec![Line::styled(
            "   Size 1      Size 2  What              Path",
            Style::new().add_modifier(Modifier::BOLD),
        )];
        match &self.diffs {
            None => lines.push(Line::raw(if self.status.is_empty() {
                "Reading layers…".to_string()
            } else {
                self.status.clone()
            })),
            Some(d) => {
                if self.shown.is_empty() {
                    lines.push(Line::raw("  (no differences)"));
                }
                for (k, &i) in self.shown.iter().enumerate().skip(self.scroll).take(inner) {
                    let x = &d[i];
                    let color = match x.op {
                        'A' => Color::Green,
                        'D' => Color::Red,
                        _ => Color::Yellow,
                    };
                    let mut st = if self.color {
                        Style::new().fg(color)
                    } else {
                        Style::new()
                    };
                    if k == self.sel {
                        st = st.add_modifier(Modifier::REVERSED);
                    }
                    let size = |s: u64, present: bool| {
                        if present {
                            humanize_bytes(s)
                        } else {
                            "-".into()
                        }
                    };
                    lines.push(Line::styled(
                        format!(
                            "{} {:>8} {:>10}  {:<16}  {}",
                            x.op,
                            size(x.size1, x.op != 'A'),
                            size(x.size2, x.op != 'D'),
                            x.what.join(","),
                            x.path
                        ),
                        st,
                    ));
                }
            }
        }
        let count = self
            .diffs
            .as_ref()
            .map_or("(reading)".to_string(), |d| d.len().to_string());
        let title = format!(
            " Files: {} differ; shared base {} layers{}{} ",
            count,
            self.shared,
            if self.by_size {
                ", sorted by size change"
            } else {
                ""
            },
            self.filter
                .as_ref()
                .map_or(String::new(), |r| format!(", filter /{r}/"))
        );
        f.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(title)),
            files,
        );
        let bar_text = match &self.input {
            Some(t) => format!("Filter (regex): {t}█"),
            None => " q Quit  ^F Filter  ^O Sort by size change  ↑↓ PgUp PgDn Move".to_string(),
        };
        f.render_widget(Paragraph::new(bar_text), bar);
    }
}
