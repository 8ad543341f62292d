//! A release onto an environment, as one run of the ledger. Connecting, the lock, the started record and
//! a reconciliation of runs that died come before any change; the finished record and giving the lock
//! back come after, also when the apply fails or is interrupted (Ctrl-C), so that the ledger always says
//! how a run ended and no lock is left that nobody reported.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use super::{Context, OpsError};
use crate::apply::cloudformation::{self as cfn, Approver, InFlight, Options, Plan, Reporter, Verdict};
use crate::clock::Timestamp;
use crate::cloud::{Cloud, Connector, Destination, RegionRule};
use crate::ledger::EnvState;
use crate::ledger::lock::{self, LockInfo};
use crate::ledger::{self, Approval, Kind, Outcome, Phase, Record, SmokeRecord, StackRecord};
use crate::model::Environment;
use crate::policy::{self, Action};
use crate::release::{self, Release};
use crate::synth::sha256_hex;

/// How long to wait for, and how long to hold, the environment's lock.
#[derive(Clone, Copy, Debug)]
pub struct LockOptions {
    /// How long to wait for another run's lock (zero: refuse at once).
    pub wait: Duration,
    /// How long a lock holds before another run may take it over.
    pub ttl: Duration,
    /// How often to look while waiting.
    pub poll: Duration,
}

/// What to apply, how, and what to record about it.
pub struct Request<'a> {
    /// The environment.
    pub env: &'a Environment,
    /// The release.
    pub release: &'a Release,
    /// Deploy, promote or rollback.
    pub kind: Kind,
    /// Where a promotion comes from.
    pub from: Option<String>,
    /// The approvals counted.
    pub approvals: Vec<Approval>,
    /// Why (a rollback's reason).
    pub reason: Option<String>,
    /// Whether a freeze was broken to do it.
    pub broke_freeze: bool,
    /// The apply's choices.
    pub apply: &'a Options,
    /// The lock's.
    pub lock: LockOptions,
}

/// How the run ended.
#[derive(Debug)]
pub enum End {
    /// The apply ran to its end.
    Applied(cfn::Outcome),
    /// Interrupted: what was in flight then.
    Interrupted(InFlight),
}

/// What the run did, for the user.
#[derive(Debug)]
pub struct Ran {
    /// The plan applied.
    pub plan: Plan,
    /// How it ended.
    pub end: End,
    /// This run's id in the ledger.
    pub run: String,
}

/// The ledger's outcome for an apply's verdict.
pub fn outcome_of(verdict: &Verdict) -> Outcome {
    match verdict {
        Verdict::Deployed => Outcome::Deployed,
        Verdict::RolledBack { .. } => Outcome::RolledBack,
        Verdict::RollbackIncomplete { .. } => Outcome::RollbackIncomplete,
        Verdict::Refused { .. } => Outcome::Refused,
        Verdict::CloudFailed { .. } => Outcome::CloudFailed,
    }
}

/// Plans `req`'s release for its environment: the environment's templates from the bundle, large ones
/// read by CloudFormation from the store's copy when the store is S3.
pub fn plan(cx: &Context<'_>, req: &Request<'_>) -> Result<Plan, OpsError> {
    let release = req.release;
    let plan =
        Plan::new(&cx.project.name, req.env, &release.info.id, release.info.commit.as_deref(), &release.artifacts)?;
    Ok(plan.with_template_urls(|short| {
        let key = crate::synth::ArtifactKey::template(&req.env.name, short);
        cx.store.object_url(&release::artifact_key(&release.info.id, &key))
    }))
}

/// Connects to `env`'s account and region for a change (the pre-flight checks: credentials, region,
/// endpoint, account), with the run's credentials when they are for that account, else by assuming
/// `role` (`--assume-role`) or the role the definition names.
pub async fn connect(connector: &Connector, env: &Environment, role: Option<&str>) -> Result<Cloud, OpsError> {
    let Some(target) = env.aws_target() else {
        return Err(crate::apply::cloudformation::PlanError::NoAws(env.name.clone()).into());
    };
    let dest = Destination { environment: &env.name, account: target.account.as_str(), region: target.region.code() };
    match (role.or(env.assume_role.as_deref()), connector.connect(&dest, RegionRule::Strict).await) {
        (_, Ok(cloud)) => Ok(cloud),
        (Some(role), Err(crate::cloud::ConnectError::WrongAccount { .. })) => {
            Ok(connector.connect_assuming(&dest, RegionRule::Strict, role).await?)
        }
        (_, Err(e)) => Err(e.into()),
    }
}

