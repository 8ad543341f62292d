//! What an environment's records add up to now: the release it runs and since when, who put it there
//! with whose approval, how its last change ended, and whether it is frozen or held after a rollback.
//! Pure: records and the time in, state out.

use super::{Actor, AlarmRecord, Approval, BakeRecord, Outcome, Phase, Record, RunKind, SmokeRecord};
use crate::clock::Timestamp;

/// A release that reached the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The release.
    pub release: String,
    /// Its commit.
    pub commit: Option<String>,
    /// When it reached the environment (its run finished).
    pub at: Timestamp,
    /// Who put it there.
    pub by: Actor,
    /// How: deploy, promote, rollback, demo up.
    pub kind: RunKind,
    /// Where a promotion came from.
    pub from: Option<String>,
    /// The approvals counted.
    pub approvals: Vec<Approval>,
    /// Its smoke checks.
    pub smoke: Vec<SmokeRecord>,
    /// The artifacts applied, by path, with their SHA-256.
    pub artifacts: std::collections::BTreeMap<String, String>,
    /// Its bake, when the environment watches alarms.
    pub bake: Option<BakeRecord>,
}

impl Deployment {
    /// Whether it finished healthy: every smoke check it has ran and passed (none failed, none skipped),
    /// and its bake, when it has one, ran and saw no alarm.
    pub fn healthy(&self) -> bool {
        self.smoke.iter().all(|s| s.passed && !s.skipped) && self.bake.as_ref().is_none_or(BakeRecord::is_evidence)
    }
}

/// Something that speaks against a release in an environment: a run of it that was rolled back (by a
/// failure, a smoke check, an alarm), or a rollback that took it away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setback {
    /// The release.
    pub release: String,
    /// When.
    pub at: Timestamp,
    /// What happened, for a person.
    pub what: String,
    /// The alarm that went off, when one did.
    pub alarm: Option<AlarmRecord>,
}

/// The last run that changed (or tried to change) what runs in the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastChange {
    /// What it did.
    pub kind: RunKind,
    /// The release it applied.
    pub release: Option<String>,
    /// How it ended; `None` while it is still going (or died unseen).
    pub outcome: Option<Outcome>,
    /// When it started.
    pub started_at: Timestamp,
    /// Who ran it.
    pub by: Actor,
    /// Why it failed, or what a reconciliation found.
    pub reason: Option<String>,
}

/// A freeze in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freeze {
    /// Why.
    pub reason: String,
    /// Who froze it.
    pub by: Actor,
    /// When.
    pub at: Timestamp,
    /// Until when (`None`: until `slipway unfreeze`).
    pub until: Option<Timestamp>,
}

/// A hold after a rollback: automatic deploys are refused until it is lifted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    /// The release the rollback put back.
    pub release: String,
    /// The rollback's reason.
    pub reason: String,
    /// Who rolled back.
    pub by: Actor,
    /// When.
    pub at: Timestamp,
}

/// An environment as its records say it is now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvState {
    /// The release it runs, if any reached it.
    pub current: Option<Deployment>,
    /// Every release that reached it, oldest first (the current one last).
    pub deployments: Vec<Deployment>,
    /// The last run that changed it, or tried to.
    pub last_change: Option<LastChange>,
    /// A freeze in force.
    pub frozen: Option<Freeze>,
    /// A hold after a rollback.
    pub held: Option<Hold>,
    /// Every setback of a release here, oldest first.
    pub setbacks: Vec<Setback>,
}

