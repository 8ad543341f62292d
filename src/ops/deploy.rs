//! A release onto an environment (what deploy, promote and rollback all do), as one run of the ledger.
//!
//! The policy decides first, from the ledger alone, before any cloud call ([`decide`]); then the
//! environment's account is connected to ([`connect`]) and its bootstrap checked
//! ([`super::bootstrap::require`]); then, under the environment's lock, the policy decides again (nothing
//! can freeze, hold or change the environment between that decision and the change), the run's start is recorded, the release's stacks are applied and its smoke checks run, and
//! how it ended is recorded, also when the apply fails or is interrupted (Ctrl-C).

use std::cell::RefCell;
use std::future::Future;

use super::compose_host::{HostReach, HostRun};
use super::run::{LockOptions, RunSpec, within};
use super::{Context, OpsError};
use crate::apply::cloudformation::{self as cfn, Approver, Ending, InFlight, Options, Plan};
use crate::apply::cloudgov::Waits;
use crate::apply::report::Reporter;
use crate::cloud::{Cloud, Connector, Destination, RegionRule};
use crate::cloudfoundry::CloudFoundry;
use crate::ledger::{self, AppRecord, Approval, EnvState, HostRecord, Outcome, RunKind, SmokeRecord, StackRecord};
use crate::model::Environment;
use crate::policy::{self, Action, Decision};
use crate::release::{self, Release, ReleaseInfo};
use crate::synth::sha256_hex;

/// What to apply, how, and what to record about it.
pub struct Request<'a> {
    /// The environment.
    pub env: &'a Environment,
    /// The release.
    pub release: &'a Release,
    /// Deploy, promote or rollback.
    pub kind: RunKind,
    /// Where a promotion comes from.
    pub from: Option<String>,
    /// The approvals given (the policy counts those that count).
    pub approvals: Vec<Approval>,
    /// Why (a rollback's reason).
    pub reason: Option<String>,
    /// Whether a freeze may be broken to do it (a rollback's `--break-freeze`).
    pub break_freeze: bool,
    /// Whether a closed window may be passed (`--break-window`; the reason is [`Request::reason`]).
    pub break_window: bool,
    /// The apply's choices.
    pub apply: &'a Options,
    /// The lock's.
    pub lock: LockOptions,
    /// The environment's compose host, when it has one on a server ([`super::compose_host::reach`]).
    pub host: Option<&'a HostReach>,
}

/// What a run talks to while it works: where its progress goes, who approves a gated change, what it
/// has in flight, and what interrupts it.
pub struct Io<'a, I: Future<Output = ()>> {
    /// Where progress goes.
    pub reporter: &'a mut dyn Reporter,
    /// Who is asked about a change that needs approval.
    pub approver: &'a mut dyn Approver,
    /// The change sets in flight, readable after an interruption.
    pub in_flight: &'a RefCell<InFlight>,
    /// Completes when the run must stop (Ctrl-C).
    pub interrupt: I,
}

/// How the run ended.
#[derive(Debug)]
pub enum End {
    /// The apply ran to its end.
    Applied(cfn::Applied),
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
    /// What each cloud.gov app runs after it (none without a cloud.gov target).
    pub apps: Vec<AppRecord>,
    /// What the compose host's part of it did.
    pub hosts: Vec<HostRecord>,
}

/// The ledger's outcome for how an apply ended.
pub fn outcome_of(ending: &Ending) -> Outcome {
    match ending {
        Ending::Deployed => Outcome::Deployed,
        Ending::RolledBack { .. } => Outcome::RolledBack,
        Ending::RollbackIncomplete { .. } => Outcome::RollbackIncomplete,
        Ending::Refused { .. } => Outcome::Refused,
        Ending::CloudFailed { .. } => Outcome::CloudFailed,
    }
}

/// Why an apply did not deploy, if it did not.
pub fn cause_of(ending: &Ending) -> Option<String> {
    match ending {
        Ending::Deployed => None,
        Ending::RolledBack { cause } | Ending::RollbackIncomplete { cause, .. } => Some(cause.clone()),
        Ending::Refused { reason } | Ending::CloudFailed { reason } => Some(reason.clone()),
    }
}

