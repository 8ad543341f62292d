//! One run of the ledger, whatever it changes (a deploy, a promotion, a rollback, a demo brought up or
//! down): the environment's lock taken, runs that died reconciled, a `started` record written before
//! anything changes and a `finished` one at the end, and the lock given back on every path, a failure
//! or an error included, so that the ledger always says how a run ended and no lock is left that nobody
//! reported. [`within`] is the only way to get one.

use std::time::Duration;

use super::{Context, OpsError};
use crate::apply::report::{Report, Reporter};
use crate::cloud::Cloud;
use crate::ledger::lock::{self, LockInfo};
use crate::ledger::{self, Outcome, Phase, Record, RunKind, StackRecord};

/// How long to wait for, and how long to hold, an environment's lock.
#[derive(Clone, Copy, Debug)]
pub struct LockOptions {
    /// How long to wait for another run's lock (zero: refuse at once).
    pub wait: Duration,
    /// How long a lock holds before another run may take it over.
    pub ttl: Duration,
    /// How often to look while waiting.
    pub poll: Duration,
}

/// What a run is, before it starts.
#[derive(Clone, Debug)]
pub struct RunSpec<'a> {
    /// The environment it changes (a demo's slug for a demo).
    pub env: &'a str,
    /// What it does.
    pub kind: RunKind,
    /// What the lock says it is doing (`deploy release r2`), for whoever finds it held.
    pub doing: String,
    /// The lock's waits.
    pub lock: LockOptions,
}

/// A run in progress: it holds the environment's lock.
pub struct LedgerRun<'c> {
    cx: &'c Context<'c>,
    id: String,
    env: String,
    kind: RunKind,
    started: Option<Record>,
}

/// Runs `work` as one run of the ledger: takes `spec.env`'s lock (saying so when it takes over a stale
/// one), hands `work` the run, and gives the lock back however `work` ends. A run that started and did not
/// finish (an error after its `started` record) gets a `finished` record that says so.
pub async fn within<T>(
    cx: &Context<'_>,
    spec: RunSpec<'_>,
    reporter: &mut dyn Reporter,
    work: impl AsyncFnOnce(&mut LedgerRun<'_>, &mut dyn Reporter) -> Result<T, OpsError>,
) -> Result<T, OpsError> {
    let now = cx.clock.now();
    let id = ledger::new_run_id(now);
    let info = LockInfo {
        environment: spec.env.to_string(),
        run: id.clone(),
        holder: cx.actor.clone(),
        reason: spec.doing,
        started_at: now,
        expires_at: now.plus(spec.lock.ttl),
        host: lock::this_host(),
        pid: std::process::id(),
    };
    let held = lock::acquire(cx.store, info, spec.lock.wait, spec.lock.poll, cx.clock).await?;
    if let Some(stale) = &held.took_over {
        reporter.report(Report::Note(&format!(
            "note: took over the lock of {}, which was stale: {}",
            spec.env,
            stale.describe(cx.clock.now())
        )));
    }
    let mut run = LedgerRun { cx, id, env: spec.env.to_string(), kind: spec.kind, started: None };
    let mut result = work(&mut run, &mut *reporter).await;
    if let Err(e) = &result
        && run.started.is_some()
    {
        let why = format!("the run stopped before it could record its end: {e}");
        if let Err(also) = run.finish(Outcome::Lost, |r| r.reason = Some(why)).await {
            result = Err(also);
        }
    }
    if let Err(e) = lock::release(cx.store, &held).await {
        reporter.report(Report::Note(&format!(
            "warning: the lock of {env} could not be given back ({e}); remove it with `slipway unlock --env {env}`",
            env = spec.env
        )));
    }
    result
}

impl LedgerRun<'_> {
    /// The run's id, which its records share.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A new record of this run (phase `started`, now), for the caller to fill in and [`LedgerRun::start`].
    pub fn record(&self) -> Record {
        Record::new(&self.id, Phase::Started, self.kind, &self.env, self.cx.clock.now(), self.cx.actor)
    }

    /// Appends a `reconciled` record for every run on the environment that started and never finished
    /// (this run holds the lock, so none of them still runs), saying what `stacks` are now in `cloud`; a
    /// line for the user each.
    pub async fn reconcile(
        &self,
        stacks: &[String],
        cloud: Option<&Cloud>,
        reporter: &mut dyn Reporter,
    ) -> Result<(), OpsError> {
        let cx = self.cx;
        let records = ledger::records(cx.store, &self.env).await?;
        for dead in ledger::unfinished(&records) {
            let mut found = Vec::new();
            for name in stacks {
                let Some(cloud) = cloud else { break };
                let what = match cloud.describe_stack(name).await? {
                    None => "does not exist".to_string(),
                    Some(s) => s.status,
                };
                found.push(StackRecord { name: name.clone(), result: what });
            }
            let summary = found.iter().map(|s| format!("{} {}", s.name, s.result)).collect::<Vec<_>>().join("; ");
            let mut record = Record { phase: Phase::Reconciled, at: cx.clock.now(), ..dead.clone() };
            record.actor = cx.actor.clone();
            record.started_at = Some(dead.at);
            record.outcome = Some(Outcome::Lost);
            record.stacks = found;
            record.reason = Some(format!(
                "run {} ({} of release {} by {}, started {}) ended without a record of its end; found: {summary}",
                dead.run,
                dead.kind.as_str(),
                dead.release.as_deref().unwrap_or("?"),
                dead.actor.name,
                dead.at
            ));
            ledger::append(cx.store, &record).await?;
            reporter.report(Report::Note(&format!("reconciled: {}", record.reason.as_deref().unwrap_or_default())));
        }
        Ok(())
    }

    /// Appends `record` as the run's `started` record: from here on, the run ends with a `finished` one.
    pub async fn start(&mut self, mut record: Record) -> Result<(), OpsError> {
        record.run = self.id.clone();
        record.phase = Phase::Started;
        record.kind = self.kind;
        record.environment = self.env.clone();
        ledger::append(self.cx.store, &record).await?;
        self.started = Some(record);
        Ok(())
    }

    /// Appends the run's `finished` record: the `started` one with `outcome`, as `fill` completes it.
    pub async fn finish(&mut self, outcome: Outcome, fill: impl FnOnce(&mut Record)) -> Result<(), OpsError> {
        let Some(started) = self.started.take() else { return Ok(()) };
        let now = self.cx.clock.now();
        let mut finished = Record { phase: Phase::Finished, at: now, started_at: Some(started.at), ..started };
        finished.outcome = Some(outcome);
        fill(&mut finished);
        ledger::append(self.cx.store, &finished).await?;
        Ok(())
    }
}
