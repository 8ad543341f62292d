//! `slipway promote`: a release moves along the promotion graph, from the environment that runs it to
//! the next, under the target's gates (the policy), applied byte for byte and recorded with its approvals.

use super::context;
use super::deploy::{ApplyArgs, ApprovalArgs, apply_release};
use super::{CliError, Exit, Ui};
use crate::clock::{Clock, SystemClock};
use crate::cloud::{Connector, Settings};
use crate::ledger::{self, EnvState, Kind};
use crate::model::Project;
use crate::ops::Context;
use crate::ops::deploy::Request;

/// Promotes a release into an environment from one it is promoted from: the policy decides (the path, the
/// source runs the release and its last change and smoke checks passed, the ref, the approvals, the wait
/// timer, a freeze), then the release's artifacts for the target are deployed under its lock and the
/// promotion is recorded with its approvals. With --dry-run, prints the verdict and every refusal and
/// stops (exit 0 allowed, 1 refused).
#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The release to promote.
    #[arg(long, value_name = "ID")]
    release: String,
    /// The environment it goes to.
    #[arg(long = "to", value_name = "ENV")]
    to: String,
    /// The environment it comes from; by default the one the target is promoted from that runs it.
    #[arg(long = "from", value_name = "ENV")]
    from: Option<String>,
    /// Only print what the policy says, and stop.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    approvals: ApprovalArgs,
    #[command(flatten)]
    apply: ApplyArgs,
}

pub fn run(project: Project, args: &PromoteArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let to = super::resolve_envs(&project, std::slice::from_ref(&args.to))?.remove(0);
    if let Some(from) = &args.from {
        super::resolve_envs(&project, std::slice::from_ref(from))?;
    }
    let target = project.find(&to).expect("resolved").clone();
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let connector = Connector::load(Settings::from_env()).await;
        let store = args.apply.run.store.open(Some(&connector)).await?;
        let release = crate::release::read(&store, &args.release).await?;
        let from = match &args.from {
            Some(from) => from.clone(),
            None => infer_source(&project, &store, &target.promoted_from, &args.release, &to).await?,
        };
        let actor = context::actor();
        let clock = SystemClock;
        let cx = Context { project: &project, store: &store, actor: &actor, clock: &clock };
        let req = Request {
            env: &target,
            release: &release,
            kind: Kind::Promote,
            from: Some(from.clone()),
            approvals: args.approvals.collect(&to).await?,
            reason: None,
            broke_freeze: false,
            apply: &args.apply.options(),
            lock: args.apply.lock_options(),
        };
        let verdict = crate::ops::deploy::verdict(&cx, &req).await?;
        if args.dry_run {
            return print_verdict(&verdict, &format!("promote release {} from {from} to {to}", args.release), ui);
        }
        if !verdict.allowed() {
            return Err(crate::ops::OpsError::Refused(verdict.refusals).into());
        }
        let cloud = crate::ops::deploy::connect(&connector, &target, args.apply.run.assume_role.as_deref()).await?;
        apply_release(&project, &store, &cloud, &req, &args.apply, ui).await
    })
}

/// Prints a dry run's verdict: allowed (exit 0) or every refusal (exit 1).
pub(super) fn print_verdict(verdict: &crate::policy::Verdict, what: &str, ui: &mut Ui) -> Result<Exit, CliError> {
    let counted = if verdict.counted.is_empty() {
        "no approvals counted".to_string()
    } else {
        format!("approvals counted: {}", verdict.counted.iter().map(|a| a.by.as_str()).collect::<Vec<_>>().join(", "))
    };
    if verdict.allowed() {
        writeln!(ui.out, "allowed: {what} ({counted})")?;
        return Ok(Exit::Success);
    }
    writeln!(ui.out, "refused: {what} ({counted}):")?;
    for r in &verdict.refusals {
        writeln!(ui.out, "  {r}")?;
    }
    Ok(Exit::Refused)
}

/// The environment among `candidates` (what the target is promoted from) that runs `release`.
async fn infer_source(
    project: &Project,
    store: &crate::store::Store,
    candidates: &[String],
    release: &str,
    to: &str,
) -> Result<String, CliError> {
    if candidates.is_empty() {
        return Err(CliError::user(format!("nothing is promoted into `{to}`; deploy it with `slipway deploy`")));
    }
    let now = SystemClock.now();
    let mut running = Vec::new();
    let mut seen = Vec::new();
    for name in candidates {
        if project.find(name).is_none() {
            continue;
        }
        let state = EnvState::of(&ledger::records(store, name).await?, now);
        let current = state.current.map(|d| d.release);
        if current.as_deref() == Some(release) {
            running.push(name.clone());
        }
        seen.push(format!("{name} runs {}", current.as_deref().unwrap_or("nothing")));
    }
    match running.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::user(format!(
            "release {release} runs in none of the environments `{to}` is promoted from ({})",
            seen.join(", ")
        ))
        .hint("promote it into one of them first, or name the source with --from")),
        several => Err(CliError::user(format!(
            "release {release} runs in {} , all promoted into `{to}`; say which with --from",
            several.join(" and ")
        ))),
    }
}
