//! Applying artifacts to where they run, one module per target kind. Each takes the bytes of a release
//! (or of a `synth` output directory) and applies exactly those, never synthesizing again, and either
//! leaves the target on the new artifacts or brings it back to what it had.
//!
//! - [`cloudformation`]: an environment's stacks, through change sets, in dependency order, with
//!   environment-wide rollback.
//! - [`compose`]: an environment's docker-compose bundle on a Docker host, through the Compose v2 CLI.
//!
//! [`process`] runs the external programs this layer needs (the compose and docker CLIs), each bounded
//! in time; [`smoke`] the HTTP checks that prove either kind healthy.

pub mod cloudformation;
pub mod compose;
pub mod process;
pub mod smoke;
