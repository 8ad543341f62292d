//! `slipway rollback`: an earlier release's bundle back onto an environment, exactly, under the same
//! approvals as a promotion into it, with the reason recorded. Only a release the environment ran before
//! and that finished healthy there can come back this way. The environment is then held: automatic
//! deploys are refused until `slipway unhold` lifts the hold or a promotion names a release.

use std::io::Write;

use super::deploy::apply_release;
use super::promote::print_decision;
use super::run_args::{ApplyArgs, ApprovalArgs};
use super::{CliError, Exit, Session};
use crate::ledger::RunKind;
use crate::ops::deploy::Request;

/// Rolls an environment back to an earlier release (by default the one before the current that finished
/// healthy there), redeploying that release's bundle exactly, under the approvals a promotion into the
/// environment needs, and records the reason. A release the environment never ran healthy is refused:
/// promote it instead. The environment is then held: automatic deploys are refused until `slipway unhold`.
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
    pub(super) apply: ApplyArgs,
}

pub fn run(s: &Session, args: &RollbackArgs) -> Result<Exit, CliError> {
    let env = s.environment(&args.env)?;
    if args.reason.trim().is_empty() {
        return Err(CliError::user("--reason is empty; say why the environment is rolled back (it is recorded)"));
    }
    let cx = s.context()?;
    let to = s.block_on(crate::ops::rollback::target(&cx, &env.name, args.to.as_deref()))?;
    let release = s.block_on(crate::release::read(cx.store, &to))?;
    let approvals = args.approvals.collect(s, &env.name)?;
    let decision = s.block_on(crate::ops::deploy::decide(
        &cx,
        env,
        &release.info,
        RunKind::Rollback,
        None,
        &approvals,
        args.break_freeze,
        false,
    ))?;
    if args.dry_run {
        return print_decision(s, &decision, &format!("roll {} back to release {to}", env.name));
    }
    crate::ops::deploy::allowed(decision)?;
    let connected = super::deploy::connect(s, env, &args.apply)?;
    let req = Request {
        env,
        release: &release,
        kind: RunKind::Rollback,
        from: None,
        approvals,
        reason: Some(args.reason.clone()),
        break_freeze: args.break_freeze,
        break_window: false,
        apply: &args.apply.options(s.ui().interactive),
        lock: args.apply.run.lock_options(),
        host: connected.host.as_ref(),
    };
    let exit = apply_release(s, &connected, &req, &args.apply)?;
    if exit == Exit::Success {
        writeln!(
            s.err(),
            "note: {name} is held on release {to}: automatic deploys are refused until `slipway unhold --env \
             {name}`, or a promotion names a release",
            name = env.name
        )?;
    }
    Ok(exit)
}
