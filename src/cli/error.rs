//! The one error type of the command line: it knows its kind (which fixes the exit status) and carries
//! hints that tell the user what to do next.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

use crate::model::Problem;

/// What kind of failure, which fixes the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input was refused (exit 1).
    User,
    /// A cloud API failed (exit 3).
    Cloud,
    /// A bug in slipway (exit 70).
    Internal,
    /// Writing to standard output failed because the reader went away: not an error.
    BrokenPipe,
}

/// An error as the user sees it.
#[derive(Debug)]
pub struct CliError {
    kind: ErrorKind,
    message: String,
    details: Vec<String>,
    hints: Vec<String>,
}

impl CliError {
    /// A refused input.
    pub fn user(message: impl Into<String>) -> Self {
        CliError { kind: ErrorKind::User, message: message.into(), details: Vec::new(), hints: Vec::new() }
    }

    /// A failure of a cloud API.
    pub fn cloud(message: impl Into<String>) -> Self {
        CliError { kind: ErrorKind::Cloud, ..CliError::user(message) }
    }

    /// A bug.
    pub fn internal(message: impl Into<String>) -> Self {
        CliError { kind: ErrorKind::Internal, ..CliError::user(message) }
    }

    /// The definitions have problems: one line each.
    pub fn problems(problems: &[Problem]) -> Self {
        let n = problems.len();
        let mut e = CliError::user(format!("the definitions have {n} problem{}:", if n == 1 { "" } else { "s" }));
        e.details = problems.iter().map(ToString::to_string).collect();
        e.hint("fix them in environments/ or stacks/, then run `slipway check` again")
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether this is a closed standard output, which ends the command quietly.
    pub fn is_broken_pipe(&self) -> bool {
        self.kind == ErrorKind::BrokenPipe
    }

    /// The exit status for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self.kind {
            ErrorKind::User => 1,
            ErrorKind::Cloud => 3,
            ErrorKind::Internal => 70,
            ErrorKind::BrokenPipe => 0,
        })
    }

    /// Writes the error as the user reads it.
    pub fn render(&self, w: &mut dyn Write) -> io::Result<()> {
        let label = match self.kind {
            ErrorKind::Cloud => "cloud error",
            ErrorKind::Internal => "internal error",
            _ => "error",
        };
        let mut s = format!("{label}: {}\n", self.message);
        for d in &self.details {
            let _ = writeln!(s, "  - {d}");
        }
        for h in &self.hints {
            let _ = writeln!(s, "hint: {h}");
        }
        w.write_all(s.as_bytes())
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            CliError { kind: ErrorKind::BrokenPipe, ..CliError::user("broken pipe") }
        } else {
            CliError::user(format!("could not write output: {e}"))
        }
    }
}
