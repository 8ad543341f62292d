//! `slipway rollback`: an earlier release's bundle back onto an environment, exactly, under the same
//! approvals as a promotion into it, with the reason recorded. The environment is then held: automatic
//! deploys are refused until `slipway unhold` lifts the hold or a promotion names a release.

use super::context;
use super::deploy::{ApplyArgs, ApprovalArgs, apply_release};
use super::promote::print_verdict;
use super::{CliError, Exit, Ui};
use crate::clock::{Clock, SystemClock};
use crate::cloud::{Connector, Settings};
use crate::ledger::{self, EnvState, Kind};
use crate::model::Project;
use crate::ops::Context;
use crate::ops::deploy::Request;

/// Rolls an environment back to an earlier release (by default the one before the current), redeploying
/// that release's bundle exactly, under the approvals a promotion into the environment needs, and records
/// the reason. The environment is then held: automatic deploys are refused until `slipway unhold`.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The environment.
    #[arg(long = "env", value_name = "ENV")]
    env: String,
    /// The release to go back to; by default the one that ran before the current one.
    #[arg(long = "to", value_name = "ID")]
    to: Option<String>,
    /// Why (recorded in the ledger).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Roll back even though the environment is frozen (recorded).
    #[arg(long)]
    break_freeze: bool,
    /// Only print what the policy says, and stop.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    approvals: ApprovalArgs,
    #[command(flatten)]
    apply: ApplyArgs,
}

pub fn run(project: Project, args: &RollbackArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let name = super::resolve_envs(&project, std::slice::from_ref(&args.env))?.remove(0);
    let env = project.find(&name).expect("resolved").clone();
    if args.reason.trim().is_empty() {
        return Err(CliError::user("--reason is empty; say why the environment is rolled back (it is recorded)"));
    }
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let connector = Connector::load(Settings::from_env()).await;
        let store = args.apply.run.store.open(Some(&connector)).await?;
        let clock = SystemClock;
        let actor = context::actor();
        let cx = Context { project: &project, store: &store, actor: &actor, clock: &clock };
        let to = crate::ops::rollback::target(&cx, &name, args.to.as_deref()).await?;
        let state = EnvState::of(&ledger::records(&store, &name).await?, clock.now());
        let release = crate::release::read(&store, &to).await?;
        let req = Request {
            env: &env,
            release: &release,
            kind: Kind::Rollback,
            from: None,
            approvals: args.approvals.collect(&name).await?,
            reason: Some(args.reason.clone()),
            broke_freeze: args.break_freeze && state.frozen.is_some(),
            apply: &args.apply.options(),
            lock: args.apply.lock_options(),
        };
        let verdict = crate::ops::deploy::verdict(&cx, &req).await?;
        if args.dry_run {
            return print_verdict(&verdict, &format!("roll {name} back to release {to}"), ui);
        }
        if !verdict.allowed() {
            return Err(crate::ops::OpsError::Refused(verdict.refusals).into());
        }
        let cloud = crate::ops::deploy::connect(&connector, &env, args.apply.run.assume_role.as_deref()).await?;
        let exit = apply_release(&project, &store, &cloud, &req, &args.apply, ui).await?;
        if exit == Exit::Success {
            writeln!(
                ui.err,
                "note: {name} is held on release {to}: automatic deploys are refused until `slipway unhold --env \
                 {name}`, or a promotion names a release"
            )?;
        }
        Ok(exit)
    })
}