/// What the policy says about `kind` of `release` onto `env` now, from the ledger's state of the
/// environments: the same decision before any cloud call and again under the lock.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    cx: &Context<'_>,
    env: &Environment,
    release: &ReleaseInfo,
    kind: RunKind,
    from: Option<&str>,
    approvals: &[Approval],
    break_freeze: bool,
    break_window: bool,
) -> Result<Decision, OpsError> {
    let now = cx.clock.now();
    let target_state = EnvState::of(&ledger::records(cx.store, &env.name).await?, now);
    let source = match from {
        Some(name) => match cx.project.find(name) {
            Some(source) => Some((source, EnvState::of(&ledger::records(cx.store, name).await?, now))),
            None => None,
        },
        None => None,
    };
    let action = match kind {
        RunKind::Promote => Action::Promote,
        RunKind::Rollback => Action::Rollback { break_freeze },
        _ => Action::Deploy,
    };
    Ok(policy::decide(&policy::Request {
        action,
        target: env,
        target_state: &target_state,
        source: source.as_ref().map(|(e, s)| (*e, s)),
        release,
        actor: &cx.actor.name,
        approvals,
        now,
        break_window,
    }))
}

/// Refuses with every rule that refuses, when `decision` is not "allowed".
pub fn allowed(decision: Decision) -> Result<Decision, OpsError> {
    if decision.allowed() { Ok(decision) } else { Err(OpsError::Refused(decision.refusals)) }
}

/// Connects to `env`'s account and region for a change (the pre-flight checks: credentials, region,
/// endpoint, account), with the run's credentials when they are for that account, else by assuming
/// `role` (`--assume-role`) or the role the definition names.
pub async fn connect(connector: &Connector, env: &Environment, role: Option<&str>) -> Result<Cloud, OpsError> {
    connect_with(connector, env, role, RegionRule::Strict).await
}

/// Connects to `env`'s account to read it (`status`, `diff --against deployed`): in the environment's
/// region whatever the chain configures, through the role the definition names when the credentials are
/// for another account, as a deploy would.
pub async fn connect_to_read(connector: &Connector, env: &Environment) -> Result<Cloud, OpsError> {
    connect_with(connector, env, None, RegionRule::Environment).await
}

async fn connect_with(
    connector: &Connector,
    env: &Environment,
    role: Option<&str>,
    rule: RegionRule,
) -> Result<Cloud, OpsError> {
    let Some(target) = env.aws_target() else {
        return Err(cfn::PlanError::NoAws(env.name.clone()).into());
    };
    let dest = Destination { environment: &env.name, account: target.account.as_str(), region: target.region.code() };
    match (role.or(env.assume_role.as_deref()), connector.connect(&dest, rule).await) {
        (_, Ok(cloud)) => Ok(cloud),
        (Some(role), Err(crate::cloud::ConnectError::WrongAccount { .. })) => {
            Ok(connector.connect_assuming(&dest, rule, role).await?)
        }
        (_, Err(e)) => Err(e.into()),
    }
}

/// Plans `req`'s release for its environment: the environment's templates from the bundle, large ones
/// read by CloudFormation from the store's copy when the store is S3.
pub fn plan(cx: &Context<'_>, req: &Request<'_>) -> Result<Plan, OpsError> {
    let release = req.release;
    if !release.artifacts.keys().any(|k| k.environment() == Some(req.env.name.as_str()) && k.stack().is_some()) {
        return Err(OpsError::NothingFor {
            release: release.info.id.clone(),
            env: req.env.name.clone(),
            holds: release.info.environments.clone(),
        });
    }
    let plan = Plan::new(&cx.project.name, req.env, &release.info.id, &release.artifacts)?;
    Ok(plan.with_template_urls(|short| {
        let key = crate::synth::ArtifactKey::template(&req.env.name, short);
        cx.store.object_url(&release::artifact_key(&release.info.id, &key))
    }))
}

