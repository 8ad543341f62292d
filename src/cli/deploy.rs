//! `slipway deploy`: what CI runs after a merge. It either leaves the environment on the new release or
//! brings it back to where it was, says which happened and why, and the ledger records it.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

use super::progress::{Progress, Prompt};
use super::run_args::{ApplyArgs, ApprovalArgs, TargetKind, WindowArgs};
use super::{CliError, Exit, Session};
use crate::apply::cloudformation::{Ending, InFlight, summary};
use crate::ledger::RunKind;
use crate::ops::deploy::{End, Io, Request, Targets};
use crate::ops::release::{NewRelease, Source};
use crate::release::Created;

/// Deploys a release to an environment: its CloudFormation stacks, change set per stack, in dependency
/// order (independent stacks in parallel), shown as a diff, gated, executed and waited on; then the
/// environment's smoke checks. When anything fails, every stack this deploy changed is returned to what it
/// was. The release's bytes are deployed as they are in the store (checked against its manifest); a
/// release that does not exist yet is created first, from the working tree or from --from DIR. The
/// environment is locked for the whole run, and the ledger records it.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The environment to deploy.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    /// The release to deploy (a tag or build number); passed as the `Release` parameter.
    #[arg(long, value_name = "ID", required_unless_present = "revert_drift")]
    release: Option<String>,
    /// Deploy again the release the ledger says runs in the environment, putting back every stack that
    /// drifted from it (what `slipway status --exit-code` found).
    #[arg(long, conflicts_with_all = ["release", "from"])]
    revert_drift: bool,
    /// When the release does not exist yet, make it from this `slipway synth --out` directory (each file
    /// checked against its manifest.json) instead of the working tree; when it exists, it must hold the
    /// same artifacts.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// The commit a release made here is recorded with. Default: $GITHUB_SHA, else git's HEAD.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// The git ref a release made here is recorded with. Default: $GITHUB_REF, else git's branch.
    #[arg(long = "ref", value_name = "REF")]
    git_ref: Option<String>,
    /// Make the release even though the working tree has uncommitted changes (recorded in the release).
    #[arg(long)]
    allow_dirty: bool,
    #[command(flatten)]
    approvals: ApprovalArgs,
    #[command(flatten)]
    window: WindowArgs,
    #[command(flatten)]
    pub(super) apply: ApplyArgs,
}

pub fn run(s: &Session, args: &DeployArgs) -> Result<Exit, CliError> {
    let env = s.environment(&args.env)?;
    if let Some(dir) = &args.from {
        crate::ops::release::reviewed(dir, Some(&env.name)).map_err(crate::ops::OpsError::from)?;
    }
    let cx = s.context()?;
    let approvals = args.approvals.collect(s, &env.name)?;
    let (break_window, mut reason) = args.window.resolve()?;
    let id = match &args.release {
        Some(id) => id.clone(),
        None => {
            let running = s.block_on(crate::ops::drift::running(&cx, env))?;
            writeln!(
                s.err(),
                "reverting drift: deploying release {running} again, which the ledger says runs in {}",
                env.name
            )?;
            let why = format!("revert drift: release {running} deployed again over what was changed outside slipway");
            reason = Some(reason.map_or(why.clone(), |r| format!("{why}; {r}")));
            running
        }
    };
    let new = NewRelease {
        id: &id,
        commit: s.commit(args.commit.as_deref()),
        git_ref: s.git_ref(args.git_ref.as_deref()),
        from: match args.from.as_deref() {
            Some(dir) => Source::Reviewed(dir),
            None => Source::Synthesized(&s.assembly()?.set),
        },
        uncommitted: s.uncommitted(),
        allow_dirty: args.allow_dirty,
    };
    // The policy first, from the ledger alone: a refusal it can give needs no credentials for the
    // environment's account, and none is given after anything was written.
    let existing = s.block_on(crate::release::read_info(cx.store, &id))?;
    let info = existing.clone().unwrap_or_else(|| new.info(&cx));
    let decision = s.block_on(crate::ops::deploy::decide(
        &cx,
        env,
        &info,
        RunKind::Deploy,
        None,
        &approvals,
        false,
        break_window,
    ))?;
    crate::ops::deploy::allowed(decision)?;
    let connected = connect(s, env, &args.apply)?;
    if args.from.is_some() || existing.is_none() {
        let created = s.block_on(crate::ops::release::create(
            &cx,
            &new,
            &mut crate::apply::report::EventLines::new(s.ui().err.clone()),
        ))?;
        if created == Created::New {
            let source = args.from.as_ref().map_or("the working tree".to_string(), |d| format!("`{}`", d.display()));
            writeln!(s.err(), "release {id} did not exist: created it from {source}")?;
        }
    }
    let release = s.block_on(crate::release::read(cx.store, &id))?;
    let request = Request {
        env,
        release: &release,
        kind: RunKind::Deploy,
        from: None,
        approvals,
        reason,
        break_freeze: false,
        break_window,
        apply: &args.apply.options(s.ui().interactive),
        lock: args.apply.run.lock_options(),
        host: connected.host.as_ref(),
    };
    apply_release(s, &connected, &request, &args.apply)
}

