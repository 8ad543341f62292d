//! `slipway deploy`: applies an environment's stacks from CI and leaves the environment either wholly on
//! the new release or wholly back on the one it had.
//!
//! Before changing anything it records every stack's template and parameters. Stacks then deploy in
//! dependency order (independent ones in parallel) through change sets: each is shown, gated, executed and
//! waited on. When any stack fails, or a smoke check fails afterwards, the stacks this deploy already changed
//! are returned to what was recorded: updated stacks get their previous template and parameters back, newly
//! created ones are deleted. CloudFormation's own rollback of the failed stack is waited on, continued when it
//! fails, and its root cause reported.

mod engine;
mod plan;
mod report;
mod smoke;
mod summary;

use std::time::Duration;

pub use engine::{Ledger, Outcome, StackResult, Verdict, run};
pub use plan::{Plan, PlanError, StackPlan};
pub use report::{EventLines, LiveView, Report, Reporter};
pub use summary::summary;

/// When a change set must be approved before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ApprovalMode {
    /// Never ask.
    Never,
    /// Ask when a change touches security: IAM, security groups, resource policies, permissions.
    Broadening,
    /// Ask for every change.
    AnyChange,
}

/// How often to ask CloudFormation how things stand: from `min`, doubling to `max`.
#[derive(Clone, Copy, Debug)]
pub struct Poll {
    /// The first interval.
    pub min: Duration,
    /// The longest interval.
    pub max: Duration,
}

impl Default for Poll {
    fn default() -> Self {
        Poll { min: Duration::from_secs(2), max: Duration::from_secs(15) }
    }
}

impl Poll {
    /// The first interval.
    pub fn start(&self) -> Duration {
        self.min
    }

    /// Sleeps `delay`, then returns the next, longer interval.
    pub async fn wait(&self, delay: Duration) -> Duration {
        tokio::time::sleep(delay).await;
        (delay * 2).min(self.max)
    }
}

/// Asks a person whether a change set may run.
pub trait Approver {
    /// Whether the change set of `stack` may be executed.
    fn approve(&mut self, stack: &str, changes: &[crate::cloud::ResourceChange]) -> bool;
}

/// Choices for one deploy.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many stacks may change at once.
    pub concurrency: usize,
    /// Which changes need approval.
    pub approval: ApprovalMode,
    /// Approve every gated change without asking.
    pub yes: bool,
    /// Whether a person can be asked (a terminal is attached).
    pub interactive: bool,
    /// Logical IDs to skip when continuing a failed rollback.
    pub skip_resources: Vec<String>,
    /// How long to wait for an operation someone else started before giving up.
    pub in_progress_wait: Duration,
    /// How often to poll.
    pub poll: Poll,
    /// Where templates too large to pass inline are uploaded.
    pub artifacts_bucket: Option<String>,
    /// Run the environment's smoke checks after the last stack.
    pub smoke: bool,
}