/// Applies `req` through `cloud` (connected to its environment) as one run of the ledger: under the
/// environment's lock, reconciles runs that died, decides again, records the start, applies (until done
/// or until `io.interrupt` completes), and records how it ended. Only the AWS target: [`run_on`] applies
/// every target it is given.
pub async fn run<I: Future<Output = ()>>(
    cx: &Context<'_>,
    req: &Request<'_>,
    cloud: &Cloud,
    io: Io<'_, I>,
) -> Result<Ran, OpsError> {
    run_on(cx, req, Targets { aws: Some(cloud), cloud_gov: None }, io).await
}

/// The targets a run applies, each connected to.
#[derive(Clone, Copy, Default)]
pub struct Targets<'a> {
    /// The environment's AWS account (its stacks, then its smoke checks).
    pub aws: Option<&'a Cloud>,
    /// The environment's cloud.gov API (its apps, applied first; put back when anything after fails).
    pub cloud_gov: Option<&'a CloudFoundry>,
}

/// As [`run`], on every target of `targets` and `req`'s compose host: the cloud.gov apps first (see
/// [`super::cloudgov`]), then the stacks, the host and the smoke checks; when the stacks, the host or the
/// checks fail, the host and the apps are put back too, and a failed app stops the run before the stacks
/// change. Without an AWS target the host is applied alone ([`HostRun::apply_alone`]).
pub async fn run_on<I: Future<Output = ()>>(
    cx: &Context<'_>,
    req: &Request<'_>,
    targets: Targets<'_>,
    io: Io<'_, I>,
) -> Result<Ran, OpsError> {
    let plan = match targets.aws {
        Some(_) => plan(cx, req)?,
        None => Plan {
            env: req.env.clone(),
            release: req.release.info.id.clone(),
            stacks: Vec::new(),
            tags: Default::default(),
            smoke_checks: Vec::new(),
            role_arn: None,
        },
    };
    // Before the lock and the ledger: an account that is not bootstrapped is refused with nothing taken.
    // (On the heap, as the rest of the run: a library caller's thread has a 2 MiB stack.)
    if let Some(cloud) = targets.aws {
        Box::pin(super::bootstrap::require(cloud, req.env)).await?;
    }
    let Io { reporter, approver, in_flight, interrupt } = io;
    let spec = RunSpec {
        env: &req.env.name,
        kind: req.kind,
        doing: format!("{} release {}", req.kind.as_str(), req.release.info.id),
        lock: req.lock,
    };
    let plan_ref = &plan;
    let (id, end, apps, hosts) = Box::pin(within(cx, spec, reporter, async |run, reporter| {
        let names: Vec<String> = plan_ref.stacks.iter().map(|s| s.name.clone()).collect();
        run.reconcile(&names, targets.aws, reporter).await?;
        let info = &req.release.info;
        let decision = allowed(
            decide(
                cx,
                req.env,
                info,
                req.kind,
                req.from.as_deref(),
                &req.approvals,
                req.break_freeze,
                req.break_window,
            )
            .await?,
        )?;
        let prepared = match targets.cloud_gov {
            Some(cf) => super::cloudgov::prepare(cx, req.env, req.release, req.kind, cf, Waits::default()).await?,
            None => None,
        };
        let mut host = match req.host {
            Some(reach) => Some(HostRun::prepare(cx, req.env, req.release, reach, req.apply.poll, reporter).await?),
            None => None,
        };
        // The code the templates refer to, in the account before any stack changes.
        if let Some(cloud) = targets.aws {
            Box::pin(super::assets::publish(cx, super::assets::Source::Release(req.release), req.env, cloud, reporter))
                .await?;
        }
        let mut started = run.record();
        started.release = Some(info.id.clone());
        started.commit = info.commit.clone();
        started.from = req.from.clone();
        started.approvals = decision.counted.clone();
        started.reason = req.reason.clone();
        started.broke_freeze = req.break_freeze && decision.broke_freeze;
        started.broke_window = decision.broke_window.clone();
        let env = req.env.name.as_str();
        let artifacts = req.release.artifacts.iter().filter(|(k, _)| k.environment() == Some(env));
        started.artifacts = artifacts.map(|(k, bytes)| (k.path(), sha256_hex(bytes))).collect();
        let assets = super::assets::used_by(req.release, env);
        started.artifacts.extend(assets.into_iter().map(|a| (a.key, a.sha256)));
        run.start(started).await?;
        let apps = match &prepared {
            Some(p) => Some(Box::pin(super::cloudgov::apply(p, env, reporter)).await),
            None => None,
        };
        let end = match (&apps, targets.aws) {
            (Some(a), _) if !a.deployed() => End::Applied(cfn::Applied {
                ending: match (a.failure.clone().unwrap_or_default(), a.unchanged) {
                    (reason, Some(true)) => Ending::Refused { reason },
                    (reason, Some(false)) => Ending::CloudFailed { reason },
                    (cause, None) => Ending::RolledBack { cause },
                },
                stacks: plan_ref.stacks.iter().map(|s| (s.name.clone(), cfn::StackResult::NotStarted)).collect(),
                restored: Vec::new(),
                smoke: Vec::new(),
                bake: None,
            }),
            (_, Some(cloud)) => {
                // On the heap: with the apps, the host and the bake, the whole run's future outgrew the 2 MiB
                // stack of a thread a library caller (or a test) runs it on.
                let applying = Box::pin(async {
                    match host.as_mut() {
                        Some(host) if host.goes_first() => {
                            let stacks = async |reporter: &mut dyn Reporter| {
                                cfn::run(cloud, plan_ref, req.apply, reporter, approver, in_flight).await
                            };
                            host.before_stacks(plan_ref, reporter, stacks).await
                        }
                        Some(host) => {
                            cfn::run_with(cloud, plan_ref, req.apply, reporter, approver, in_flight, host).await
                        }
                        None => cfn::run(cloud, plan_ref, req.apply, reporter, approver, in_flight).await,
                    }
                });
                tokio::select! {
                    applied = applying => End::Applied(applied),
                    () = interrupt => End::Interrupted(in_flight.borrow().clone()),
                }
            }
            // No stacks: the compose host alone (an environment whose only server is one, or `--target
            // compose`), undone when it or its smoke checks fail.
            (_, None) => match host.as_mut() {
                Some(host) => End::Applied(Box::pin(host.apply_alone(reporter)).await),
                None => End::Applied(cfn::Applied {
                    ending: Ending::Deployed,
                    stacks: Vec::new(),
                    restored: Vec::new(),
                    smoke: Vec::new(),
                    bake: None,
                }),
            },
        };
        let (end, app_records) = match (prepared, apps) {
            (Some(p), Some(a)) => Box::pin(put_back_apps(&p, a, end, reporter)).await,
            _ => (end, Vec::new()),
        };
        let outcome = match &end {
            End::Applied(applied) => outcome_of(&applied.ending),
            End::Interrupted(_) => Outcome::Interrupted,
        };
        let hosts = host.as_ref().map(HostRun::records).unwrap_or_default();
        let host_smoke = host.as_ref().map(|h| h.smoke.clone()).unwrap_or_default();
        run.finish(outcome, |finished| {
            finished.apps = app_records.clone();
            finished.hosts = hosts.clone();
            match &end {
                End::Applied(applied) => {
                    finished.stacks = stack_records(applied);
                    let smoke: Vec<_> = host_smoke.iter().chain(&applied.smoke).cloned().collect();
                    finished.smoke = smoke_records(&smoke, req.apply.smoke, &req.env.smoke_checks);
                    if req.apply.smoke {
                        finished.smoke.extend(not_applied(req.env, targets.aws.is_some(), req.host.is_some()));
                    }
                    finished.bake = super::evidence::bake_record(applied, req.apply.bake, req.env);
                    if let Some(cause) = cause_of(&applied.ending) {
                        finished.reason = Some(cause);
                    }
                }
                End::Interrupted(in_flight) => {
                    finished.stacks = in_flight
                        .executed
                        .iter()
                        .map(|(stack, cs)| StackRecord {
                            name: stack.clone(),
                            result: format!("executed change set {cs}"),
                        })
                        .chain(
                            in_flight
                                .changing
                                .iter()
                                .map(|s| StackRecord { name: s.clone(), result: "still changing".into() }),
                        )
                        .collect();
                    finished.reason = Some("interrupted; CloudFormation carries on with what was started".into());
                }
            }
        })
        .await?;
        Ok((run.id().to_string(), end, app_records, hosts))
    }))
    .await?;
    Ok(Ran { plan, end, run: id, apps, hosts })
}

