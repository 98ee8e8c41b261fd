//! Key bindings: dive's defaults, overridable in `~/.config/strata/explore.toml`
//! (`[keys]` then `action = "ctrl+f"` lines).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// Leave.
    Quit,
    /// Switch between the layers pane and the file tree.
    ToggleView,
    /// Edit the file tree's regex filter.
    Filter,
    /// Sort the file tree by name or by size.
    ToggleSort,
    /// Collapse or expand the selected directory.
    Collapse,
    /// Collapse or expand every directory.
    CollapseAll,
    /// Write the selected file out, verified.
    Extract,
    /// Wrap long commands in the layers pane.
    Wrap,
    /// Show the layer's own changes.
    LayerView,
    /// Show everything up to the layer.
    AggregatedView,
    /// Show or hide added files.
    ToggleAdded,
    /// Show or hide removed files.
    ToggleRemoved,
    /// Show or hide modified files.
    ToggleModified,
    /// Show or hide unmodified files.
    ToggleUnmodified,
    /// Show or hide the attribute column.
    ToggleAttributes,
    /// Search every layer for a path.
    Search,
    /// List the largest files.
    Largest,
    /// Copy the selected path to the clipboard.
    Copy,
    /// The key list.
    Help,
    /// Move up.
    Up,
    /// Move down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
}

/// All bindable commands with their names in the config file and dive's default keys.
pub const DEFAULTS: &[(Command, &str, &str)] = &[
    (Command::Quit, "quit", "q"),
    (Command::ToggleView, "toggle-view", "tab"),
    (Command::Filter, "filter-files", "ctrl+f"),
    (Command::ToggleSort, "toggle-sort-order", "ctrl+o"),
    (Command::Collapse, "toggle-collapse-dir", "space"),
    (
        Command::CollapseAll,
        "toggle-collapse-all-dir",
        "ctrl+space",
    ),
    (Command::Extract, "extract-file", "ctrl+e"),
    (Command::Wrap, "toggle-wrap", "ctrl+p"),
    (Command::LayerView, "compare-layer", "ctrl+l"),
    (Command::AggregatedView, "compare-all", "ctrl+a"),
    (Command::ToggleAdded, "toggle-added-files", "ctrl+a"),
    (Command::ToggleRemoved, "toggle-removed-files", "ctrl+r"),
    (Command::ToggleModified, "toggle-modified-files", "ctrl+n"),
    (
        Command::ToggleUnmodified,
        "toggle-unmodified-files",
        "ctrl+u",
    ),
    (
        Command::ToggleAttributes,
        "toggle-filetree-attributes",
        "ctrl+b",
    ),
    (Command::Search, "search", "/"),
    (Command::Largest, "largest-files", "ctrl+g"),
    (Command::Copy, "copy-path", "ctrl+y"),
    (Command::Help, "help", "?"),
    (Command::Up, "up", "up"),
    (Command::Down, "down", "down"),
    (Command::PageUp, "page-up", "pgup"),
    (Command::PageDown, "page-down", "pgdn"),
];

/// Parses `ctrl+f`, `tab`, `q`, `space`, `pgup`, `f5`...
pub fn parse_key(spec: &str) -> Option<(KeyCode, KeyModifiers)> {
    let spec = spec.trim().to_lowercase();
    let mut mods = KeyModifiers::NONE;
    let mut rest = spec.as_str();
    loop {
        if let Some(r) = rest.strip_prefix("ctrl+") {
            mods |= KeyModifiers::CONTROL;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("alt+") {
            mods |= KeyModifiers::ALT;
            rest = r;
        } else {
            break;
        }
    }
    let code = match rest {
        "tab" => KeyCode::Tab,
        "space" => KeyCode::Char(' '),
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" => KeyCode::PageUp,
        "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        s if s.len() > 1 && s.starts_with('f') => KeyCode::F(s[1..].parse().ok()?),
        s => {
            let mut chars = s.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(c)
        }
    };
    Some((code, mods))
}

/// The bindings in force.
#[derive(Debug, Clone)]
pub struct Keys {
    map: Vec<(Command, KeyCode, KeyModifiers)>,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::from_config("").unwrap_or(Keys { map: Vec::new() })
    }
}

