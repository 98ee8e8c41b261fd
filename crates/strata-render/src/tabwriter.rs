//! The docker CLI's fork of Go's `text/tabwriter`, with cell widths measured by go-runewidth.
//! Docker formats tables with `NewWriter(out, 10, 1, 3, ' ', 0)`.

use crate::width::string_width;

/// A buffering tab-aligned writer; call [`TabWriter::finish`] to get the text.
pub struct TabWriter {
    minwidth: usize,
    padding: usize,
    lines: Vec<Vec<(String, usize)>>,
    cell: String,
}

impl TabWriter {
    /// A writer with Docker's table settings (minwidth 10, padding 3, space padding).
    pub fn docker() -> TabWriter {
        TabWriter::new(10, 3)
    }

    /// A writer with the given minimum column width and padding.
    pub fn new(minwidth: usize, padding: usize) -> TabWriter {
        TabWriter {
            minwidth,
            padding,
            lines: vec![Vec::new()],
            cell: String::new(),
        }
    }

    /// Buffers text.
    pub fn write(&mut self, text: &str) {
        for ch in text.chars() {
            match ch {
                '\t' | '\x0b' => self.terminate_cell(),
                '\n' | '\x0c' => {
                    self.terminate_cell();
                    self.lines.push(Vec::new());
                }
                c => self.cell.push(c),
            }
        }
    }

    fn terminate_cell(&mut self) {
        let text = std::mem::take(&mut self.cell);
        let w = string_width(&text);
        if let Some(line) = self.lines.last_mut() {
            line.push((text, w));
        }
    }

    /// Lays out everything written and returns it.
    pub fn finish(mut self) -> String {
        if !self.cell.is_empty() {
            self.terminate_cell();
        }
        let mut out = String::new();
        let mut widths = Vec::new();
        let n = self.lines.len();
        self.format(&mut out, &mut widths, 0, n);
        out
    }

    fn format(&self, out: &mut String, widths: &mut Vec<usize>, mut line0: usize, line1: usize) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(out, widths, line0, this);
            line0 = this;
            let mut width = self.minwidth;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                width = width.max(line[column].1 + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format(out, widths, line0, this);
            widths.pop();
            line0 = this;
        }
        self.write_lines(out, widths, line0, line1);
    }

    fn write_lines(&self, out: &mut String, widths: &[usize], line0: usize, line1: usize) {
        for i in line0..line1 {
            for (j, (text, w)) in self.lines[i].iter().enumerate() {
                out.push_str(text);
                if j < widths.len() {
                    for _ in *w..widths[j] {
                        out.push(' ');
                    }
                }
            }
            if i + 1 != self.lines.len() {
                out.push('\n');
            }
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
