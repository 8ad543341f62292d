//! What the status page shows, as data: the promotion graph with its gates, each environment as the ledger
//! and the stacks say it is now (the release, its commit and ref, who put it there with whose approval, how
//! the last change ended, the smoke evidence, a freeze, a hold, a lock, drift), every release waiting to
//! move along an edge and which gates hold it until when, and the ledger's records, newest first.
//!
//! It exists apart from [`super::status`] because the page needs more than a status line: what may move
//! next. That is asked of the one pure policy function, [`crate::policy::decide`], exactly as `slipway
//! promote --dry-run` would ask it with nobody's approval yet; when the policy's wait rule refuses, the
//! instant it stops refusing is found by asking the policy again at other times (a search over the clock),
//! so the page never restates a rule of its own. Everything is sorted, and the only time in it is the
//! injected clock's, so the same ledger and clock give the same page.

use std::collections::BTreeMap;

use super::status::{Drift, EnvStatus};
use super::{Context, OpsError};
use crate::clock::Timestamp;
use crate::cloud::Connector;
use crate::ledger::{self, EnvState, Outcome, Phase, Record, RunKind};
use crate::model::Environment;
use crate::policy::{self, Action, Rule};
use crate::release::{self, ReleaseInfo};

/// Everything the status page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The project's name.
    pub project: String,
    /// `owner/name`.
    pub repository: String,
    /// When the page was made (the injected clock).
    pub now: Timestamp,
    /// Every environment shown, in definition order.
    pub environments: Vec<EnvView>,
    /// Every promotion edge between environments shown, in definition order of the target.
    pub edges: Vec<EdgeView>,
    /// Releases a source runs and its target does not, with what the policy says now.
    pub waiting: Vec<Waiting>,
    /// The ledger's records, newest first.
    pub history: Vec<HistoryRow>,
}

/// One environment as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvView {
    /// Its name.
    pub name: String,
    /// Its tier (`production`).
    pub tier: String,
    /// What deploys it (`push`, `promotion`).
    pub trigger: String,
    /// The refs it deploys from.
    pub refs: Vec<String>,
    /// The release it runs, if any reached it.
    pub running: Option<Running>,
    /// How the last change ended.
    pub last_change: Option<Change>,
    /// What the smoke checks of the release it runs showed.
    pub evidence: Evidence,
    /// A freeze in force: who, since when, until when, why.
    pub frozen: Option<String>,
    /// A hold after a rollback.
    pub held: Option<String>,
    /// A lock held by a run.
    pub lock: Option<String>,
    /// Whether its stacks hold what was applied.
    pub drift: Drift,
}

/// The release an environment runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    /// The release id.
    pub release: String,
    /// Its commit, shortened to 12 characters.
    pub commit: Option<String>,
    /// The git ref it was made on, when the store still holds the release.
    pub git_ref: Option<String>,
    /// When it reached the environment.
    pub at: Timestamp,
    /// Who put it there.
    pub by: String,
    /// The CI run that did, when there was one.
    pub ci_run: Option<String>,
    /// How (`deploy`, `promote`, `rollback`).
    pub kind: String,
    /// Where a promotion came from.
    pub from: Option<String>,
    /// Who approved it.
    pub approvals: Vec<String>,
}

/// How the last change to an environment ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What it did and to which release (`deploy r4`).
    pub what: String,
    /// How it ended (`deployed`, `rolled-back`, `not finished`).
    pub outcome: String,
    /// Whether that is a success.
    pub ok: bool,
    /// Why, when it failed.
    pub reason: Option<String>,
}

/// The smoke evidence of the release an environment runs. A skipped check is never evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Nothing runs there, or the run recorded no checks.
    None,
    /// Every check ran and passed (their names).
    Passed(Vec<String>),
    /// These checks failed.
    Failed(Vec<String>),
    /// These checks were not run (`--no-smoke`): nothing shows the release healthy there.
    Skipped(Vec<String>),
}