/// The environment's targets the run applies, connected to.
pub(super) struct Connected {
    aws: Option<crate::cloud::Cloud>,
    cloud_gov: Option<crate::cloudfoundry::CloudFoundry>,
    /// Its compose host on a server, and how it is reached.
    pub(super) host: Option<crate::ops::compose_host::HostReach>,
}

/// Connects to each target of `env` that `args` applies: its AWS account (the pre-flight checks), its
/// cloud.gov API (CF_API, CF_USERNAME + CF_PASSWORD or CF_TOKEN) and its compose host on a server (its
/// Docker engine named; the host itself is reached under the lock). An environment with none of them that
/// `args` applies is refused, naming the targets it has.
pub(super) fn connect(s: &Session, env: &crate::model::Environment, args: &ApplyArgs) -> Result<Connected, CliError> {
    let aws = match env.aws_target().is_some() && args.applies(TargetKind::Aws) {
        true => Some(s.block_on(crate::ops::deploy::connect(s.connector(), env, args.run.assume_role.as_deref()))?),
        false => None,
    };
    let cloud_gov = match env.cloud_gov_target().is_some() && args.applies(TargetKind::CloudGov) {
        true => {
            let mut settings = crate::cloudfoundry::Settings::from_env().map_err(|e| {
                CliError::user(format!("environment `{}` has a cloud.gov target: {e}", env.name)).hint(
                    "set them (in CI: the environment's secrets), or apply only its other targets with `--target aws`",
                )
            })?;
            // Staging and deployments are polled as often as the run polls its stacks.
            settings.poll_interval = args.run.poll_interval();
            Some(crate::cloudfoundry::CloudFoundry::new(settings).map_err(|e| CliError::cloud(e.to_string()))?)
        }
        false => None,
    };
    let host = match args.applies(TargetKind::Compose) {
        true => args.host.reach(env)?,
        false => None,
    };
    if aws.is_none() && cloud_gov.is_none() && host.is_none() {
        return Err(nothing_to_apply(env, &args.targets));
    }
    Ok(Connected { aws, cloud_gov, host })
}

