//! The docker CLI's fork of Go's `text/tabwriter` (cli/command/formatter/tabwriter): elastic
//! tabstops over bytes, with cell widths measured by go-runewidth's `StringWidth`. Docker formats
//! tables with `NewWriter(out, 10, 1, 3, ' ', 0)`.

use crate::width::default_condition;

/// Flags of `tabwriter.NewWriter`.
pub mod flags {
    /// Ignore html tags and treat entities (starting with '&' and ending in ';') as one character.
    pub const FILTER_HTML: u32 = 1;
    /// Strip Escape characters bracketing escaped text segments.
    pub const STRIP_ESCAPE: u32 = 2;
    /// Force right-alignment of cell content.
    pub const ALIGN_RIGHT: u32 = 4;
    /// Handle empty columns as if they were not present in the input in the first place.
    pub const DISCARD_EMPTY_COLUMNS: u32 = 8;
    /// Always use tabs for indentation columns (leading empty cells).
    pub const TAB_INDENT: u32 = 16;
    /// Print a vertical bar ('|') between columns (after formatting).
    pub const DEBUG: u32 = 32;
}

/// `tabwriter.Escape`: brackets text whose bytes are all cell text.
pub const ESCAPE: u8 = 0xFF;

#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    size: usize,
    width: usize,
    htab: bool,
}

/// A buffering tab-aligned writer; call [`TabWriter::finish`] to get the text.
pub struct TabWriter {
    minwidth: usize,
    tabwidth: usize,
    padding: usize,
    padchar: u8,
    flags: u32,
    buf: Vec<u8>,
    pos: usize,
    cell: Cell,
    end_char: u8,
    lines: Vec<Vec<Cell>>,
    widths: Vec<usize>,
    out: Vec<u8>,
}

/// Go's `string(bytes)` as `[]rune` sees it: each byte of invalid UTF-8 is one U+FFFD.
fn go_decode(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    let mut rest = b;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(v) => {
                s.push_str(v);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                s.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                s.push('\u{FFFD}');
                rest = &rest[good + 1..];
            }
        }
    }
    s
}

fn width_of(b: &[u8]) -> usize {
    default_condition().string_width(&go_decode(b))
}

impl TabWriter {
    /// A writer with Docker's table settings (minwidth 10, tabwidth 1, padding 3, spaces).
    pub fn docker() -> TabWriter {
        TabWriter::with(10, 1, 3, b' ', 0)
    }

    /// A writer with the given minimum column width and padding, padding with spaces.
    pub fn new(minwidth: usize, padding: usize) -> TabWriter {
        TabWriter::with(minwidth, 1, padding, b' ', 0)
    }

    /// `NewWriter(out, minwidth, tabwidth, padding, padchar, flags)`.
    pub fn with(
        minwidth: usize,
        tabwidth: usize,
        padding: usize,
        padchar: u8,
        flags: u32,
    ) -> TabWriter {
        let flags = if padchar == b'\t' {
            flags & !flags::ALIGN_RIGHT
        } else {
            flags
        };
        let mut w = TabWriter {
            minwidth,
            tabwidth,
            padding,
            padchar,
            flags,
            buf: Vec::new(),
            pos: 0,
            cell: Cell::default(),
            end_char: 0,
            lines: Vec::new(),
            widths: Vec::new(),
            out: Vec::new(),
        };
        w.reset();
        w
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.cell = Cell::default();
        self.end_char = 0;
        self.lines.clear();
        self.widths.clear();
        self.lines.push(Vec::new());
    }

    fn write_padding(&mut self, textw: usize, cellw: usize, use_tabs: bool) {
        if self.padchar == b'\t' || use_tabs {
            if self.tabwidth == 0 {
                return;
            }
            let cellw = cellw.div_ceil(self.tabwidth) * self.tabwidth;
            let n = cellw.saturating_sub(textw);
            let tabs = n.div_ceil(self.tabwidth);
            self.out.extend(std::iter::repeat_n(b'\t', tabs));
            return;
        }
        let n = cellw.saturating_sub(textw);
        self.out.extend(std::iter::repeat_n(self.padchar, n));
    }

    fn write_lines(&mut self, mut pos: usize, line0: usize, line1: usize) -> usize {
        for i in line0..line1 {
            let line = self.lines[i].clone();
            let mut use_tabs = self.flags & flags::TAB_INDENT != 0;
            for (j, c) in line.iter().enumerate() {
                if j > 0 && self.flags & flags::DEBUG != 0 {
                    self.out.push(b'|');
                }
                let column = self.widths.get(j).copied();
                if c.size == 0 {
                    if let Some(w) = column {
                        self.write_padding(c.width, w, use_tabs);
                    }
                } else {
                    use_tabs = false;
                    let text = pos..pos + c.size;
                    pos += c.size;
                    if self.flags & flags::ALIGN_RIGHT == 0 {
                        self.out.extend_from_slice(&self.buf[text]);
                        if let Some(w) = column {
                            self.write_padding(c.width, w, false);
                        }
                    } else {
                        if let Some(w) = column {
                            self.write_padding(c.width, w, false);
                        }
                        self.out.extend_from_slice(&self.buf[text]);
                    }
                }
            }
            if i + 1 == self.lines.len() {
                let end = (pos + self.cell.size).min(self.buf.len());
                self.out.extend_from_slice(&self.buf[pos..end]);
                pos = end;
            } else {
                self.out.push(b'\n');
            }
        }
        pos
    }

