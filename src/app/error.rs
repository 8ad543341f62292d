//! The one error type of slipway's command lines (the definitions' own and the engine's): it knows its
//! kind, which fixes the exit status, and carries hints that tell the user what to do next. Every library
//! error becomes one through a `From` impl, so the kind of each is decided once: the pure ones here, the
//! engine's beside the engine's command line.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::exit::Exit;
use crate::diff::{ArtifactError, FilesError};
use crate::model::Problems;
use crate::synth::{OutputError, ReadError};

/// What kind of failure, which fixes the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input was refused (exit 1).
    User,
    /// A cloud API failed (exit 3).
    Cloud,
    /// The environment's AWS account is not bootstrapped, or by an older version (exit 6).
    NotBootstrapped,
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

    /// An AWS account and region that `slipway bootstrap` must prepare first.
    pub fn not_bootstrapped(message: impl Into<String>) -> Self {
        CliError { kind: ErrorKind::NotBootstrapped, ..CliError::user(message) }
    }

    /// A bug.
    pub fn internal(message: impl Into<String>) -> Self {
        CliError { kind: ErrorKind::Internal, ..CliError::user(message) }
    }

    /// Adds a detail line (one of several things wrong).
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }

    /// Adds detail lines.
    pub fn details(mut self, details: impl IntoIterator<Item = String>) -> Self {
        self.details.extend(details);
        self
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

    /// How the command ends with this error.
    pub fn exit(&self) -> Exit {
        match self.kind {
            ErrorKind::User => Exit::Refused,
            ErrorKind::Cloud => Exit::CloudFailed,
            ErrorKind::NotBootstrapped => Exit::NotBootstrapped,
            ErrorKind::Internal => Exit::Internal,
            ErrorKind::BrokenPipe => Exit::Success,
        }
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

impl From<Problems> for CliError {
    fn from(p: Problems) -> Self {
        CliError::user(format!("{p}:"))
            .details(p.0.iter().map(ToString::to_string))
            .hint("fix them in the definitions, then run `slipway check` again")
    }
}

impl From<OutputError> for CliError {
    fn from(e: OutputError) -> Self {
        CliError::user(e.to_string())
    }
}

impl From<ReadError> for CliError {
    fn from(e: ReadError) -> Self {
        let dir = match &e {
            ReadError::NotADirectory(d) | ReadError::NoManifest { dir: d, .. } => d.display().to_string(),
            _ => "DIR".to_string(),
        };
        CliError::user(e.to_string()).hint(format!("run `slipway synth --out {dir}` on the revision you want"))
    }
}

impl From<ArtifactError> for CliError {
    fn from(e: ArtifactError) -> Self {
        CliError::user(e.to_string())
            .hint("a template that is neither JSON nor YAML cannot be compared; check where it came from")
    }
}

impl From<FilesError> for CliError {
    fn from(e: FilesError) -> Self {
        let hint = e.hint();
        CliError::user(e.to_string()).hint(hint)
    }
}

impl From<super::AppError> for CliError {
    fn from(e: super::AppError) -> Self {
        use super::AppError;
        match e {
            AppError::Definitions(p) => p.into(),
            AppError::NoDemos => CliError::user("this project defines no feature demos")
                .hint("give the project a demo factory with `Project::demos_from`"),
            AppError::Program(super::program::ProgramError::Failed { command, status, said }) => {
                CliError::user(format!("the definitions' program `{command}` failed ({status})"))
                    .details(said.lines().map(str::to_string))
                    .hint("run it yourself to see the whole of what it says, then fix the definitions")
            }
            AppError::Asset(e) => CliError::user(e.to_string()).hint(
                "an asset's paths are relative to the project's top directory, where slipway runs; correct the \
                 path in its declaration (`Asset::file`, `Asset::directory`, `Asset::image`) or make what it names",
            ),
            other => CliError::user(other.to_string()),
        }
    }
}