/// The refusal of a run that would apply nothing: what `env` has, and what `--target` (`targets`) named.
fn nothing_to_apply(env: &crate::model::Environment, targets: &[TargetKind]) -> CliError {
    use crate::model::ComposeHost;
    let mut has = Vec::new();
    if let Some(aws) = env.aws_target() {
        has.push(format!("an AWS account ({} in {}: --target aws)", aws.account.as_str(), aws.region.code()));
    }
    if let Some(cg) = env.cloud_gov_target() {
        has.push(format!("a cloud.gov space ({}/{}: --target cloud-gov)", cg.org, cg.space));
    }
    match env.compose_target().map(|c| &c.host) {
        Some(ComposeHost::Server(server)) => has.push(format!("a compose host ({server}: --target compose)")),
        Some(ComposeHost::Local) => {
            has.push("a docker-compose target on a developer's own machine, which deploys leave out".into());
        }
        None => {}
    }
    let has = match has.is_empty() {
        true => "no target".to_string(),
        false => has.join(", "),
    };
    let named = match targets.is_empty() {
        true => String::new(),
        false => {
            let names: Vec<String> = targets
                .iter()
                .map(|t| clap::ValueEnum::to_possible_value(t).map(|v| v.get_name().to_string()).unwrap_or_default())
                .collect();
            format!(" and --target names only {}", names.join(", "))
        }
    };
    CliError::user(format!("nothing to apply: environment `{}` has {has}{named}", env.name)).hint(
        "give the environment a target in its definition (`.aws(..)`, `.cloud_gov(..)`, or `.compose_on(..)` with a \
         server), or name one it has with --target",
    )
}

/// Applies `req` as one run of the ledger, showing progress, and ends it as the user reads it: the
/// summary on stdout, the exit status of how it ended. Ctrl-C stops waiting and says what is in flight.
pub(super) fn apply_release(
    s: &Session,
    connected: &Connected,
    req: &Request<'_>,
    args: &ApplyArgs,
) -> Result<Exit, CliError> {
    let cx = s.context()?;
    let in_flight = RefCell::new(InFlight::default());
    let mut progress = Progress::new(args.run.progress, s.ui());
    let mut prompt = Prompt::new(s.ui());
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let io = Io { reporter: progress.reporter(), approver: &mut prompt, in_flight: &in_flight, interrupt };
    let targets = Targets { aws: connected.aws.as_ref(), cloud_gov: connected.cloud_gov.as_ref() };
    let ran = s.block_on(crate::ops::deploy::run_on(&cx, req, targets, io));
    progress.reporter().finish();
    let ran = ran?;
    match &ran.end {
        End::Interrupted(in_flight) => interrupted(s, in_flight),
        End::Applied(applied) => {
            for app in &ran.apps {
                let droplet = app.droplet.as_deref().map(|d| format!(" (droplet {d})")).unwrap_or_default();
                writeln!(s.out(), "app {}: {}{droplet}", app.name, app.result)?;
            }
            for line in summary(&ran.plan, applied) {
                writeln!(s.out(), "{line}")?;
            }
            for host in &ran.hosts {
                let restored = host.restored.as_deref().map(|r| format!("; rollback: {r}")).unwrap_or_default();
                writeln!(s.out(), "compose project {} on {}: {}{restored}", host.project, host.host, host.result)?;
                for service in &host.services {
                    let health =
                        if service.health.is_empty() { String::new() } else { format!(", {}", service.health) };
                    writeln!(s.out(), "  {}: {} ({}{health})", service.service, service.image, service.state)?;
                }
            }
            Ok(exit_of(&applied.ending))
        }
    }
}

/// The exit status of how an apply ended.
pub fn exit_of(ending: &Ending) -> Exit {
    match ending {
        Ending::Deployed => Exit::Success,
        Ending::Refused { .. } => Exit::Refused,
        Ending::CloudFailed { .. } => Exit::CloudFailed,
        Ending::RolledBack { .. } => Exit::RolledBack,
        Ending::RollbackIncomplete { .. } => Exit::RollbackIncomplete,
    }
}

/// Ctrl-C: what is still changing and how to look at it, and every change set that was executed.
fn interrupted(s: &Session, in_flight: &InFlight) -> Result<Exit, CliError> {
    let mut err = s.err();
    writeln!(err, "interrupted: slipway stopped waiting; CloudFormation carries on with what was started")?;
    for stack in &in_flight.changing {
        writeln!(
            err,
            "  still changing: {stack} (see `aws cloudformation describe-stack-events --stack-name {stack}`)"
        )?;
    }
    for (stack, change_set) in &in_flight.executed {
        writeln!(err, "  executed change set on {stack}: {change_set}")?;
    }
    if in_flight.executed.is_empty() {
        writeln!(err, "  no change set was executed")?;
    }
    Ok(Exit::Interrupted)
}
