//! Where a promotion comes from: the environment the target is promoted from that runs the release now,
//! when the user does not name it.

use super::{Context, OpsError};
use crate::ledger::{self, EnvState};

/// Why the source of a promotion cannot be worked out.
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    /// Nothing is promoted into the target.
    #[error("nothing is promoted into `{0}`; deploy it with `slipway deploy`")]
    NothingPromotedInto(String),
    /// No source runs the release.
    #[error("release {release} runs in none of the environments `{to}` is promoted from ({})", .seen.join(", "))]
    NotRunning {
        /// The release.
        release: String,
        /// The target.
        to: String,
        /// What each source runs.
        seen: Vec<String>,
    },
    /// Several sources run it.
    #[error("release {release} runs in {}, all promoted into `{to}`; say which with --from", .sources.join(" and "))]
    Several {
        /// The release.
        release: String,
        /// The target.
        to: String,
        /// The sources that run it.
        sources: Vec<String>,
    },
}

/// The environment `to` is promoted from that runs `release` now.
pub async fn source(cx: &Context<'_>, to: &str, release: &str) -> Result<String, OpsError> {
    let candidates = cx.project.find(to).map(|e| e.promoted_from.clone()).unwrap_or_default();
    if candidates.is_empty() {
        return Err(PromoteError::NothingPromotedInto(to.into()).into());
    }
    let now = cx.clock.now();
    let mut running = Vec::new();
    let mut seen = Vec::new();
    for name in candidates.iter().filter(|n| cx.project.find(n).is_some()) {
        let state = EnvState::of(&ledger::records(cx.store, name).await?, now);
        let current = state.current.map(|d| d.release);
        if current.as_deref() == Some(release) {
            running.push(name.clone());
        }
        seen.push(format!("{name} runs {}", current.as_deref().unwrap_or("nothing")));
    }
    match running.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(PromoteError::NotRunning { release: release.into(), to: to.into(), seen }.into()),
        several => {
            Err(PromoteError::Several { release: release.into(), to: to.into(), sources: several.to_vec() }.into())
        }
    }
}
