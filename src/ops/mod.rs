//! The operations a user runs, as a library caller of slipway gets them: every refusal the command line
//! gives is here, typed, and every call to AWS, GitHub, Docker or the store starts here or below. The
//! command line only parses, resolves, calls one of these and renders what it returns.
//!
//! - [`run`]: one run of the ledger (the lock, reconciling runs that died, the started and finished
//!   records), which every operation that changes an environment is.
//! - [`bootstrap`]: an account and region made ready for deploys (`slipway bootstrap`), and the check that
//!   refuses a run in one that is not, or is bootstrapped by an older version.
//! - [`cloudgov`]: an environment's cloud.gov apps within a run (prepared, applied, restored) and as
//!   they run now.
//! - [`deploy`]: a release onto an environment, as deploy, promote and rollback do it; [`compose_host`]:
//!   its compose host's part of that run.
//! - [`release`]: making a release, from the definitions or a reviewed synth directory.
//! - [`promote`] and [`rollback`]: which environment a promotion comes from, which release a rollback
//!   goes back to.
//! - [`deployed`]: what is deployed now (the templates of an environment's stacks, CloudFormation's
//!   verdicts on a change), for `diff --against deployed`.
//! - [`status`]: what runs where, and whether a stack drifted from what the ledger says was applied.
//! - [`page`]: what the status page shows: the graph, each environment, what waits at which gate, the
//!   history.
//! - [`verify`]: an environment's smoke checks run again, as evidence for the release it runs.
//! - [`evidence`]: what a run records of its bake.
//! - [`drift`]: what `status --exit-code` says of drift, and what `deploy --revert-drift` puts back.
//! - [`line`]: freeze, unfreeze, unhold and unlock: the line stopped or opened by a person.
//! - [`github`]: the repository's GitHub environments made what the definitions say, and the approvals of
//!   a GitHub Actions run.
//! - [`demo`]: feature demos up, down, listed and swept.

pub mod assets;
pub mod bootstrap;
pub mod cloudgov;
pub mod compose_diff;
pub mod compose_host;
pub mod demo;
pub mod deploy;
pub mod deployed;
pub mod drift;
pub mod evidence;
pub mod gc;
pub mod github;
pub mod images;
pub mod init;
pub mod line;
pub mod oidc;
pub mod page;
pub mod promote;
pub mod release;
mod release_source;
pub mod rollback;
pub mod run;
pub mod status;
pub mod verify;

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
    /// A release cannot be made from what it was asked to be made of.
    #[error(transparent)]
    Source(#[from] release::SourceError),
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
    /// A change set made to read CloudFormation's verdicts was refused.
    #[error(transparent)]
    ChangeSetRefused(deployed::ChangeSetRefused),
    /// GitHub's API failed or refused.
    #[error(transparent)]
    GitHub(#[from] github::GitHubOpsError),
    /// There is nothing to verify.
    #[error(transparent)]
    Verify(#[from] verify::VerifyError),
    /// A freeze is refused.
    #[error(transparent)]
    Freeze(#[from] line::FreezeError),
    /// The release holds nothing to deploy to the environment.
    #[error("release {release} holds no CloudFormation templates for environment `{env}` (it holds: {})", .holds.join(", "))]
    NothingFor {
        /// The release.
        release: String,
        /// The environment.
        env: String,
        /// The environments it holds.
        holds: Vec<String>,
    },
    /// A promotion's source cannot be worked out.
    #[error(transparent)]
    Promotion(#[from] promote::PromoteError),
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
    /// An image asset cannot be built or pushed.
    #[error(transparent)]
    Image(#[from] images::ImageError),
    /// The environment's compose host cannot be deployed to.
    #[error(transparent)]
    Host(#[from] compose_host::HostError),
    /// The cloud.gov target cannot be applied or read.
    #[error(transparent)]
    CloudGov(#[from] cloudgov::CloudGovError),
    /// A feature demo cannot be made, found or brought up.
    #[error(transparent)]
    Demo(demo::DemoError),
    /// `deploy --revert-drift` has nothing to put back.
    #[error(transparent)]
    Drift(#[from] drift::NothingRuns),
    /// The environment's account and region are not bootstrapped, or by an older version; nothing was
    /// taken or changed.
    #[error(transparent)]
    NotBootstrapped(#[from] bootstrap::BootstrapError),
    /// The policy refuses; nothing was changed.
    #[error("refused by the policy: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Refused(Vec<crate::policy::Refusal>),
}
