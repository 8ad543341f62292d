//! The typed model of a team's deployment environments.
//!
//! Everything a deployment-flow document says in prose (where an environment deploys, which git refs may
//! deploy to it, what it is promoted from, who approves) is a typed value here, so that a mistake in a
//! definition is a compile error or a `slipway check` refusal rather than a surprise in CI.

mod check;
mod environment;
mod git_ref;
mod project;
mod target;

pub use check::{Problem, check};
pub use environment::{
    Approvals, Component, Database, DbClass, Environment, Group, Rollback, Size, SmokeCheck, StackOutput, Tier, Trigger,
};
pub use git_ref::RefPattern;
pub use project::{Project, Repository, StackFactory};
pub use target::{AccountId, AwsTarget, CloudGovTarget, ComposeHost, ComposeTarget, Region, Target};