impl Evidence {
    /// `passed`, `failed`, `skipped` or `none`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Evidence::None => "none",
            Evidence::Passed(_) => "passed",
            Evidence::Failed(_) => "failed",
            Evidence::Skipped(_) => "skipped",
        }
    }

    /// The checks it names.
    pub fn checks(&self) -> &[String] {
        match self {
            Evidence::None => &[],
            Evidence::Passed(c) | Evidence::Failed(c) | Evidence::Skipped(c) => c,
        }
    }
}

/// A promotion edge and the gate into its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeView {
    /// The source.
    pub from: String,
    /// The target.
    pub to: String,
    /// The gate, as `slipway graph` writes it (`2 approvals from release-managers, wait 30m`).
    pub gate: String,
}

/// A release a source runs that its target does not, and what the policy says about moving it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The release.
    pub release: String,
    /// The source that runs it.
    pub from: String,
    /// The target.
    pub to: String,
    /// Every rule that refuses it now, in rule order; empty when it may go now.
    pub gates: Vec<Held>,
}

/// One rule that holds a release back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The rule's name (`wait`).
    pub rule: String,
    /// The policy's message.
    pub message: String,
    /// When it stops refusing by itself (the wait's or a soak's end, a freeze's `until`, a window's next
    /// opening), if it does.
    pub until: Option<Timestamp>,
}

/// One ledger record as a row of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    /// When it was written.
    pub at: Timestamp,
    /// The environment (or demo).
    pub environment: String,
    /// What ran (`promote`).
    pub kind: String,
    /// The release.
    pub release: Option<String>,
    /// `started`, or how it ended (`deployed`, `rolled-back`, `done`).
    pub phase: String,
    /// Whether it ended well (a start is neither).
    pub ok: Option<bool>,
    /// Who ran it.
    pub by: String,
    /// The CI run's URL.
    pub ci_run: Option<String>,
    /// Where a promotion came from.
    pub from: Option<String>,
    /// Who approved.
    pub approvals: Vec<String>,
    /// Why (a rollback's or freeze's reason, a failure's cause).
    pub reason: Option<String>,
}

/// The page for `envs` (in definition order): their ledgers and locks, their drift (read with `connector`,
/// or taken from `drift`, which wins, or not checked), what waits on each edge between them, and every
/// ledger record.
pub async fn page(
    cx: &Context<'_>,
    envs: &[&Environment],
    connector: Option<&Connector>,
    drift: &BTreeMap<String, Drift>,
) -> Result<Page, OpsError> {
    let now = cx.clock.now();
    let mut statuses = super::status::status(cx, envs, connector).await?;
    for s in &mut statuses {
        if let Some(d) = drift.get(&s.name) {
            s.drift = d.clone();
        }
    }
    // Each release the page names, read once: its ref for the boxes, and what the policy needs of it.
    let mut ids: Vec<String> =
        statuses.iter().filter_map(|s| s.state.current.as_ref()).map(|d| d.release.clone()).collect();
    ids.sort();
    ids.dedup();
    let mut infos: BTreeMap<String, ReleaseInfo> = BTreeMap::new();
    for id in ids {
        if let Some(info) = release::read_info(cx.store, &id).await? {
            infos.insert(id, info);
        }
    }
    let states: BTreeMap<&str, &EnvState> = statuses.iter().map(|s| (s.name.as_str(), &s.state)).collect();
    let mut edges = Vec::new();
    let mut waiting = Vec::new();
    for target in envs {
        for from in &target.promoted_from {
            let Some(source) = envs.iter().find(|e| &e.name == from) else { continue };
            edges.push(EdgeView {
                from: from.clone(),
                to: target.name.clone(),
                gate: crate::synth::graph::gate(target),
            });
            let (source_state, target_state) = (states[from.as_str()], states[target.name.as_str()]);
            let Some(runs) = &source_state.current else { continue };
            if target_state.current.as_ref().is_some_and(|c| c.release == runs.release) {
                continue;
            }
            let gates = match infos.get(&runs.release) {
                Some(info) => held(cx, target, target_state, source, source_state, info, now),
                None => vec![Held {
                    rule: "release".into(),
                    message: format!("release {} is not in the store, so nothing can promote it", runs.release),
                    until: None,
                }],
            };
            waiting.push(Waiting { release: runs.release.clone(), from: from.clone(), to: target.name.clone(), gates });
        }
    }
    let environments = envs.iter().zip(&statuses).map(|(env, s)| view(env, s, &infos, now)).collect();
    let mut records = ledger::all_records(cx.store).await?;
    records.sort_by(|a, b| (b.at, &b.run, b.phase).cmp(&(a.at, &a.run, a.phase)));
    Ok(Page {
        project: cx.project.name.clone(),
        repository: cx.project.repository.to_string(),
        now,
        environments,
        edges,
        waiting,
        history: records.iter().map(row).collect(),
    })
}

