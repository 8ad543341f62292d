//! The typed model of a team's deployment environments.
//!
//! Everything a deployment-flow document says in prose (where an environment deploys, which git refs may
//! deploy to it, what it is promoted from, who approves) is a typed value here, so that a mistake in a
//! definition is a compile error or a `slipway check` refusal rather than a surprise in CI.

mod app;
mod app_check;
mod check;
mod demo;
mod environment;
mod git_ref;
mod github_check;
mod problem;
mod project;
mod ref_forms;
mod target;

pub use app::{
    App, CLOUD_GOV_DOMAIN, Component, HealthCheck, Runtime, cf_variable_in, cloud_gov_app_name,
    cloud_gov_default_route, variable_name_problem,
};
pub use app_check::{MAX_CLOUD_GOV_TIMEOUT, RESERVED_VARIABLES};
pub use check::{RESERVED_NAMES, check, name_problem};
pub use demo::{BRANCH_PREFIX, DemoSlug, NameBudget, NameLimit, SlugCollision, SlugError, check_slug, demo_name};
pub use environment::{
    Approvals, Database, DbClass, Environment, Group, Rollback, Size, SmokeCheck, SmokeUrl, StackOutput, Tier, Trigger,
};
pub use git_ref::RefPattern;
pub use github_check::{MAX_REVIEWERS, demo_prefix};
pub use problem::{Problem, Problems};
pub use project::{GitHubSettings, Project, Repository, STORE_VARIABLE, StackFactory};
pub use ref_forms::{RefForm, RefKind, Unexpressible};
pub use target::{
    AccountId, AwsTarget, CloudGovTarget, ComposeHost, ComposePorts, ComposeTarget, DEFAULT_DATABASE_IMAGE,
    DEMO_PORT_BASE, DEMO_PORT_SLOTS, Region, Target,
};
