//! The end of a deploy as the user reads it: one line per stack, what the rollback did, the verdict, and
//! the exit status that goes with it.

use super::plan::Plan;
use super::{Applied, Ending, StackResult};

/// What happened to one stack, as the summary and the ledger write it.
pub fn result_text(r: &StackResult) -> String {
    match r {
        StackResult::NotStarted => "not started".into(),
        StackResult::Unchanged => "unchanged".into(),
        StackResult::Created => "created".into(),
        StackResult::Updated => "updated".into(),
        StackResult::Refused(why) => format!("refused by CloudFormation: {why}"),
        StackResult::Declined(why) => format!("not executed: {why}"),
        StackResult::Failed { root_cause, state } => format!("FAILED: {root_cause}; {state}"),
        StackResult::Stuck { root_cause, status } => format!("FAILED and stuck at {status}: {root_cause}"),
    }
}

/// The summary lines.
pub fn summary(plan: &Plan, outcome: &Applied) -> Vec<String> {
    let mut lines: Vec<String> =
        outcome.stacks.iter().map(|(stack, result)| format!("{stack}: {}", result_text(result))).collect();
    lines.extend(outcome.restored.iter().map(|(stack, what)| format!("{stack}: rollback: {what}")));
    lines.push(match &outcome.ending {
        Ending::Deployed => format!("deployed: {} is on release {}", plan.env.name, plan.release),
        Ending::RolledBack { cause } => {
            format!("rolled back: {} is back where it was before this deploy, because {cause}", plan.env.name)
        }
        Ending::RollbackIncomplete { cause, stuck } => format!(
            "ROLLBACK INCOMPLETE: {} failed ({cause}) and these need a person: {}",
            plan.env.name,
            stuck.join("; ")
        ),
        Ending::Refused { reason } => format!("not deployed, nothing was changed: {reason}"),
        Ending::CloudFailed { reason } => format!("not deployed, nothing was changed: {reason}"),
    });
    lines
}