/// What the policy says about promoting `info` from `source` into `target` now, with no approval given
/// yet: every rule that refuses, each with when it lifts by itself.
fn held(
    cx: &Context<'_>,
    target: &Environment,
    target_state: &EnvState,
    source: &Environment,
    source_state: &EnvState,
    info: &ReleaseInfo,
    now: Timestamp,
) -> Vec<Held> {
    let ask = |at: Timestamp| {
        policy::decide(&policy::Request {
            action: Action::Promote,
            target,
            target_state,
            source: Some((source, source_state)),
            release: info,
            actor: &cx.actor.name,
            approvals: &[],
            now: at,
            break_window: false,
        })
    };
    let refuses = |at: Timestamp, rule: Rule| ask(at).refusals.iter().any(|r| r.rule == rule);
    ask(now)
        .refusals
        .into_iter()
        .map(|r| {
            let until = match r.rule {
                Rule::Wait => Some(lifts(now, target.approvals.wait, |at| refuses(at, Rule::Wait))),
                Rule::Freeze => target_state.frozen.as_ref().and_then(|f| f.until),
                // A soak ends by time unless a setback stopped it, which only a new deploy ends.
                Rule::Soak => target
                    .soak
                    .get(&source.name)
                    .map(|soak| lifts(now, *soak, |at| refuses(at, Rule::Soak)))
                    .filter(|at| !refuses(*at, Rule::Soak)),
                Rule::Window => window_opens(target, now),
                _ => None,
            };
            Held { rule: r.rule.as_str().into(), message: r.message, until }
        })
        .collect()
}

/// When `target`'s windows next let a change in, if they ever do.
fn window_opens(target: &Environment, now: Timestamp) -> Option<Timestamp> {
    let schedules: Vec<crate::model::Schedule> = target.windows.iter().filter_map(|w| w.schedule().ok()).collect();
    let at = crate::model::next_open(&schedules, jiff::Timestamp::from_millisecond(now.unix_millis()).ok()?)?;
    Some(Timestamp::from_unix_millis(at.as_millisecond()))
}

