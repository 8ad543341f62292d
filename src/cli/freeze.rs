//! `slipway freeze`, `unfreeze` and `unhold`: a line stopped or opened again by a person, recorded in the
//! ledger with who and why. While an environment is frozen every deploy, promotion and rollback to it is
//! refused (a rollback may pass with `--break-freeze`, which is recorded).

use super::context::{self, StoreArgs};
use super::{CliError, Exit, Ui};
use crate::clock::{Clock, SystemClock, Timestamp, parse_duration};
use crate::ledger::{self, EnvState, Kind, Outcome, Phase, Record};
use crate::model::Project;

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
    store: StoreArgs,
}

/// Opens the line a freeze stopped.
#[derive(Debug, clap::Args)]
pub struct UnfreezeArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    env: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// Lifts the hold a rollback put on an environment, so automatic deploys reach it again.
#[derive(Debug, clap::Args)]
pub struct UnholdArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    env: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// Writes one record of `kind` for `env` after `check` has seen the environment's state; `check` says
/// `None` when there is nothing to lift.
fn record(
    project: &Project,
    store_args: &StoreArgs,
    env: &str,
    kind: Kind,
    check: impl FnOnce(&EnvState, Timestamp) -> Result<Option<Record>, CliError>,
    ui: &mut Ui,
) -> Result<Exit, CliError> {
    let name = super::resolve_envs(project, &[env.to_string()])?.remove(0);
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let store = store_args.open(None).await?;
        let now = SystemClock.now();
        let state = EnvState::of(&ledger::records(&store, &name).await?, now);
        let Some(mut record) = check(&state, now)? else {
            let what = if kind == Kind::Unfreeze { "frozen" } else { "held" };
            writeln!(ui.out, "{name} is not {what}; nothing was changed")?;
            return Ok(Exit::Success);
        };
        record.run = ledger::new_run_id(now);
        record.environment = name.clone();
        record.kind = kind;
        ledger::append(&store, &record).await?;
        match kind {
            Kind::Freeze => {
                let until = record.until.map(|u| format!(" until {u}")).unwrap_or_default();
                writeln!(ui.out, "froze {name}{until}: {}", record.reason.as_deref().unwrap_or_default())?
            }
            Kind::Unfreeze => writeln!(ui.out, "unfroze {name}")?,
            _ => writeln!(ui.out, "lifted the hold on {name}")?,
        }
        Ok(Exit::Success)
    })
}

fn blank(now: Timestamp) -> Record {
    let mut r = Record::new("", Phase::Done, Kind::Freeze, "", now, &context::actor());
    r.outcome = Some(Outcome::Done);
    r
}

pub fn freeze(project: Project, args: &FreezeArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    if args.reason.trim().is_empty() {
        return Err(CliError::user("--reason is empty; say why the line stops (everyone refused reads it)"));
    }
    let until = args.until.clone();
    let reason = args.reason.clone();
    record(
        &project,
        &args.store,
        &args.env,
        Kind::Freeze,
        |_, now| {
            let mut r = blank(now);
            r.reason = Some(reason);
            r.until = match until {
                None => None,
                Some(text) => Some(match Timestamp::parse(&text) {
                    Some(t) => t,
                    None => now.plus(parse_duration(&text).map_err(|_| {
                        CliError::user(format!(
                            "--until `{text}` is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a duration (48h)"
                        ))
                    })?),
                }),
            };
            if r.until.is_some_and(|u| u <= now) {
                return Err(CliError::user(format!("--until {} is not in the future", r.until.unwrap())));
            }
            Ok(Some(r))
        },
        ui,
    )
}

pub fn unfreeze(project: Project, args: &UnfreezeArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    record(
        &project,
        &args.store,
        &args.env,
        Kind::Unfreeze,
        |state, now| Ok(state.frozen.as_ref().map(|_| blank(now))),
        ui,
    )
}

pub fn unhold(project: Project, args: &UnholdArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    record(
        &project,
        &args.store,
        &args.env,
        Kind::Unhold,
        |state, now| {
            Ok(state.held.as_ref().map(|hold| {
                let mut r = blank(now);
                r.reason = Some(format!("lifted the hold of the rollback to {} by {}", hold.release, hold.by.name));
                r
            }))
        },
        ui,
    )
}
