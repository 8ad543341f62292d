//! The command line: one module per subcommand, each with its arguments (whose doc comments are the
//! `--help` text) and one `run(&Session, &Args)` that resolves them, calls one engine operation and
//! renders what it returns. The CLI writes no ledger record and calls no cloud, GitHub, Docker or S3 API
//! itself: that is the engine's (`ops` and below).

mod check;
mod demo;
mod deploy;
mod diff;
mod envs;
mod error;
mod exit;
mod freeze;
mod github;
mod graph;
mod history;
mod progress;
mod promote;
mod release;
mod rollback;
mod run_args;
mod session;
mod status;
mod status_page;
mod synth;
mod ui;
mod unlock;
mod verify;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use error::{CliError, ErrorKind};
pub use exit::Exit;
pub use session::Session;
pub use ui::{Captured, Sink, Ui};

use crate::clock::{Clock, SystemClock};
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
    Verify(verify::VerifyArgs),
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

impl Command {
    /// The store the command names (`--store`, `SLIPWAY_STORE`), for commands that keep state.
    fn store(&self) -> Option<&run_args::StoreArgs> {
        match self {
            Command::Deploy(a) => Some(&a.apply.run.store),
            Command::Promote(a) => Some(&a.apply.run.store),
            Command::Rollback(a) => Some(&a.apply.run.store),
            Command::Verify(a) => Some(&a.store),
            Command::Demo(a) => Some(a.store()),
            Command::Release(a) => Some(a.store()),
            Command::Freeze(a) => Some(&a.store),
            Command::Unfreeze(a) => Some(&a.store),
            Command::Unhold(a) => Some(&a.store),
            Command::History(a) => Some(&a.store),
            Command::Status(a) => Some(&a.store),
            Command::Unlock(a) => Some(&a.store),
            _ => None,
        }
    }
}

/// How a listing command prints: for people, or as JSON for scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

/// Runs the command line `args` (the first item is the program name) against `project`, on `ui`.
pub fn run_with<I, T>(project: Project, args: I, ui: &Ui) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    run_at(project, args, ui, &SystemClock)
}

/// [`run_with`] at the time `clock` tells (a test of rules about time, without waiting for them).
pub fn run_at<I, T>(project: Project, args: I, ui: &Ui, clock: &dyn Clock) -> ExitCode
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
                let _ = write!(ui.err.clone(), "{}", e.render());
                return Exit::Refused.into();
            }
            let _ = write!(ui.out.clone(), "{}", e.render());
            return Exit::Success.into();
        }
    };
    let result = Session::new(project, ui, cli.command.store().and_then(|s| s.store.clone()), clock)
        .and_then(|s| dispatch(&s, &cli.command));
    let _ = ui.out.clone().flush();
    match result {
        Ok(exit) => exit.into(),
        Err(e) if e.is_broken_pipe() => Exit::Success.into(),
        Err(e) => {
            let _ = e.render(&mut ui.err.clone());
            e.exit().into()
        }
    }
}

fn dispatch(s: &Session, command: &Command) -> Result<Exit, CliError> {
    match command {
        Command::Synth(args) => synth::run(s, args),
        Command::Diff(args) => diff::run(s, args),
        Command::Check(args) => check::run(s, args),
        Command::Deploy(args) => deploy::run(s, args),
        Command::Demo(args) => demo::run(s, args),
        Command::Envs(args) => envs::run(s, args),
        Command::GitHub(args) => github::run(s, args),
        Command::Release(args) => release::run(s, args),
        Command::Promote(args) => promote::run(s, args),
        Command::Rollback(args) => rollback::run(s, args),
        Command::Verify(args) => verify::run(s, args),
        Command::Freeze(args) => freeze::freeze(s, args),
        Command::Unfreeze(args) => freeze::unfreeze(s, args),
        Command::Unhold(args) => freeze::unhold(s, args),
        Command::Graph(args) => graph::run(s, args),
        Command::History(args) => history::run(s, args),
        Command::Status(args) => status::run(s, args),
        Command::Unlock(args) => unlock::run(s, args),
        Command::InternalErrorTest => panic!("the internal-error-test command panics on purpose"),
    }
}

/// The `slipway` binary: this repository's project, the process's arguments, standard streams. A panic
/// is a bug in slipway: it is reported as one and ends with exit 70, never with a raw backtrace.
pub fn main() -> ExitCode {
    main_with(crate::environments::project())
}

/// A binary of `project`: the process's arguments and standard streams, and a panic reported as a bug
/// in slipway (exit 70).
pub fn main_with(project: Project) -> ExitCode {
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
        let ui = Ui::standard();
        run_with(project, std::env::args_os(), &ui)
    });
    result.unwrap_or_else(|_| Exit::Internal.into())
}
