//! The definitions' own command line: what a team's program answers without the engine, the cloud or a
//! store. `synth` (which also writes the project's rules for the engine), `check`, `envs`, `graph`, and
//! `diff` against a synth directory or between two templates. The engine hands these commands to the
//! definitions unchanged, so they say the same whichever one a person runs.

mod check;
mod diff;
mod envs;
mod graph;
mod synth;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use check::CheckArgs;
pub use diff::{Against, DiffArgs, ending as diff_ending, finish as diff_finish};
pub use envs::EnvsArgs;
pub use graph::GraphArgs;
pub use synth::SynthArgs;

use super::{AppError, CliError, Exit};
use crate::model::{Definitions, DemoSlug, Project};

/// The definitions' command line.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, max_term_width = 100)]
struct AppCli {
    #[command(subcommand)]
    command: AppCommand,
}

/// The commands the definitions answer themselves.
#[derive(Debug, Subcommand)]
enum AppCommand {
    Synth(SynthArgs),
    Check(CheckArgs),
    Envs(EnvsArgs),
    Graph(GraphArgs),
    Diff(DiffArgs),
}

/// How a listing command prints: for people, or as JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// For people.
    Text,
    /// For scripts.
    Json,
}

/// Where a command of the definitions writes, and whether its results go to a terminal (for colour).
pub struct Streams<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Notes and errors.
    pub err: &'a mut dyn Write,
    /// Whether `out` is a terminal.
    pub color: bool,
}

/// A team's program: `fn main() -> ExitCode { slipway::app::main(definitions()) }`. Its arguments, the
/// standard streams, and a panic reported as a bug in slipway (exit 70).
pub fn main(definitions: Definitions) -> ExitCode {
    report_panics();
    let result = std::panic::catch_unwind(|| {
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        let (stdout, stderr) = (io::stdout(), io::stderr());
        let color = stdout.is_terminal();
        let exit = run(&definitions, &args, &mut stdout.lock(), &mut stderr.lock(), color);
        let _ = io::stdout().flush();
        exit
    });
    result.unwrap_or(Exit::Internal).into()
}

/// Reports a panic as a bug in slipway, with where it happened, instead of a raw backtrace.
pub fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!(
            "internal error: slipway panicked{at}: {message}\nhint: this is a bug in slipway; please report it \
             with the command you ran and this message"
        );
    }));
}

/// Runs the definitions' command `args` (without the program name), writing to `out` and `err`.
pub fn run(
    definitions: &Definitions,
    args: &[OsString],
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Exit {
    let table = Exit::table();
    let argv = std::iter::once(OsString::from("slipway")).chain(args.iter().cloned());
    let parsed = AppCli::command()
        .after_help(table.clone())
        .mut_subcommands(|sub| sub.after_help(table.clone()))
        .try_get_matches_from(argv)
        .and_then(|matches| AppCli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` arrive here too: they go to stdout and succeed.
            if e.use_stderr() {
                let _ = write!(err, "{}", e.render());
                return Exit::Refused;
            }
            let _ = write!(out, "{}", e.render());
            return Exit::Success;
        }
    };
    let mut io = Streams { out, err, color };
    let result = match &cli.command {
        AppCommand::Synth(a) => synth::run(definitions, a, &mut io),
        AppCommand::Check(a) => check::run(definitions, a, &mut io),
        AppCommand::Envs(a) => envs::run(definitions, a, &mut io),
        AppCommand::Graph(a) => graph::run(definitions, a, &mut io),
        AppCommand::Diff(a) => diff::run(definitions, a, &mut io),
    };
    let _ = io.out.flush();
    match result {
        Ok(exit) => exit,
        Err(e) if e.is_broken_pipe() => Exit::Success,
        Err(e) => {
            let _ = e.render(io.err);
            e.exit()
        }
    }
}

/// Refuses definitions that `slipway check` refuses, with every problem.
fn checked(d: &Definitions) -> Result<(), CliError> {
    let problems = crate::model::check(d);
    if problems.is_empty() { Ok(()) } else { Err(crate::model::Problems(problems).into()) }
}

/// The refusal of an environment `project` does not have, with the closest and every one.
pub fn unknown_environment(project: &Project, name: &str) -> CliError {
    let mut e = CliError::user(format!("no environment `{name}`"));
    if let Some(close) = project.closest(name) {
        e = e.hint(format!("did you mean `{close}`?"));
    }
    let all: Vec<&str> = project.all_environments().map(|e| e.name.as_str()).collect();
    e.hint(format!("the environments are: {}", all.join(", ")))
}

/// `d` with the feature demos `demos` added, as a command line refuses what cannot be.
fn with_demos(d: &Definitions, demos: &[String]) -> Result<(Definitions, Vec<DemoSlug>), CliError> {
    super::with_demos(d, demos).map_err(|e| match e {
        AppError::NoDemos => CliError::user(format!(
            "cannot make feature demo `{}`: this project defines no feature demos",
            demos.first().map(String::as_str).unwrap_or_default()
        ))
        .hint("give the project a demo factory with `Project::demos_from`"),
        other => other.into(),
    })
}
