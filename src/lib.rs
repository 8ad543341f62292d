//! slipway: typed deployment environments in, CloudFormation templates, cloud.gov manifests and
//! docker-compose files out; diffs against what is deployed; deploys with rollback.
//!
//! The flow of data: a team's definitions (typed values, built on [`model`] and [`cfn`]) -> [`synth`]
//! (pure, deterministic) -> an [`synth::ArtifactSet`] and the project's rules, which are written out, diffed
//! or deployed.
//!
//! Two parts. The pure part (always built): [`model`], [`cfn`], [`synth`], [`diff`] and [`app`], the
//! definitions' own program, which is all a team's crate needs (`default-features = false`). The engine
//! (feature `engine`, on by default): the cloud, the store, the ledger, the policy, apply, the clients
//! and the `slipway` tool's command line ([`cli`]).

#![forbid(unsafe_code)]

pub mod app;
pub mod cfn;
pub mod clock;
pub mod diff;
pub mod github;
pub mod model;
pub mod suggest;
pub mod synth;
pub mod vars;

#[cfg(feature = "engine")]
pub mod apply;
#[cfg(feature = "engine")]
pub mod cli;
#[cfg(feature = "engine")]
pub mod cloud;
#[cfg(feature = "engine")]
pub mod cloudfoundry;
#[cfg(feature = "engine")]
pub mod docker;
#[cfg(feature = "engine")]
pub mod git;
#[cfg(feature = "engine")]
pub mod ledger;
#[cfg(feature = "engine")]
pub mod ops;
#[cfg(feature = "engine")]
pub mod policy;
#[cfg(feature = "engine")]
pub mod release;
#[cfg(feature = "engine")]
pub mod report;
#[cfg(feature = "engine")]
pub mod store;