    fn format(&mut self, mut pos: usize, mut line0: usize, line1: usize) -> usize {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            pos = self.write_lines(pos, line0, this);
            line0 = this;
            let mut width = self.minwidth;
            let mut discardable = true;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                let c = line[column];
                width = width.max(c.width + self.padding);
                if c.width > 0 || c.htab {
                    discardable = false;
                }
                this += 1;
            }
            if discardable && self.flags & flags::DISCARD_EMPTY_COLUMNS != 0 {
                width = 0;
            }
            self.widths.push(width);
            pos = self.format(pos, line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(pos, line0, line1)
    }

    fn append(&mut self, text: &[u8]) {
        self.buf.extend_from_slice(text);
        self.cell.size += text.len();
    }

    fn update_width(&mut self) {
        self.cell.width += width_of(&self.buf[self.pos..]);
        self.pos = self.buf.len();
    }

    fn end_escape(&mut self) {
        match self.end_char {
            ESCAPE => {
                self.update_width();
                if self.flags & flags::STRIP_ESCAPE == 0 {
                    // The two Escape bytes are not text.
                    self.cell.width = self.cell.width.saturating_sub(2);
                }
            }
            b';' => self.cell.width += 1,
            _ => {}
        }
        self.pos = self.buf.len();
        self.end_char = 0;
    }

    fn terminate_cell(&mut self, htab: bool) -> usize {
        self.cell.htab = htab;
        let cell = std::mem::take(&mut self.cell);
        let line = self.lines.last_mut();
        match line {
            Some(l) => {
                l.push(cell);
                l.len()
            }
            None => 0,
        }
    }

    fn flush_buffered(&mut self) {
        if self.cell.size > 0 {
            if self.end_char != 0 {
                self.end_escape();
            }
            self.terminate_cell(false);
        }
        let n = self.lines.len();
        self.format(0, 0, n);
        self.reset();
    }

    /// Buffers bytes (`Write`): `\t` and `\v` end a cell, `\n` a line, `\f` a line and the
    /// column block; a line of one cell also ends the block.
    pub fn write_bytes(&mut self, buf: &[u8]) {
        let mut n = 0;
        for (i, &ch) in buf.iter().enumerate() {
            if self.end_char == 0 {
                match ch {
                    b'\t' | b'\x0b' | b'\n' | b'\x0c' => {
                        self.append(&buf[n..i]);
                        self.update_width();
                        n = i + 1;
                        let ncells = self.terminate_cell(ch == b'\t');
                        if ch == b'\n' || ch == b'\x0c' {
                            self.lines.push(Vec::new());
                            if ch == b'\x0c' || ncells == 1 {
                                self.flush_buffered();
                                if ch == b'\x0c' && self.flags & flags::DEBUG != 0 {
                                    self.out.extend_from_slice(b"---\n");
                                }
                            }
                        }
                    }
                    ESCAPE => {
                        self.append(&buf[n..i]);
                        self.update_width();
                        n = i;
                        if self.flags & flags::STRIP_ESCAPE != 0 {
                            n += 1;
                        }
                        self.end_char = ESCAPE;
                    }
                    b'<' | b'&' if self.flags & flags::FILTER_HTML != 0 => {
                        self.append(&buf[n..i]);
                        self.update_width();
                        n = i;
                        self.end_char = if ch == b'<' { b'>' } else { b';' };
                    }
                    _ => {}
                }
            } else if ch == self.end_char {
                let j = if ch == ESCAPE && self.flags & flags::STRIP_ESCAPE != 0 {
                    i
                } else {
                    i + 1
                };
                self.append(&buf[n..j]);
                n = i + 1;
                self.end_escape();
            }
        }
        self.append(&buf[n..]);
    }

    /// Buffers text.
    pub fn write(&mut self, text: &str) {
        self.write_bytes(text.as_bytes());
    }

    /// `Flush`: lays out everything buffered and appends it to the output.
    pub fn flush(&mut self) {
        self.flush_buffered();
    }

    /// Flushes and returns the output bytes.
    pub fn finish_bytes(mut self) -> Vec<u8> {
        self.flush_buffered();
        self.out
    }

    /// Flushes and returns the output as text.
    pub fn finish(self) -> String {
        match String::from_utf8(self.finish_bytes()) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_history_layout() {
        let mut t = TabWriter::docker();
        t.write("IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT\n");
        t.write("8c67b0fd1f92\t10 hours ago\t\t1.98MB\tbase from busybox-static\n");
        // shared/reference/example_base_1.history.txt
        assert_eq!(
            t.finish(),
            "IMAGE          CREATED        CREATED BY   SIZE      COMMENT\n\
             8c67b0fd1f92   10 hours ago                1.98MB    base from busybox-static\n"
        );
    }

    #[test]
    fn wide_cells_pad_by_display_width() {
        let mut t = TabWriter::docker();
        t.write("漢字漢字漢字\tx\nab\ty\n");
        assert_eq!(t.finish(), "漢字漢字漢字   x\nab             y\n");
    }
}
