//! The command line: one module per subcommand, each with its arguments (whose doc comments are the
//! `--help` text) and a `run` that resolves them, calls the engine and renders the result.

mod check;
mod context;
mod demo;
mod deploy;
mod diff;
mod envs;
mod error;
mod exit;
mod freeze;
mod github;
mod github_approvals;
mod graph;
mod history;
mod promote;
mod release;
mod rollback;
mod status;
mod synth;
mod unlock;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use error::{CliError, ErrorKind};
pub use exit::Exit;

use crate::model::Project;

/// Synthesizes CloudFormation templates, cloud.gov manifests and docker-compose files from typed
/// environment definitions.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Synth(synth::SynthArgs),
    Diff(diff::DiffArgs),
    Check(check::CheckArgs),
    Envs(envs::EnvsArgs),
    #[command(name = "github")]
    GitHub(github::GitHubArgs),
    Deploy(deploy::DeployArgs),
    Demo(demo::DemoArgs),
    Release(release::ReleaseArgs),
    Promote(promote::PromoteArgs),
    Rollback(rollback::RollbackArgs),
    Freeze(freeze::FreezeArgs),
    Unfreeze(freeze::UnfreezeArgs),
    Unhold(freeze::UnholdArgs),
    Graph(graph::GraphArgs),
    History(history::HistoryArgs),
    Status(status::StatusArgs),
    Unlock(unlock::UnlockArgs),
    /// Panics on purpose, so that what slipway does with its own bugs (a report and exit 70) can be tested.
    #[command(hide = true)]
    InternalErrorTest,
}

/// How a listing command prints: for people, or as JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

/// Where a command writes: standard output for results, standard error for notes and errors.
pub struct Ui<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Notes, warnings, errors.
    pub err: &'a mut dyn Write,
}

/// Runs the command line `args` (the first item is the program name) against `project`.
pub fn run_with<I, T>(project: Project, args: I, ui: &mut Ui) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let table = Exit::table();
    let parsed = Cli::command()
        .after_help(table.clone())
        .mut_subcommands(|sub| sub.after_help(table.clone()))
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` arrive here too: they go to stdout and succeed.
            if e.use_stderr() {
                let _ = write!(ui.err, "{}", e.render());
                return Exit::Refused.into();
            }
            let _ = write!(ui.out, "{}", e.render());
            return Exit::Success.into();
        }
    };
    let result = match &cli.command {
        Command::Synth(args) => synth::run(project, args, ui),
        Command::Diff(args) => diff::run(project, args, ui),
        Command::Check(args) => check::run(project, args, ui),
        Command::Deploy(args) => deploy::run(project, args, ui),
        Command::Demo(args) => demo::run(project, args, ui),
        Command::Envs(args) => envs::run(&project, args, ui),
        Command::GitHub(args) => github::run(project, args, ui),
        Command::Release(args) => release::run(project, args, ui),
        Command::Promote(args) => promote::run(project, args, ui),
        Command::Rollback(args) => rollback::run(project, args, ui),
        Command::Freeze(args) => freeze::freeze(project, args, ui),
        Command::Unfreeze(args) => freeze::unfreeze(project, args, ui),
        Command::Unhold(args) => freeze::unhold(project, args, ui),
        Command::Graph(args) => graph::run(&project, args, ui),
        Command::History(args) => history::run(project, args, ui),
        Command::Status(args) => status::run(project, args, ui),
        Command::Unlock(args) => unlock::run(project, args, ui),
        Command::InternalErrorTest => panic!("the internal-error-test command panics on purpose"),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) if e.is_broken_pipe() => Exit::Success.into(),
        Err(e) => {
            let _ = e.render(ui.err);
            e.exit().into()
        }
    }
}

/// The `slipway` binary: this repository's project, the process's arguments, standard streams. A panic
/// is a bug in slipway: it is reported as one and ends with exit 70, never with a raw backtrace.
pub fn main() -> ExitCode {
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
    let result = std::panic::catch_unwind(|| {
        let stdout = io::stdout();
        let stderr = io::stderr();
        let mut out = stdout.lock();
        let mut err = stderr.lock();
        let mut ui = Ui { out: &mut out, err: &mut err };
        let code = run_with(crate::environments::project(), std::env::args_os(), &mut ui);
        let _ = ui.out.flush();
        code
    });
    result.unwrap_or_else(|_| Exit::Internal.into())
}

/// The single-threaded runtime the commands that talk to AWS run on.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the async runtime: {e}")))
}

/// Adds the feature-demo instances named on the command line to `project`.
fn with_demos(mut project: Project, demos: &[String]) -> Result<Project, CliError> {
    for name in demos {
        project = project.with_demo(name).ok_or_else(|| {
            CliError::user(format!("cannot make feature demo `{name}`: this project defines no feature demos"))
                .hint("give the project a demo factory with `Project::demos_from` in environments/mod.rs")
        })?;
    }
    Ok(project)
}

/// Refuses definitions that `slipway check` refuses, with every problem.
fn checked(project: &Project) -> Result<(), CliError> {
    let problems = crate::model::check(project);
    if problems.is_empty() { Ok(()) } else { Err(crate::model::Problems(problems).into()) }
}

/// Checks that every name in `names` is an environment of `project`.
fn resolve_envs(project: &Project, names: &[String]) -> Result<Vec<String>, CliError> {
    for name in names {
        if project.find(name).is_none() {
            let mut e = CliError::user(format!("no environment `{name}`"));
            if let Some(close) = project.closest(name) {
                e = e.hint(format!("did you mean `{close}`?"));
            }
            let all: Vec<&str> = project.all_environments().map(|e| e.name.as_str()).collect();
            return Err(e.hint(format!("the environments are: {}", all.join(", "))));
        }
    }
    Ok(names.to_vec())
}
