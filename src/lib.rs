//! slipway: typed deployment environments in, CloudFormation templates, cloud.gov manifests and
//! docker-compose files out; diffs against what is deployed; deploys with rollback.
//!
//! The flow of data: `environments` and `stacks` (typed definitions) -> [`synth`] (pure, deterministic)
//! -> an [`synth::ArtifactSet`] that is written out, diffed or deployed.

#![forbid(unsafe_code)]

pub mod apply;
pub mod cfn;
pub mod cli;
pub mod clock;
pub mod cloud;
pub mod cloudfoundry;
pub mod diff;
pub mod docker;
pub mod git;
pub mod github;
pub mod ledger;
pub mod model;
pub mod ops;
pub mod policy;
pub mod release;
pub mod report;
pub mod store;
pub mod suggest;
pub mod synth;
pub mod vars;

#[path = "../environments/mod.rs"]
pub mod environments;
#[path = "../stacks/mod.rs"]
pub mod stacks;
