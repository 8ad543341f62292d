//! Drift as the commands act on it: what `status --exit-code` says of the drift it found, and which
//! release `deploy --revert-drift` puts back.

use super::status::{Drift, EnvStatus, UNREADABLE};
use super::{Context, OpsError};
use crate::ledger::{self, EnvState};
use crate::model::Environment;

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
