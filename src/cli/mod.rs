//! The engine's command line (the `slipway` tool): one module per subcommand, each with its arguments
//! (whose doc comments are the `--help` text) and one `run(&Session, &Args)` that resolves them, calls one
//! engine operation and renders what it returns. The CLI writes no ledger record and calls no cloud,
//! GitHub, Docker or S3 API itself: that is the engine's (`ops` and below). The definitions' own commands
//! (`synth`, `check`, `envs`, `graph`, `diff` without the cloud) are handed to the definitions' program.

mod bootstrap;
mod demo;
mod deploy;
mod diff;
mod error;
mod freeze;
mod gc;
mod github;
mod history;
mod init;
mod progress;
mod promote;
mod release;
mod rollback;
mod run_args;
mod session;
mod status;
mod status_page;
mod ui;
mod unlock;
mod verify;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use crate::app::{CliError, ErrorKind, Exit};
pub use deploy::exit_of;
pub use session::Session;
pub use ui::{Captured, Sink, Ui};

use crate::app::App;
use crate::app::cli::{CheckArgs, EnvsArgs, GraphArgs, ListFormat, SynthArgs};
use crate::clock::{Clock, SystemClock};

/// Synthesizes CloudFormation templates, cloud.gov manifests and docker-compose files from typed
/// environment definitions.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, max_term_width = 100)]
pub struct Cli {
    /// The definitions' program: a command line run in the working directory (default: `app` in the
    /// `[package.metadata.slipway]` table of the nearest Cargo.toml, else `cargo run --quiet --` there).
    #[arg(long, global = true, value_name = "COMMAND", env = "SLIPWAY_APP")]
    app: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Synth(SynthArgs),
    Diff(crate::app::cli::DiffArgs),
    Check(CheckArgs),
    Envs(EnvsArgs),
    #[command(name = "github")]
    GitHub(github::GitHubArgs),
    Bootstrap(bootstrap::BootstrapArgs),
    Deploy(deploy::DeployArgs),
    Demo(demo::DemoArgs),
    Release(release::ReleaseArgs),
    Promote(promote::PromoteArgs),
    Rollback(rollback::RollbackArgs),
    Verify(verify::VerifyArgs),
    Freeze(freeze::FreezeArgs),
    Unfreeze(freeze::UnfreezeArgs),
    Unhold(freeze::UnholdArgs),
    Graph(GraphArgs),
    History(history::HistoryArgs),
    Status(status::StatusArgs),
    Unlock(unlock::UnlockArgs),
    Gc(gc::GcArgs),
    Init(init::InitArgs),
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
            Command::Gc(a) => Some(&a.store),
            _ => None,
        }
    }
}

/// Runs the command line `args` (the first item is the program name) against the definitions `app`, on
/// `ui`.
pub fn run_with<I, T>(app: &dyn App, args: I, ui: &Ui) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_at(app, args, ui, &SystemClock)
}

/// [`run_with`] at the time `clock` tells (a test of rules about time, without waiting for them).
pub fn run_at<I, T>(app: &dyn App, args: I, ui: &Ui, clock: &dyn Clock) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let table = Exit::table();
    let parsed = Cli::command()
        .after_help(table.clone())
        .mut_subcommands(|sub| sub.after_help(table.clone()))
        .try_get_matches_from(&args)
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
    let rest = &args[1.min(args.len())..];
    let result = Session::new(app, ui, cli.command.store().and_then(|s| s.store.clone()), clock)
        .and_then(|s| dispatch(&s, &cli.command, rest));
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

/// Runs `command`; `rest` is the command line without the program name, what the definitions' program
/// gets for the commands that are its own.
fn dispatch(s: &Session, command: &Command, rest: &[OsString]) -> Result<Exit, CliError> {
    let own = || s.delegate(&without_global_app(rest));
    match command {
        Command::Synth(_) | Command::Check(_) | Command::Envs(_) | Command::Graph(_) => own(),
        Command::Diff(args) => diff::run(s, args, own),
        Command::Bootstrap(args) => bootstrap::run(s, args),
        Command::Deploy(args) => deploy::run(s, args),
        Command::Demo(args) => demo::run(s, args),
        Command::GitHub(args) => github::run(s, args),
        Command::Release(args) => release::run(s, args),
        Command::Promote(args) => promote::run(s, args),
        Command::Rollback(args) => rollback::run(s, args),
        Command::Verify(args) => verify::run(s, args),
        Command::Freeze(args) => freeze::freeze(s, args),
        Command::Unfreeze(args) => freeze::unfreeze(s, args),
        Command::Unhold(args) => freeze::unhold(s, args),
        Command::History(args) => history::run(s, args),
        Command::Status(args) => status::run(s, args),
        Command::Unlock(args) => unlock::run(s, args),
        Command::Gc(args) => gc::run(s, args),
        Command::Init(args) => init::run(s, args),
        Command::InternalErrorTest => panic!("the internal-error-test command panics on purpose"),
    }
}

/// The command line without the engine's own `--app` option, which the definitions' program does not take.
fn without_global_app(rest: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip = false;
    for arg in rest {
        if skip {
            skip = false;
            continue;
        }
        match arg.to_str() {
            Some("--app") => skip = true,
            Some(a) if a.starts_with("--app=") => {}
            _ => out.push(arg.clone()),
        }
    }
    out
}

/// The `slipway` engine: the definitions' program found from the working directory (or named with `--app`
/// or `SLIPWAY_APP`), the process's arguments, standard streams. A panic is a bug in slipway: it is
/// reported as one and ends with exit 70, never with a raw backtrace.
pub fn main() -> ExitCode {
    crate::app::cli::report_panics();
    let result = std::panic::catch_unwind(|| {
        let ui = Ui::standard();
        let args: Vec<OsString> = std::env::args_os().collect();
        let named = Cli::command()
            .ignore_errors(true)
            .try_get_matches_from(&args)
            .ok()
            .and_then(|m| m.get_one::<String>("app").cloned());
        let here = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
        match crate::app::program::Program::locate(named.as_deref(), &here) {
            Ok(program) => run_with(&program, args, &ui),
            // Commands that need no definitions (`init`, `--help`) still run; the others say why not.
            Err(e) => run_with(&crate::app::program::Unlocated(e.to_string()), args, &ui),
        }
    });
    result.unwrap_or_else(|_| Exit::Internal.into())
}

/// A program that links the engine with its own definitions (tests, a team's all-in-one binary): the
/// process's arguments and standard streams, and a panic reported as a bug in slipway (exit 70).
pub fn main_with(app: &dyn App) -> ExitCode {
    crate::app::cli::report_panics();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let ui = Ui::standard();
        run_with(app, std::env::args_os(), &ui)
    }));
    result.unwrap_or_else(|_| Exit::Internal.into())
}
