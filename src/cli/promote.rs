//! `slipway promote`: a release moves along the promotion graph, from the environment that runs it to
//! the next, under the target's gates (the policy), applied byte for byte and recorded with its approvals.

use std::io::Write;

use super::deploy::apply_release;
use super::run_args::{ApplyArgs, ApprovalArgs, WindowArgs};
use super::{CliError, Exit, Session};
use crate::ledger::RunKind;
use crate::ops::deploy::Request;
use crate::policy::Decision;

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
    window: WindowArgs,
    #[command(flatten)]
    pub(super) apply: ApplyArgs,
}

pub fn run(s: &Session, args: &PromoteArgs) -> Result<Exit, CliError> {
    let target = s.environment(&args.to)?;
    if let Some(from) = &args.from {
        s.environment(from)?;
    }
    let cx = s.context()?;
    let release = s.block_on(crate::release::read(cx.store, &args.release))?;
    let from = match &args.from {
        Some(from) => from.clone(),
        None => s.block_on(crate::ops::promote::source(&cx, &target.name, &args.release))?,
    };
    let approvals = args.approvals.collect(s, &target.name)?;
    let (break_window, reason) = args.window.resolve()?;
    let decision = s.block_on(crate::ops::deploy::decide(
        &cx,
        target,
        &release.info,
        RunKind::Promote,
        Some(&from),
        &approvals,
        false,
        break_window,
    ))?;
    if args.dry_run {
        return print_decision(
            s,
            &decision,
            &format!("promote release {} from {from} to {}", args.release, target.name),
        );
    }
    crate::ops::deploy::allowed(decision)?;
    let connected = super::deploy::connect(s, target, &args.apply)?;
    let req = Request {
        env: target,
        release: &release,
        kind: RunKind::Promote,
        from: Some(from),
        approvals,
        reason,
        break_freeze: false,
        break_window,
        apply: &args.apply.options(s.ui().interactive),
        lock: args.apply.run.lock_options(),
        host: connected.host.as_ref(),
    };
    apply_release(s, &connected, &req, &args.apply)
}

/// Prints a dry run's decision: allowed (exit 0) or every refusal (exit 1).
pub(super) fn print_decision(s: &Session, decision: &Decision, what: &str) -> Result<Exit, CliError> {
    let mut out = s.out();
    let counted = if decision.counted.is_empty() {
        "no approvals counted".to_string()
    } else {
        format!("approvals counted: {}", decision.counted.iter().map(|a| a.by.as_str()).collect::<Vec<_>>().join(", "))
    };
    if decision.allowed() {
        writeln!(out, "allowed: {what} ({counted})")?;
        return Ok(Exit::Success);
    }
    writeln!(out, "refused: {what} ({counted}):")?;
    for r in &decision.refusals {
        writeln!(out, "  {r}")?;
    }
    Ok(Exit::Refused)
}