/// The first instant, to the millisecond, in `(now, now + bound]` at which `refuses` turns false, given
/// that it holds at `now`, stays true until some instant and false after it, and is false at `now +
/// bound` (a wait is never longer than the definition's).
fn lifts(now: Timestamp, bound: std::time::Duration, refuses: impl Fn(Timestamp) -> bool) -> Timestamp {
    let (mut lo, mut hi) = (now.unix_millis(), now.plus(bound).unix_millis());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if refuses(Timestamp::from_unix_millis(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Timestamp::from_unix_millis(hi)
}

fn view(env: &Environment, s: &EnvStatus, infos: &BTreeMap<String, ReleaseInfo>, now: Timestamp) -> EnvView {
    let state = &s.state;
    let running = state.current.as_ref().map(|d| Running {
        release: d.release.clone(),
        commit: d.commit.as_ref().map(|c| c.chars().take(12).collect()),
        git_ref: infos.get(&d.release).and_then(|i| i.git_ref.clone()),
        at: d.at,
        by: d.by.name.clone(),
        ci_run: d.by.ci_run.clone(),
        kind: d.kind.as_str().into(),
        from: d.from.clone(),
        approvals: d.approvals.iter().map(|a| a.by.clone()).collect(),
    });
    let evidence = match &state.current {
        None => Evidence::None,
        Some(d) if d.smoke.is_empty() => Evidence::None,
        Some(d) => {
            let names = |f: &dyn Fn(&ledger::SmokeRecord) -> bool| -> Vec<String> {
                d.smoke.iter().filter(|c| f(c)).map(|c| c.name.clone()).collect()
            };
            let (skipped, failed) = (names(&|c| c.skipped), names(&|c| !c.skipped && !c.passed));
            if !skipped.is_empty() {
                Evidence::Skipped(skipped)
            } else if !failed.is_empty() {
                Evidence::Failed(failed)
            } else {
                Evidence::Passed(names(&|_| true))
            }
        }
    };
    let last_change = state.last_change.as_ref().map(|c| Change {
        what: format!("{}{}", c.kind.as_str(), c.release.as_deref().map(|r| format!(" {r}")).unwrap_or_default()),
        outcome: c.outcome.map_or("not finished".to_string(), |o| o.as_str().to_string()),
        ok: c.outcome == Some(Outcome::Deployed),
        reason: c.reason.clone(),
    });
    EnvView {
        name: env.name.clone(),
        tier: env.tier.as_str().into(),
        trigger: env.trigger.to_string(),
        refs: env.refs.iter().map(ToString::to_string).collect(),
        running,
        last_change,
        evidence,
        frozen: state.frozen.as_ref().map(|f| {
            let until = f.until.map(|u| format!(" until {u}")).unwrap_or_default();
            format!("by {} at {}{until}: {}", f.by.name, f.at, f.reason)
        }),
        held: state
            .held
            .as_ref()
            .map(|h| format!("rolled back to {} by {} at {}: {}", h.release, h.by.name, h.at, h.reason)),
        lock: s.lock.as_ref().map(|l| l.describe(now)),
        drift: s.drift.clone(),
    }
}

fn row(r: &Record) -> HistoryRow {
    let (phase, ok) = match (r.phase, r.outcome) {
        (Phase::Started, _) => ("started".to_string(), None),
        (_, Some(o)) => (o.as_str().to_string(), Some(matches!(o, Outcome::Deployed | Outcome::Done))),
        (_, None) => ("-".to_string(), None),
    };
    let phase = if r.phase == Phase::Reconciled { format!("reconciled: {phase}") } else { phase };
    HistoryRow {
        at: r.at,
        environment: r.environment.clone(),
        kind: r.kind.as_str().into(),
        release: r.release.clone(),
        phase,
        ok: if r.kind == RunKind::Verify { r.smoke.iter().all(|s| s.passed && !s.skipped).into() } else { ok },
        by: r.actor.name.clone(),
        ci_run: r.actor.ci_run.clone(),
        from: r.from.clone(),
        approvals: r.approvals.iter().map(|a| a.by.clone()).collect(),
        reason: r.reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_finds_the_first_instant_a_refusal_lifts() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let ready = Timestamp::from_unix_millis(1_000_000 + 754_321);
        let found = lifts(now, std::time::Duration::from_secs(1800), |at| at < ready);
        assert_eq!(found, ready);
        // Already lifted a millisecond after now.
        let found = lifts(now, std::time::Duration::from_secs(60), |at| at <= now);
        assert_eq!(found, Timestamp::from_unix_millis(1_000_001));
    }
}
