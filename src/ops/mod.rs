//! The operations a user runs on an environment, each a run the ledger knows about: it takes the
//! environment's lock, reconciles what an earlier run that died left, records its start, applies a
//! release's bytes, records how it ended, and gives the lock back, whatever happens in between.
//!
//! - [`demo`]: feature demos up, down, listed and swept.
//! - [`deploy`]: a release onto an environment (also what promote and rollback apply).
//! - [`rollback`]: which release a rollback goes back to.
//! - [`status`]: what runs where, and whether a stack drifted from what the ledger says was applied.
//! - [`github`]: the repository's GitHub environments made what the definitions say (not an environment's
//!   run, so no lock or ledger: GitHub keeps its own audit log of settings changes).

pub mod demo;
pub mod deploy;
pub mod github;
pub mod rollback;
pub mod status;

use crate::clock::Clock;
use crate::ledger::Actor;
use crate::model::Project;
use crate::store::Store;

/// What every operation works with.
pub struct Context<'a> {
    /// The definitions.
    pub project: &'a Project,
    /// Where releases, the ledger and the locks are.
    pub store: &'a Store,
    /// Who runs it.
    pub actor: &'a Actor,
    /// The time.
    pub clock: &'a dyn Clock,
}

/// Why an operation could not run; nothing was changed unless the error says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The environment's lock is held.
    #[error(transparent)]
    Lock(#[from] crate::ledger::lock::LockError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// The release cannot be used.
    #[error(transparent)]
    Release(#[from] crate::release::ReleaseError),
    /// The deploy cannot be planned.
    #[error(transparent)]
    Plan(#[from] crate::apply::cloudformation::PlanError),
    /// AWS cannot be used.
    #[error(transparent)]
    Connect(#[from] crate::cloud::ConnectError),
    /// An AWS call failed.
    #[error(transparent)]
    Cloud(#[from] crate::cloud::CloudError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A rollback names no release, and the ledger knows none before the current one.
    #[error("{}; name one with --to", match current {
        Some(current) => format!("the ledger knows no release of `{env}` before {current}"),
        None => format!("the ledger knows of no release on `{env}`, so none to go back to"),
    })]
    NothingBefore {
        /// The environment.
        env: String,
        /// The release it runs, if any.
        current: Option<String>,
    },
    /// A feature demo cannot be made, found or brought up.
    #[error(transparent)]
    Demo(crate::ops::demo::DemoError),
    /// The policy refuses; nothing was changed.
    #[error("refused by the policy: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Refused(Vec<crate::policy::Refusal>),
}