impl Keys {
    /// dive's defaults with the `[keys]` lines of a config file applied.
    pub fn from_config(text: &str) -> Result<Keys, String> {
        let mut specs: Vec<(Command, String)> = DEFAULTS
            .iter()
            .map(|(c, _, k)| (*c, (*k).to_string()))
            .collect();
        let mut in_keys = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with('[') {
                in_keys = line == "[keys]";
                continue;
            }
            if !in_keys {
                continue;
            }
            let (name, value) = line
                .split_once('=')
                .ok_or_else(|| format!("line {}: expected name = \"key\"", n + 1))?;
            let name = name.trim();
            let value = value.trim().trim_matches('"');
            let cmd = DEFAULTS
                .iter()
                .find(|(_, nm, _)| *nm == name)
                .map(|(c, _, _)| *c)
                .ok_or_else(|| format!("line {}: unknown action {name:?}", n + 1))?;
            parse_key(value).ok_or_else(|| format!("line {}: unknown key {value:?}", n + 1))?;
            for s in specs.iter_mut().filter(|(c, _)| *c == cmd) {
                s.1 = value.to_string();
            }
        }
        let map = specs
            .into_iter()
            .filter_map(|(c, s)| parse_key(&s).map(|(k, m)| (c, k, m)))
            .collect();
        Ok(Keys { map })
    }

    /// The commands bound to a key (a key may mean different things per pane).
    pub fn commands(&self, key: &KeyEvent) -> Vec<Command> {
        let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match key.code {
            // Terminals send Ctrl+Space as NUL.
            KeyCode::Char('\0') => KeyCode::Char(' '),
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        let mut out: Vec<Command> = self
            .map
            .iter()
            .filter(|(_, k, m)| *k == code && *m == mods)
            .map(|(c, _, _)| *c)
            .collect();
        // Vim and plain movement keys always work.
        let extra = match (code, mods) {
            (KeyCode::Char('k'), KeyModifiers::NONE) => Some(Command::Up),
            (KeyCode::Char('j'), KeyModifiers::NONE) => Some(Command::Down),
            (KeyCode::Char('c'), KeyModifiers::CONTROL) => Some(Command::Quit),
            _ => None,
        };
        out.extend(extra);
        out
    }

    /// The key shown for a command in help and the status bar.
    pub fn label(&self, cmd: Command) -> String {
        self.map
            .iter()
            .find(|(c, _, _)| *c == cmd)
            .map(|(_, k, m)| {
                let key = match k {
                    KeyCode::Char(' ') => "Space".to_string(),
                    KeyCode::Char(c) => c.to_string(),
                    KeyCode::Tab => "Tab".to_string(),
                    KeyCode::PageUp => "PgUp".to_string(),
                    KeyCode::PageDown => "PgDn".to_string(),
                    KeyCode::Up => "↑".to_string(),
                    KeyCode::Down => "↓".to_string(),
                    other => format!("{other:?}"),
                };
                if m.contains(KeyModifiers::CONTROL) {
                    format!("^{}", key.to_uppercase())
                } else {
                    key
                }
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let k = Keys::default();
        let ctrl_f = KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL);
        assert_eq!(k.commands(&ctrl_f), vec![Command::Filter]);
        let ctrl_a = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL);
        assert_eq!(
            k.commands(&ctrl_a),
            vec![Command::AggregatedView, Command::ToggleAdded]
        );
        let k = Keys::from_config("[keys]\nfilter-files = \"ctrl+t\"\n").unwrap();
        assert!(k.commands(&ctrl_f).is_empty());
        let ctrl_t = KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL);
        assert_eq!(k.commands(&ctrl_t), vec![Command::Filter]);
        assert_eq!(k.label(Command::Filter), "^T");
        assert!(Keys::from_config("[keys]\nnope = \"x\"\n").is_err());
        assert!(Keys::from_config("[keys]\nquit = \"ctrl+\"\n").is_err());
    }
}
