//! What every command runs with, resolved once from the command line and the process's environment
//! before the command runs (ripgrep's resolved arguments, jj's command helper): the definitions (asked
//! for their assembly on first use, so that `history` or `unlock` of a named environment still runs them
//! once and `--help` never), the streams, the async runtime, the store and the AWS credential chain (each opened on first use, so that a
//! command that needs neither never touches them), who is running it and from which CI run, the working
//! tree's commit and ref, and the clock.
//!
//! Every command's `run` takes a `&Session` and its own arguments, and nothing else.

use std::cell::OnceCell;
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};

use super::ui::{Sink, Ui};
use super::{CliError, Exit};
use crate::app::{App, Assembly, Output};
use crate::clock::Clock;
use crate::cloud::{Connector, Settings};
use crate::ledger::Actor;
use crate::model::{Environment, Project};
use crate::ops::Context;
use crate::store::{Location, Store};

/// The resolved context of one command.
pub struct Session<'a> {
    ui: &'a Ui,
    app: &'a dyn App,
    assembly: OnceCell<Assembly>,
    runtime: tokio::runtime::Runtime,
    store_location: Option<String>,
    store: OnceCell<Store>,
    connector: OnceCell<Connector>,
    actor: Actor,
    clock: &'a dyn Clock,
    here: PathBuf,
}

impl<'a> Session<'a> {
    /// The session of a command on the definitions `app`, writing to `ui`, with the store
    /// `--store`/`SLIPWAY_STORE` names (`store`), at the time `clock` tells.
    pub fn new(app: &'a dyn App, ui: &'a Ui, store: Option<String>, clock: &'a dyn Clock) -> Result<Self, CliError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::internal(format!("cannot start the async runtime: {e}")))?;
        let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let actor = actor(&here);
        Ok(Session {
            ui,
            app,
            assembly: OnceCell::new(),
            runtime,
            store_location: store,
            store: OnceCell::new(),
            connector: OnceCell::new(),
            actor,
            clock,
            here,
        })
    }

    /// The definitions.
    pub fn app(&self) -> &dyn App {
        self.app
    }

    /// What the definitions synthesize now, and their rules: asked for on first use.
    pub fn assembly(&self) -> Result<&Assembly, CliError> {
        if let Some(assembly) = self.assembly.get() {
            return Ok(assembly);
        }
        let assembly = self.app.assembly(&[])?;
        Ok(self.assembly.get_or_init(|| assembly))
    }

    /// The project, as its rules say it.
    pub fn project(&self) -> Result<&Project, CliError> {
        Ok(self.assembly()?.project())
    }

    /// Hands the command line `args` (without the program name) to the definitions' own command line,
    /// its output to this command's streams.
    pub fn delegate(&self, args: &[OsString]) -> Result<Exit, CliError> {
        if self.ui.standard {
            return Ok(self.app.run(args, Output::Standard));
        }
        Ok(self.app.run(args, Output::To(&mut self.out(), &mut self.err())))
    }

    /// The streams.
    pub fn ui(&self) -> &Ui {
        self.ui
    }

    /// The results stream.
    pub fn out(&self) -> Sink {
        self.ui.out.clone()
    }

    /// The notes stream.
    pub fn err(&self) -> Sink {
        self.ui.err.clone()
    }

    /// Who runs the command.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock
    }

    /// Runs `future` to its end on the command's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The standard AWS credential chain, loaded on first use.
    pub fn connector(&self) -> &Connector {
        self.connector.get_or_init(|| self.runtime.block_on(Connector::load(Settings::from_env())))
    }

    /// The credential chain for a command a person waits on (`diff --against deployed`, `status`): all of
    /// its AWS calls together give up after [`Settings::PERSON_WAITING`] (or `SLIPWAY_CLOUD_DEADLINE`),
    /// naming the endpoint, however many attempts each one has left.
    pub fn connector_for_a_person(&self) -> Connector {
        self.runtime.block_on(Connector::load(Settings::from_env().with_deadline(Settings::PERSON_WAITING)))
    }

    /// Where the store is: `--store`, `SLIPWAY_STORE`, else `.slipway/` at the top of the working tree.
    pub fn store_location(&self) -> Result<Location, CliError> {
        match &self.store_location {
            Some(text) => Location::parse(text).map_err(|e| CliError::user(e.to_string())),
            None => Ok(Location::Dir(self.working_tree_top().join(".slipway"))),
        }
    }

    /// The store, opened on first use (an S3 store through the standard credential chain).
    pub fn store(&self) -> Result<&Store, CliError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let store = match self.store_location()? {
            // A directory needs no credentials: do not load the chain for it.
            Location::Dir(dir) => Store::local(&dir),
            s3 => self.block_on(Store::open(s3, self.connector()))?,
        };
        Ok(self.store.get_or_init(|| store))
    }

    /// What the engine's operations work with: the definitions, the store, who, and the time.
    pub fn context(&self) -> Result<Context<'_>, CliError> {
        Ok(Context { project: self.project()?, store: self.store()?, actor: &self.actor, clock: self.clock })
    }

    /// The environment `name`, or a refusal that suggests the closest and lists them all.
    pub fn environment(&self, name: &str) -> Result<&Environment, CliError> {
        let project = self.project()?;
        project.find(name).ok_or_else(|| unknown_environment(project, name))
    }

    /// Refuses any of `names` that is not an environment; the names, in order.
    pub fn environments(&self, names: &[String]) -> Result<Vec<String>, CliError> {
        for name in names {
            self.environment(name)?;
        }
        Ok(names.to_vec())
    }

    /// The top of the git working tree around the current directory, or the current directory.
    pub fn working_tree_top(&self) -> PathBuf {
        crate::git::top(&self.here).unwrap_or_else(|| self.here.clone())
    }

    /// The directory the command runs in.
    pub fn here(&self) -> &Path {
        &self.here
    }

    /// The commit: as given, else `GITHUB_SHA`, else git's `HEAD`.
    pub fn commit(&self, given: Option<&str>) -> Option<String> {
        given.map(str::to_string).or_else(|| crate::vars::var("GITHUB_SHA")).or_else(|| crate::git::head(&self.here))
    }

    /// The ref: as given, else `GITHUB_REF`, else git's current branch.
    pub fn git_ref(&self, given: Option<&str>) -> Option<String> {
        given.map(str::to_string).or_else(|| crate::vars::var("GITHUB_REF")).or_else(|| crate::git::branch(&self.here))
    }

    /// What the working tree has uncommitted; `None` outside a git working tree.
    pub fn uncommitted(&self) -> Option<Vec<String>> {
        crate::git::uncommitted(&self.here)
    }

    /// Ends a command that printed `text` on the results stream.
    pub fn print(&self, text: &str) -> Result<Exit, CliError> {
        use std::io::Write;
        self.out().write_all(text.as_bytes())?;
        Ok(Exit::Success)
    }
}

pub use crate::app::cli::unknown_environment;

/// Who runs this: `GITHUB_ACTOR`, else the operating system's user, else git's; and the CI run's URL when
/// GitHub Actions says where it is.
fn actor(here: &Path) -> Actor {
    use crate::vars::var;
    let name = var("GITHUB_ACTOR")
        .or_else(|| var("USER"))
        .or_else(|| var("LOGNAME"))
        .or_else(|| crate::git::user_name(here))
        .unwrap_or_else(|| "unknown".into());
    let ci_run = match (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY"), var("GITHUB_RUN_ID")) {
        (Some(server), Some(repo), Some(run)) => {
            Some(format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/')))
        }
        _ => None,
    };
    Actor { name, ci_run }
}