/// What the policy says about `req` now, from the ledger's state of its environments.
pub async fn verdict(cx: &Context<'_>, req: &Request<'_>) -> Result<policy::Verdict, OpsError> {
    let now = cx.clock.now();
    let target_state = EnvState::of(&ledger::records(cx.store, &req.env.name).await?, now);
    let source = match &req.from {
        Some(name) => {
            let env = cx.project.find(name);
            let state = EnvState::of(&ledger::records(cx.store, name).await?, now);
            env.map(|e| (e, state))
        }
        None => None,
    };
    let action = match req.kind {
        Kind::Promote => Action::Promote,
        Kind::Rollback => Action::Rollback { break_freeze: req.broke_freeze },
        _ => Action::Deploy,
    };
    Ok(policy::decide(&policy::Request {
        action,
        target: req.env,
        target_state: &target_state,
        source: source.as_ref().map(|(e, s)| (*e, s)),
        release: &req.release.info,
        actor: &cx.actor.name,
        approvals: &req.approvals,
        now,
    }))
}

/// Applies `req` through `cloud` (connected to its environment) as one run of the ledger: takes the lock,
/// reconciles runs that died, records, applies (until done or until `interrupt` completes), records how it
/// ended, and gives the lock back.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    cx: &Context<'_>,
    req: &Request<'_>,
    cloud: &Cloud,
    reporter: &mut dyn Reporter,
    approver: &mut dyn Approver,
    in_flight: &RefCell<InFlight>,
    interrupt: impl Future<Output = ()>,
) -> Result<Ran, OpsError> {
    let plan = plan(cx, req)?;
    let started = cx.clock.now();
    let run = ledger::new_run_id(started);
    let reason = format!("{} release {}", req.kind.as_str(), req.release.info.id);
    let held = take_lock(cx, &req.env.name, &run, reason, started, &req.lock, reporter).await?;
    let result = locked(cx, req, &plan, cloud, &run, reporter, approver, in_flight, interrupt).await;
    give_back(cx, &held, reporter).await;
    Ok(Ran { plan, end: result?, run })
}

/// Takes environment `env`'s lock for run `run`, started at `started`, and says so when it takes over a
/// stale one.
pub(crate) async fn take_lock(
    cx: &Context<'_>,
    env: &str,
    run: &str,
    reason: String,
    started: Timestamp,
    options: &LockOptions,
    reporter: &mut dyn Reporter,
) -> Result<lock::Held, OpsError> {
    let info = LockInfo {
        environment: env.to_string(),
        run: run.to_string(),
        holder: cx.actor.clone(),
        reason,
        started_at: started,
        expires_at: started.plus(options.ttl),
        host: lock::this_host(),
        pid: std::process::id(),
    };
    let held = lock::acquire(cx.store, info, options.wait, options.poll, cx.clock).await?;
    if let Some(stale) = &held.took_over {
        reporter.report(cfn::Report::Note(&format!(
            "note: took over the lock of {env}, which was stale: {}",
            stale.describe(cx.clock.now())
        )));
    }
    Ok(held)
}

/// Gives `held` back, whatever the run came to: failing to is worth saying, not worth a failure.
pub(crate) async fn give_back(cx: &Context<'_>, held: &lock::Held, reporter: &mut dyn Reporter) {
    if let Err(e) = lock::release(cx.store, held).await {
        let env = &held.info.environment;
        reporter.report(cfn::Report::Note(&format!(
            "warning: the lock of {env} could not be given back ({e}); remove it with `slipway unlock --env {env}`"
        )));
    }
}

