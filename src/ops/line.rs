//! The line stopped or opened by a person, each a one-record run of the ledger with who and why: a
//! freeze (every deploy, promotion and rollback refused until it is lifted or runs out), its lifting, the
//! lifting of the hold a rollback puts on an environment, and the removal of a lock whose run is gone.

use super::{Context, OpsError};
use crate::clock::Timestamp;
use crate::ledger::lock::{self, LockInfo};
use crate::ledger::{self, EnvState, Outcome, Phase, Record, RunKind};

/// What a change of the line did.
#[derive(Clone, Debug, PartialEq)]
pub enum Done {
    /// Recorded.
    Recorded(Box<Record>),
    /// There was nothing to lift (not frozen, not held); nothing was written.
    Nothing,
}

/// Why a freeze is refused.
#[derive(Debug, thiserror::Error)]
pub enum FreezeError {
    /// No reason.
    #[error("--reason is empty; say why the line stops (everyone refused reads it)")]
    NoReason,
    /// An end in the past.
    #[error("--until {0} is not in the future")]
    Past(Timestamp),
}

fn record(cx: &Context<'_>, env: &str, kind: RunKind) -> Record {
    let now = cx.clock.now();
    let mut r = Record::new(&ledger::new_run_id(now), Phase::Done, kind, env, now, cx.actor);
    r.outcome = Some(Outcome::Done);
    r
}

async fn state(cx: &Context<'_>, env: &str) -> Result<EnvState, OpsError> {
    Ok(EnvState::of(&ledger::records(cx.store, env).await?, cx.clock.now()))
}

/// Freezes `env` for `reason`, until `until` or until it is unfrozen.
pub async fn freeze(cx: &Context<'_>, env: &str, reason: &str, until: Option<Timestamp>) -> Result<Record, OpsError> {
    if reason.trim().is_empty() {
        return Err(FreezeError::NoReason.into());
    }
    if let Some(until) = until.filter(|u| *u <= cx.clock.now()) {
        return Err(FreezeError::Past(until).into());
    }
    let mut r = record(cx, env, RunKind::Freeze);
    r.reason = Some(reason.to_string());
    r.until = until;
    ledger::append(cx.store, &r).await?;
    Ok(r)
}

/// Lifts `env`'s freeze, if it is frozen.
pub async fn unfreeze(cx: &Context<'_>, env: &str) -> Result<Done, OpsError> {
    if state(cx, env).await?.frozen.is_none() {
        return Ok(Done::Nothing);
    }
    let r = record(cx, env, RunKind::Unfreeze);
    ledger::append(cx.store, &r).await?;
    Ok(Done::Recorded(Box::new(r)))
}

/// Lifts the hold a rollback put on `env`, if it is held.
pub async fn unhold(cx: &Context<'_>, env: &str) -> Result<Done, OpsError> {
    let Some(hold) = state(cx, env).await?.held else { return Ok(Done::Nothing) };
    let mut r = record(cx, env, RunKind::Unhold);
    r.reason = Some(format!("lifted the hold of the rollback to {} by {}", hold.release, hold.by.name));
    ledger::append(cx.store, &r).await?;
    Ok(Done::Recorded(Box::new(r)))
}

/// Removes `env`'s lock, recording who did and what it said; `None` when it was not locked.
pub async fn unlock(cx: &Context<'_>, env: &str) -> Result<Option<LockInfo>, OpsError> {
    let Some(removed) = lock::unlock(cx.store, env).await? else { return Ok(None) };
    let now = cx.clock.now();
    let mut r = record(cx, env, RunKind::Unlock);
    r.reason = Some(format!("removed the lock of run {}, {}", removed.run, removed.describe(now)));
    ledger::append(cx.store, &r).await?;
    Ok(Some(removed))
}