impl EnvState {
    /// The state `records` (of one environment, oldest first) add up to at `now`.
    pub fn of(records: &[Record], now: Timestamp) -> EnvState {
        let mut state = EnvState::default();
        let started_at = |run: &str| records.iter().find(|r| r.run == run && r.phase == Phase::Started).map(|r| r.at);
        for r in records {
            match (r.kind, r.phase) {
                (kind, Phase::Started) if kind.changes_release() => {
                    state.last_change = Some(LastChange {
                        kind,
                        release: r.release.clone(),
                        outcome: None,
                        started_at: r.at,
                        by: r.actor.clone(),
                        reason: None,
                    });
                }
                (kind, Phase::Finished | Phase::Reconciled) if kind.changes_release() => {
                    state.last_change = Some(LastChange {
                        kind,
                        release: r.release.clone(),
                        outcome: r.outcome,
                        started_at: r.started_at.or_else(|| started_at(&r.run)).unwrap_or(r.at),
                        by: r.actor.clone(),
                        reason: r.reason.clone(),
                    });
                    state.note_setback(r);
                    if r.outcome == Some(Outcome::Deployed) {
                        if kind == RunKind::DemoDown {
                            state.current = None;
                            continue;
                        }
                        let deployment = Deployment {
                            release: r.release.clone().unwrap_or_default(),
                            commit: r.commit.clone(),
                            at: r.at,
                            by: r.actor.clone(),
                            kind,
                            from: r.from.clone(),
                            approvals: r.approvals.clone(),
                            smoke: r.smoke.clone(),
                            artifacts: r.artifacts.clone(),
                            bake: r.bake.clone(),
                        };
                        state.deployments.push(deployment.clone());
                        state.current = Some(deployment);
                        match kind {
                            RunKind::Rollback => {
                                state.held = Some(Hold {
                                    release: r.release.clone().unwrap_or_default(),
                                    reason: r.reason.clone().unwrap_or_default(),
                                    by: r.actor.clone(),
                                    at: r.at,
                                })
                            }
                            // What passes a hold names its release: a promotion, a deploy by hand.
                            RunKind::Promote | RunKind::Deploy => state.held = None,
                            _ => {}
                        }
                    }
                }
                // Evidence for the release the environment runs: its checks run again, after the deploy.
                (RunKind::Verify, _) => {
                    if let Some(current) = state.current.as_mut().filter(|c| Some(&c.release) == r.release.as_ref()) {
                        current.smoke = r.smoke.clone();
                        if let Some(last) = state.deployments.last_mut() {
                            last.smoke = r.smoke.clone();
                        }
                    }
                }
                (RunKind::Freeze, _) => {
                    state.frozen = Some(Freeze {
                        reason: r.reason.clone().unwrap_or_default(),
                        by: r.actor.clone(),
                        at: r.at,
                        until: r.until,
                    })
                }
                (RunKind::Unfreeze, _) => state.frozen = None,
                (RunKind::Unhold, _) => state.held = None,
                _ => {}
            }
        }
        if state.frozen.as_ref().and_then(|f| f.until).is_some_and(|until| now >= until) {
            state.frozen = None;
        }
        state
    }

    /// Records what `r` (a change's end) says against a release: a run of it that ended rolled back or
    /// failed, or a rollback that took the release running before it away.
    fn note_setback(&mut self, r: &Record) {
        let reason = r.reason.clone().unwrap_or_default();
        let alarm = r.bake.as_ref().and_then(|b| b.alarm.clone());
        match r.outcome {
            Some(Outcome::RolledBack | Outcome::RollbackIncomplete | Outcome::Failed) => {
                let outcome = r.outcome.map(Outcome::as_str).unwrap_or_default();
                self.setbacks.push(Setback {
                    release: r.release.clone().unwrap_or_default(),
                    at: r.at,
                    what: format!("its {} by {} ended {outcome}: {reason}", r.kind.as_str(), r.actor.name),
                    alarm,
                });
            }
            Some(Outcome::Deployed) if r.kind == RunKind::Rollback => {
                if let Some(gone) = self.current.as_ref().filter(|c| Some(&c.release) != r.release.as_ref()) {
                    self.setbacks.push(Setback {
                        release: gone.release.clone(),
                        at: r.at,
                        what: format!(
                            "{} rolled it back to {} ({reason})",
                            r.actor.name,
                            r.release.as_deref().unwrap_or("?")
                        ),
                        alarm: None,
                    });
                }
            }
            _ => {}
        }
    }

    /// The release that ran before the current one (a different release) and finished healthy there: what
    /// a rollback goes back to by default.
    pub fn previous(&self) -> Option<&Deployment> {
        let current = self.current.as_ref()?;
        self.deployments.iter().rev().find(|d| d.release != current.release && d.healthy())
    }

    /// When `release` last reached the environment, if it did.
    pub fn reached(&self, release: &str) -> Option<&Deployment> {
        self.deployments.iter().rev().find(|d| d.release == release)
    }
}
