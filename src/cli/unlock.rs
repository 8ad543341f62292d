//! `slipway unlock`: removes an environment's lock by hand (its run is gone for good), and records who
//! did it and what the lock said.

use std::io::Write;

use super::run_args::StoreArgs;
use super::{CliError, Exit, Session};

/// Removes an environment's lock, and records who removed it. Use it when the run that holds it is gone
/// for good; a lock past its expiry is taken over without it.
#[derive(Debug, clap::Args)]
pub struct UnlockArgs {
    /// The environment.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

pub fn run(s: &Session, args: &UnlockArgs) -> Result<Exit, CliError> {
    let env = &s.environment(&args.env)?.name;
    match s.block_on(crate::ops::line::unlock(&s.context()?, env))? {
        None => writeln!(s.out(), "environment {env} was not locked; nothing was changed")?,
        Some(removed) => writeln!(s.out(), "unlocked {env}: the lock was {}", removed.describe(s.clock().now()))?,
    }
    Ok(Exit::Success)
}
