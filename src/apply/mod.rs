//! Applying artifacts to where they run, one module per target kind. Each takes the bytes of a release
//! (or of a `synth` output directory) and applies exactly those, never synthesizing again, and either
//! leaves the target on the new artifacts or brings it back to what it had.
//!
//! - [`cloudformation`]: an environment's stacks, through change sets, in dependency order, with
//!   environment-wide rollback.
//! - [`cloudgov`]: an environment's cloud.gov apps, through the Cloud Foundry v3 API, in dependency
//!   order, each put back on its previous droplet when the run fails.
//! - [`compose`]: one docker-compose bundle onto one Docker host (the driver is [`crate::docker`]).
//!
//! [`smoke`] runs the HTTP checks that prove either kind healthy.

pub mod cloudformation;
pub mod cloudgov;
pub mod compose;
pub mod report;
pub mod smoke;
