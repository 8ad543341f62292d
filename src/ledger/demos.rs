//! What the ledger says of feature demos: for each demo environment (its slug), whether it is up, since
//! when, until when, where it runs and where to reach it. Pure: records in, states out.

use std::collections::BTreeMap;

use super::{DemoRecord, Outcome, Phase, Record, RunKind};
use crate::clock::Timestamp;

/// Where a demo stands, as its last run left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DemoStatus {
    /// An `up` or `down` started and has not finished (or died: only the lock tells).
    Changing,
    /// Up, and its smoke checks passed.
    Up,
    /// Its last `up` failed and it was left as it was, for a person to look at (`Rollback::Leave`).
    Failed,
    /// Its last `up` failed and some of it could not be brought back or down: a person must look.
    Broken,
    /// A run died and a later one found it; what runs is unknown.
    Lost,
    /// Brought down (or never came up).
    Down,
}

impl DemoStatus {
    /// As `demo ls` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            DemoStatus::Changing => "changing",
            DemoStatus::Up => "up",
            DemoStatus::Failed => "failed",
            DemoStatus::Broken => "broken",
            DemoStatus::Lost => "lost",
            DemoStatus::Down => "down",
        }
    }

    /// Whether anything of the demo may exist.
    pub fn exists(self) -> bool {
        self != DemoStatus::Down
    }
}

/// One demo, as the ledger knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoState {
    /// Its environment's name: the slug.
    pub slug: String,
    /// What its last run said of it (name, branch, host, URLs).
    pub demo: DemoRecord,
    /// The release its last `up` applied.
    pub release: Option<String>,
    /// When its first `up` since it was last down started.
    pub since: Timestamp,
    /// When it expires: its last `up`'s time to live, counted from that `up`.
    pub expires: Option<Timestamp>,
    /// Where it stands.
    pub status: DemoStatus,
    /// Why, when its last run failed.
    pub reason: Option<String>,
    /// The last `up` that left it up: the bundle a failed update goes back to.
    pub last_good_run: Option<String>,
}

/// Every demo the ledger knows, by slug, from `records` (any environments', oldest first).
pub fn demos(records: &[Record]) -> BTreeMap<String, DemoState> {
    let mut out: BTreeMap<String, DemoState> = BTreeMap::new();
    // Where each demo stood when its current run started: what a run that changed nothing leaves.
    let mut before: BTreeMap<String, DemoStatus> = BTreeMap::new();
    for r in records.iter().filter(|r| matches!(r.kind, RunKind::DemoUp | RunKind::DemoDown)) {
        let known = out.get(&r.environment).filter(|d| d.status.exists()).cloned();
        match (r.kind, r.phase) {
            (RunKind::DemoUp, Phase::Started) => {
                let mut d = known.clone().unwrap_or_else(|| DemoState {
                    slug: r.environment.clone(),
                    demo: DemoRecord::default(),
                    release: None,
                    since: r.at,
                    expires: None,
                    status: DemoStatus::Down,
                    reason: None,
                    last_good_run: None,
                });
                if let Some(demo) = &r.demo {
                    d.demo = demo.clone();
                }
                before.insert(r.environment.clone(), d.status);
                d.release = r.release.clone();
                d.expires = r.until;
                d.status = DemoStatus::Changing;
                d.reason = None;
                out.insert(r.environment.clone(), d);
            }
            (RunKind::DemoDown, Phase::Started) => {
                if let Some(mut d) = known {
                    before.insert(r.environment.clone(), d.status);
                    d.status = DemoStatus::Changing;
                    out.insert(r.environment.clone(), d);
                }
            }
            (kind, Phase::Finished | Phase::Reconciled) => {
                let Some(d) = out.get_mut(&r.environment) else { continue };
                let had_good = d.last_good_run.is_some();
                d.reason = r.reason.clone();
                if let Some(demo) = &r.demo {
                    d.demo = demo.clone();
                }
                let unchanged = before.get(&r.environment).copied().unwrap_or(DemoStatus::Down);
                d.status = match (kind, r.outcome) {
                    (_, Some(Outcome::Lost | Outcome::Interrupted)) => DemoStatus::Lost,
                    (_, Some(Outcome::Refused | Outcome::CloudFailed)) => unchanged,
                    (RunKind::DemoDown, Some(Outcome::Done)) => DemoStatus::Down,
                    (RunKind::DemoDown, _) => DemoStatus::Broken,
                    (_, Some(Outcome::Deployed)) => {
                        d.last_good_run = Some(r.run.clone());
                        DemoStatus::Up
                    }
                    (_, Some(Outcome::Failed)) => DemoStatus::Failed,
                    // Brought back to the last good bundle, or, for a first `up`, brought down.
                    (_, Some(Outcome::RolledBack)) if had_good => DemoStatus::Up,
                    (_, Some(Outcome::RolledBack)) => DemoStatus::Down,
                    _ => DemoStatus::Broken,
                };
                if d.status == DemoStatus::Down {
                    d.last_good_run = None;
                }
            }
            _ => {}
        }
    }
    out
}
