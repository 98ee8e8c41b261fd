//! Writing to stdout/stderr: data on stdout, one-line errors on stderr, BrokenPipe is success,
//! untrusted text sanitised when stdout is a terminal.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// An error that chooses its own exit code (Docker uses 64 for template parse errors).
#[derive(Debug)]
pub struct Exit {
    /// The exit code.
    pub code: u8,
    /// The one-line message.
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Exit {}

/// Replaces terminal control characters (C0 but tab/newline, DEL, C1, bidi overrides) so an
/// image cannot drive the user's terminal. Only applied when stdout is a terminal.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if (c as u32) < 0x20 || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) => {
                '\u{fffd}'
            }
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Prints to stdout; a closed pipe ends the program quietly with success.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let data = if std::io::stdout().is_terminal() {
        sanitize(text)
    } else {
        text.to_string()
    };
    if let Err(e) = out.write_all(data.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("Error: writing output: {e}");
        std::process::exit(1);
    }
}

/// One line on stderr.
pub fn error_line(msg: &str) {
    let one_line = msg.replace('\n', " ");
    eprintln!("{}", sanitize(&one_line));
}

/// The error and its causes on one line, each cause once: library errors that already say
/// their source (`{what}: {source}`) are not repeated by the chain.
pub fn chain_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if msg.contains(&s) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&s);
    }
    msg
}

/// A name the store could not resolve (bad reference or no such image), which each verb
/// reports as the daemon's error: `Error response from daemon: <error>`.
#[derive(Debug)]
pub struct Lookup {
    /// The name as typed.
    pub name: String,
    /// The daemon's message (`invalid reference format`, `No such image: x:latest`).
    pub error: String,
}

impl std::fmt::Display for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Error response from daemon: {}", self.error)
    }
}

impl std::error::Error for Lookup {}

/// Reports an error and picks the exit code.
pub fn fail(e: &anyhow::Error) -> ExitCode {
    if let Some(x) = e.downcast_ref::<Exit>() {
        error_line(&x.message);
        return ExitCode::from(x.code);
    }
    if let Some(l) = e.downcast_ref::<Lookup>() {
        error_line(&l.to_string());
        return ExitCode::from(1);
    }
    if let Some(strata_core::Error::InvalidReference(_)) = e.downcast_ref::<strata_core::Error>() {
        error_line(&e.to_string());
        return ExitCode::from(1);
    }
    error_line(&format!("Error: {}", chain_line(e)));
    ExitCode::from(1)
}

#[cfg(test)]
mod chain_tests {
    use super::chain_line;

    #[test]
    fn a_cause_the_message_already_says_is_not_repeated() {
        let io = std::io::Error::other("transfer too slow");
        let e = anyhow::Error::new(strata_core::Error::Read {
            what: "blob sha256:ab".into(),
            source: io,
        })
        .context("docker://x");
        assert_eq!(
            chain_line(&e),
            "docker://x: blob sha256:ab: transfer too slow"
        );
    }
}
