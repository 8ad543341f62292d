//! `slipway freeze`, `unfreeze` and `unhold`: a line stopped or opened again by a person, recorded in the
//! ledger with who and why. While an environment is frozen every deploy, promotion and rollback to it is
//! refused (a rollback may pass with `--break-freeze`, which is recorded).

use std::io::Write;

use super::run_args::StoreArgs;
use super::{CliError, Exit, Session};
use crate::clock::{Timestamp, parse_duration};
use crate::ops::line::{self, Done};

/// Stops the line: every deploy, promotion and rollback to the environment is refused until `slipway
/// unfreeze` (or --until) lifts it; a rollback may pass with --break-freeze.
#[derive(Debug, clap::Args)]
pub struct FreezeArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    env: String,
    /// Why (recorded, and shown to everyone refused).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Until when: an RFC 3339 time (`2026-12-01T09:00:00Z`) or a duration from now (`48h`, `7d`).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

/// Opens the line a freeze stopped.
#[derive(Debug, clap::Args)]
pub struct UnfreezeArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    env: String,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

/// Lifts the hold a rollback put on an environment, so automatic deploys reach it again.
#[derive(Debug, clap::Args)]
pub struct UnholdArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    env: String,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

pub fn freeze(s: &Session, args: &FreezeArgs) -> Result<Exit, CliError> {
    let env = &s.environment(&args.env)?.name;
    let until = match &args.until {
        None => None,
        Some(text) => Some(match Timestamp::parse(text) {
            Some(t) => t,
            None => s.clock().now().plus(parse_duration(text).map_err(|_| {
                CliError::user(format!(
                    "--until `{text}` is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a duration (48h)"
                ))
            })?),
        }),
    };
    let cx = s.context()?;
    let record = s.block_on(line::freeze(&cx, env, &args.reason, until))?;
    let until = record.until.map(|u| format!(" until {u}")).unwrap_or_default();
    writeln!(s.out(), "froze {env}{until}: {}", args.reason)?;
    Ok(Exit::Success)
}

pub fn unfreeze(s: &Session, args: &UnfreezeArgs) -> Result<Exit, CliError> {
    let env = &s.environment(&args.env)?.name;
    match s.block_on(line::unfreeze(&s.context()?, env))? {
        Done::Recorded(_) => writeln!(s.out(), "unfroze {env}")?,
        Done::Nothing => writeln!(s.out(), "{env} is not frozen; nothing was changed")?,
    }
    Ok(Exit::Success)
}

pub fn unhold(s: &Session, args: &UnholdArgs) -> Result<Exit, CliError> {
    let env = &s.environment(&args.env)?.name;
    match s.block_on(line::unhold(&s.context()?, env))? {
        Done::Recorded(_) => writeln!(s.out(), "lifted the hold on {env}")?,
        Done::Nothing => writeln!(s.out(), "{env} is not held; nothing was changed")?,
    }
    Ok(Exit::Success)
}
