//! Evidence and drift as the commands act on them: what a run records of its bake (a bake skipped with
//! `--no-bake` is recorded as skipped, never as passed), what `status --exit-code` says of the drift it
//! found, and which release `deploy --revert-drift` puts back.

use super::status::{Drift, EnvStatus, UNREADABLE};
use super::{Context, OpsError};
use crate::apply::cloudformation::Applied;
use crate::clock::Timestamp;
use crate::ledger::{self, AlarmRecord, BakeRecord, EnvState};
use crate::model::Environment;

/// What the ledger records of an apply's bake: the alarms watched and how it ended; when it was not run
/// (`--no-bake`), the environment's alarms as skipped. `None` for an environment that watches no alarm.
pub fn bake_record(applied: &Applied, ran: bool, env: &Environment) -> Option<BakeRecord> {
    let evidence = &env.evidence;
    if evidence.alarms.is_empty() {
        return None;
    }
    if !ran {
        let alarms = evidence.alarms.iter().map(ToString::to_string).collect();
        return Some(BakeRecord::skipped(alarms, evidence.bake.as_secs(), "skipped: deployed with --no-bake"));
    }
    let baked = applied.bake.as_ref()?;
    Some(BakeRecord {
        alarms: baked.alarms.clone(),
        seconds: baked.duration.as_secs(),
        passed: baked.passed,
        detail: baked.detail.clone(),
        alarm: baked.alarm.as_ref().map(|a| AlarmRecord {
            name: a.name.clone(),
            reason: a.reason.clone(),
            at: a.at_millis.map(Timestamp::from_unix_millis).unwrap_or_else(|| Timestamp::from_unix_millis(0)),
        }),
        skipped: false,
    })
}

/// What `status --exit-code` found across the environments it looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriftVerdict {
    /// No stack drifted (environments with nothing deployed, or no AWS target, have nothing to drift).
    Clean,
    /// These environments' stacks drifted.
    Drifted(Vec<String>),
    /// These environments' stacks could not be read, so nothing says whether they drifted.
    Unread(Vec<String>),
}

/// The verdict on `statuses`: drift wins over stacks that could not be read, which win over clean.
pub fn drift_verdict(statuses: &[EnvStatus]) -> DriftVerdict {
    let drifted: Vec<String> =
        statuses.iter().filter(|s| matches!(s.drift, Drift::Drifted(_))).map(|s| s.name.clone()).collect();
    if !drifted.is_empty() {
        return DriftVerdict::Drifted(drifted);
    }
    let unread: Vec<String> = statuses
        .iter()
        .filter(|s| matches!(&s.drift, Drift::NotChecked(why) if why.starts_with(UNREADABLE)))
        .map(|s| s.name.clone())
        .collect();
    if unread.is_empty() { DriftVerdict::Clean } else { DriftVerdict::Unread(unread) }
}

/// Why drift cannot be reverted.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` runs no release according to the ledger, so there is nothing to put back; deploy one with --release")]
pub struct NothingRuns(pub String);

/// The release the ledger says `env` runs: what `deploy --revert-drift` deploys again.
pub async fn running(cx: &Context<'_>, env: &Environment) -> Result<String, OpsError> {
    let state = EnvState::of(&ledger::records(cx.store, &env.name).await?, cx.clock.now());
    match state.current {
        Some(current) => Ok(current.release),
        None => Err(OpsError::Drift(NothingRuns(env.name.clone()))),
    }
}