/// When the run did not end deployed, puts the cloud.gov apps it changed back; the run's end (a rollback
/// that left an app as it is becomes incomplete, naming it) and the apps' records.
async fn put_back_apps(
    p: &super::cloudgov::Prepared<'_>,
    applied: crate::apply::cloudgov::Applied,
    end: End,
    reporter: &mut dyn crate::apply::report::Reporter,
) -> (End, Vec<AppRecord>) {
    let End::Applied(mut stacks) = end else {
        // Interrupted: the apps are on the release; the record says so.
        return (end, super::cloudgov::records(&applied, None));
    };
    if stacks.ending == Ending::Deployed {
        return (End::Applied(stacks), super::cloudgov::records(&applied, None));
    }
    let restored = super::cloudgov::restore(p, &applied, reporter).await;
    stacks.with_others_put_back(
        restored.restored.iter().map(|(app, what)| (format!("app {app}"), what.clone())).collect(),
        restored.stuck.iter().map(|(app, why)| format!("app {app}: {why}")).collect(),
        applied.apps.iter().any(|a| a.changed),
    );
    let records = super::cloudgov::records(&applied, Some(&restored));
    (End::Applied(stacks), records)
}

/// What the ledger records of each stack of an apply: its result, then what the rollback did to it.
pub fn stack_records(applied: &cfn::Applied) -> Vec<StackRecord> {
    applied
        .stacks
        .iter()
        .map(|(name, r)| StackRecord { name: name.clone(), result: cfn::result_text(r) })
        .chain(
            applied
                .restored
                .iter()
                .map(|(name, what)| StackRecord { name: name.clone(), result: format!("rollback: {what}") }),
        )
        .collect()
}

