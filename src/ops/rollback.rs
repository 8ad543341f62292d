//! Which release a rollback goes back to: the one named, or the one that ran before the current one. The
//! policy then decides whether it may (only a release the environment ran before and that finished
//! healthy there).

use super::{Context, OpsError};
use crate::ledger::{self, EnvState};

/// The release a rollback of `env` goes to: `to` when given, else the release that ran there before the
/// current one, as the ledger says.
pub async fn target(cx: &Context<'_>, env: &str, to: Option<&str>) -> Result<String, OpsError> {
    if let Some(to) = to {
        return Ok(to.to_string());
    }
    let state = EnvState::of(&ledger::records(cx.store, env).await?, cx.clock.now());
    match state.previous() {
        Some(previous) => Ok(previous.release.clone()),
        None => Err(OpsError::NothingBefore {
            env: env.to_string(),
            current: state.current.as_ref().map(|c| c.release.clone()),
        }),
    }
}