#[allow(clippy::too_many_arguments)]
async fn locked(
    cx: &Context<'_>,
    req: &Request<'_>,
    plan: &Plan,
    cloud: &Cloud,
    run: &str,
    reporter: &mut dyn Reporter,
    approver: &mut dyn Approver,
    in_flight: &RefCell<InFlight>,
    interrupt: impl Future<Output = ()>,
) -> Result<End, OpsError> {
    let env = &req.env.name;
    let names: Vec<String> = plan.stacks.iter().map(|s| s.name.clone()).collect();
    let reconciled = reconcile(cx, env, &names, Some(cloud)).await?;
    for line in &reconciled {
        reporter.report(cfn::Report::Note(line));
    }
    // Decided under the lock: nothing can freeze, hold or change the environment between the decision
    // and the change.
    let verdict = verdict(cx, req).await?;
    if !verdict.allowed() {
        return Err(OpsError::Refused(verdict.refusals));
    }
    let started_at = cx.clock.now();
    let mut started = Record::new(run, Phase::Started, req.kind, env, started_at, cx.actor);
    started.release = Some(req.release.info.id.clone());
    started.commit = req.release.info.commit.clone();
    started.from = req.from.clone();
    started.approvals = verdict.counted.clone();
    started.reason = req.reason.clone();
    started.broke_freeze = req.broke_freeze;
    let artifacts = req.release.artifacts.iter().filter(|(k, _)| k.environment() == Some(env.as_str()));
    started.artifacts = artifacts.map(|(k, bytes)| (k.path(), sha256_hex(bytes))).collect();
    ledger::append(cx.store, &started).await?;
    let end = tokio::select! {
        outcome = cfn::run(cloud, plan, req.apply, reporter, approver, in_flight) => End::Applied(outcome),
        () = interrupt => End::Interrupted(in_flight.borrow().clone()),
    };
    let mut finished = Record { phase: Phase::Finished, at: cx.clock.now(), started_at: Some(started_at), ..started };
    match &end {
        End::Applied(outcome) => {
            finished.outcome = Some(outcome_of(&outcome.verdict));
            finished.stacks = stack_records(outcome);
            finished.smoke = smoke_records(&outcome.smoke);
            if let Some(cause) = cause_of(&outcome.verdict) {
                finished.reason = Some(cause);
            }
        }
        End::Interrupted(in_flight) => {
            finished.outcome = Some(Outcome::Interrupted);
            finished.stacks = in_flight
                .executed
                .iter()
                .map(|(stack, cs)| StackRecord { name: stack.clone(), result: format!("executed change set {cs}") })
                .chain(
                    in_flight.changing.iter().map(|s| StackRecord { name: s.clone(), result: "still changing".into() }),
                )
                .collect();
            finished.reason = Some("interrupted; CloudFormation carries on with what was started".into());
        }
    }
    ledger::append(cx.store, &finished).await?;
    Ok(end)
}

/// What the ledger records of each stack of an apply: its result, then what the rollback did to it.
pub(super) fn stack_records(outcome: &cfn::Outcome) -> Vec<StackRecord> {
    outcome
        .stacks
        .iter()
        .map(|(name, r)| StackRecord { name: name.clone(), result: cfn::result_text(r) })
        .chain(
            outcome
                .restored
                .iter()
                .map(|(name, what)| StackRecord { name: name.clone(), result: format!("rollback: {what}") }),
        )
        .collect()
}

/// What the ledger records of smoke checks.
pub(super) fn smoke_records(results: &[crate::apply::smoke::SmokeResult]) -> Vec<SmokeRecord> {
    results.iter().map(|s| SmokeRecord { name: s.name.clone(), passed: s.passed, detail: s.detail.clone() }).collect()
}

/// Why an apply did not deploy, if it did not.
pub(super) fn cause_of(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Deployed => None,
        Verdict::RolledBack { cause } | Verdict::RollbackIncomplete { cause, .. } => Some(cause.clone()),
        Verdict::Refused { reason } | Verdict::CloudFailed { reason } => Some(reason.clone()),
    }
}

/// Appends a `reconciled` record for every run on `env` that started and never finished (this run holds
/// the lock, so none of them still runs), saying what `stacks` are now in `cloud`; one line for the user
/// each.
pub(super) async fn reconcile(
    cx: &Context<'_>,
    env: &str,
    stacks: &[String],
    cloud: Option<&Cloud>,
) -> Result<Vec<String>, OpsError> {
    let records = ledger::records(cx.store, env).await?;
    let mut lines = Vec::new();
    for dead in ledger::unfinished(&records) {
        let mut found = Vec::new();
        for name in stacks {
            let Some(cloud) = cloud else { break };
            let what = match cloud.describe_stack(name).await? {
                None => "does not exist".to_string(),
                Some(s) => {
                    let release = s.tags.get(cfn::TAG_RELEASE).map(|r| format!(", release {r}")).unwrap_or_default();
                    format!("{}{release}", s.status)
                }
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
        lines.push(format!("reconciled: {}", record.reason.as_deref().unwrap_or_default()));
    }
    Ok(lines)
}
