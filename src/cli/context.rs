//! What the commands that keep state resolve from the command line and the process's environment before
//! they call the engine: the store (`--store`, `SLIPWAY_STORE`, else `.slipway/` at the top of the working
//! tree), who is running (`GITHUB_ACTOR`, else the operating system's user, with the CI run's URL), and
//! the commit and ref (`GITHUB_SHA`, `GITHUB_REF`, else git).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::CliError;
use crate::cloud::{Connector, Settings};
use crate::ledger::Actor;
use crate::store::{Location, Store};

/// Where slipway keeps releases, the ledger and the locks.
#[derive(Clone, Debug, clap::Args)]
pub struct StoreArgs {
    /// The store: a directory, or s3://bucket/prefix for teams whose CI runs on many machines. Default:
    /// `.slipway/` at the top of the working tree.
    #[arg(long = "store", value_name = "DIR|s3://BUCKET/PREFIX", env = "SLIPWAY_STORE", global = false)]
    pub store: Option<String>,
}

impl StoreArgs {
    /// Where the store is.
    pub fn location(&self) -> Result<Location, CliError> {
        match &self.store {
            Some(text) => Location::parse(text).map_err(|e| CliError::user(e.to_string())),
            None => Ok(Location::Dir(working_tree_top().join(".slipway"))),
        }
    }

    /// Opens the store; an S3 one through the standard credential chain.
    pub async fn open(&self, connector: Option<&Connector>) -> Result<Store, CliError> {
        match self.location()? {
            Location::Dir(dir) => Ok(Store::local(&dir)),
            Location::S3 { bucket, prefix } => {
                let owned;
                let connector = match connector {
                    Some(c) => c,
                    None => {
                        owned = Connector::load(Settings::from_env()).await;
                        &owned
                    }
                };
                let cloud = connector.anywhere(None).await?;
                Ok(Store::S3 { cloud, bucket, prefix })
            }
        }
    }
}

/// The top of the git working tree around the current directory, or the current directory.
pub(super) fn working_tree_top() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut dir: &Path = &here;
    loop {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return here,
        }
    }
}

fn non_empty(var: &str) -> Option<String> {
    std::env::var(var).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Who runs this: `GITHUB_ACTOR`, else the operating system's user; and the CI run's URL when GitHub
/// Actions says where it is.
pub fn actor() -> Actor {
    let name = non_empty("GITHUB_ACTOR")
        .or_else(|| non_empty("USER"))
        .or_else(|| non_empty("LOGNAME"))
        .or_else(|| git(&["config", "user.name"]))
        .unwrap_or_else(|| "unknown".into());
    let ci_run = match (non_empty("GITHUB_SERVER_URL"), non_empty("GITHUB_REPOSITORY"), non_empty("GITHUB_RUN_ID")) {
        (Some(server), Some(repo), Some(run)) => {
            Some(format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/')))
        }
        _ => None,
    };
    Actor { name, ci_run }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

/// The commit: as given, else `GITHUB_SHA`, else git's `HEAD`.
pub fn commit(given: Option<&str>) -> Option<String> {
    given.map(str::to_string).or_else(|| non_empty("GITHUB_SHA")).or_else(|| git(&["rev-parse", "HEAD"]))
}

/// The ref: as given, else `GITHUB_REF`, else git's current branch.
pub fn git_ref(given: Option<&str>) -> Option<String> {
    given
        .map(str::to_string)
        .or_else(|| non_empty("GITHUB_REF"))
        .or_else(|| git(&["symbolic-ref", "--short", "-q", "HEAD"]))
}
