//! `ls -l`'s columns: the permission text and the long line `strata ls -l` prints.

use strata_core::tree::{Kind, Node};

/// `ls -l` permission text: `drwxr-xr-x`, with setuid/setgid/sticky as `s`/`S`/`t`/`T`.
/// `type_char` is the kind's letter (`h`, a hard link, shows as a file).
pub fn mode_string(type_char: char, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(if type_char == 'h' { '-' } else { type_char });
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let special = |x: u32, sp: u32, lower: char, upper: char| match (mode & x != 0, mode & sp != 0)
    {
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

/// One `strata ls -l` line: mode, owner, size (or device numbers), time, the layer that
/// last set it, the path, and a symlink's target.
pub fn long_line(path: &str, n: &Node<'_>, layer: usize) -> String {
    // A symlink's own mode is always 0777 on Linux, whatever the tar header said.
    let mode = if n.kind == Kind::Symlink {
        0o777
    } else {
        n.mode
    };
    let time = jiff::Timestamp::from_second(n.mtime)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let size = match n.kind {
        Kind::Char | Kind::Block => format!("{},{}", n.dev.0, n.dev.1),
        _ => n.size.to_string(),
    };
    let mut l = format!(
        "{} {:>5}:{:<5} {:>10} {} L{layer:<2} {path}",
        mode_string(n.kind.letter(), mode),
        n.uid,
        n.gid,
        size,
        time
    );
    if n.kind == Kind::Symlink {
        l.push_str(" -> ");
        l.push_str(&String::from_utf8_lossy(n.link));
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_text_like_ls() {
        assert_eq!(mode_string('d', 0o755), "drwxr-xr-x");
        assert_eq!(mode_string('-', 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string('-', 0o4644), "-rwSr--r--");
        assert_eq!(mode_string('d', 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string('d', 0o1776), "drwxrwxrwT");
        assert_eq!(mode_string('h', 0o2750), "-rwxr-s---");
    }
}