/// The smoke checks of `env` this run could not run because it left out (`--target`) the target whose URL
/// they read: the stacks (`stacks` false) or the compose host (`host` false). Recorded as skipped, so that
/// the policy never counts them as passed.
fn not_applied(env: &Environment, stacks: bool, host: bool) -> Vec<SmokeRecord> {
    use crate::model::{ComposeHost, SmokeUrl};
    let has_host = env.compose_target().is_some_and(|c| c.host != ComposeHost::Local);
    let skipped = |c: &crate::model::SmokeCheck| match &c.url {
        SmokeUrl::Stack(_) if env.aws_target().is_some() && !stacks => Some("its URL is a stack output"),
        SmokeUrl::Service(_) if has_host && !host => Some("its URL is one the compose host publishes"),
        _ => None,
    };
    let why = |what: &str| format!("skipped: {what}, and this run did not apply that target (--target)");
    env.smoke_checks.iter().filter_map(|c| skipped(c).map(|what| SmokeRecord::skipped(&c.name, &why(what)))).collect()
}

/// What the ledger records of smoke checks: each one run, or, when they were not run (`--no-smoke`),
/// each one the environment has as skipped, which the policy never counts as passed.
pub fn smoke_records(
    results: &[crate::apply::smoke::SmokeResult],
    ran: bool,
    checks: &[crate::model::SmokeCheck],
) -> Vec<SmokeRecord> {
    if !ran {
        return checks.iter().map(|c| SmokeRecord::skipped(&c.name, "skipped: deployed with --no-smoke")).collect();
    }
    results.iter().map(|s| SmokeRecord::of(&s.name, s.passed, &s.detail)).collect()
}
