//! The typed model of a team's deployment environments.
//!
//! Everything a deployment-flow document says in prose (where an environment deploys, which git refs may
//! deploy to it, what it is promoted from, who approves) is a typed value here, so that a mistake in a
//! definition is a compile error or a `slipway check` refusal rather than a surprise in CI.

mod asset;
mod backing;
pub mod bootstrap;
mod check;
mod demo;
mod environment;
mod evidence;
mod git_ref;
mod github_check;
mod names;
mod oidc;
mod problem;
mod project;
mod ref_forms;
mod service;
mod service_check;
mod target;
mod window;

pub use asset::{Asset, AssetKind, AssetRef, UNRESOLVED};
pub use backing::{BackingKind, BackingService, BackingSpec, CustomBacking, DEFAULT_POSTGRES_IMAGE, Value};
pub use check::{RESERVED_NAMES, check};
pub use demo::{BRANCH_PREFIX, DemoSlug, NameBudget, NameLimit, SlugCollision, SlugError, check_slug, demo_name};
pub use environment::{
    Approvals, Database, DbClass, Environment, Group, Rollback, SmokeCheck, SmokeUrl, StackOutput, Tier, Trigger,
};
pub use evidence::{AlarmRef, Evidence, MAX_MONITORING_MINUTES, MAX_ROLLBACK_TRIGGERS};
pub use git_ref::RefPattern;
pub use github_check::{MAX_REVIEWERS, demo_prefix};
pub use names::name_problem;
pub use problem::{Problem, Problems};
pub use project::{
    CiStep, Definitions, DemoFactory, GitHubSettings, Project, Repository, RepositoryIds, STORE_VARIABLE, StackFactory,
    StoreRole,
};
pub use ref_forms::{RefForm, RefKind, Unexpressible};
pub use service::{
    CLOUD_GOV_DOMAIN, HealthCheck, Link, Runtime, Service, Size, cf_variable_in, cloud_gov_app_name,
    cloud_gov_default_route, variable_name_problem,
};
pub use service_check::{MAX_CLOUD_GOV_TIMEOUT, RESERVED_VARIABLES};
pub use target::{
    AccountId, AwsTarget, CloudGovTarget, ComposeHost, ComposeTarget, DEMO_PORT_BASE, DEMO_PORT_SLOTS, PORTS_PER_SLOT,
    Region, Rollout, Target,
};
pub use window::{Schedule, When, Window, WindowRule, ever_open, next_open, open_at};
