//! The end of a deploy as the user reads it: one line per stack, what the rollback did, the verdict, and
//! the exit status that goes with it.

use super::engine::{Outcome, StackResult, Verdict};
use super::plan::Plan;

fn result_text(r: &StackResult) -> String {
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

/// The summary lines and the exit status: 0 deployed, 1 not started (nothing changed), 4 failed and
/// rolled back, 5 failed and not fully rolled back.
pub fn summary(plan: &Plan, outcome: &Outcome) -> (Vec<String>, u8) {
    let mut lines: Vec<String> =
        outcome.stacks.iter().map(|(stack, result)| format!("{stack}: {}", result_text(result))).collect();
    lines.extend(outcome.restored.iter().map(|(stack, what)| format!("{stack}: rollback: {what}")));
    let (line, code) = match &outcome.verdict {
        Verdict::Deployed => (format!("deployed: {} is on release {}", plan.env.name, plan.release), 0),
        Verdict::RolledBack { cause } => {
            (format!("rolled back: {} is back on the release it had, because {cause}", plan.env.name), 4)
        }
        Verdict::RollbackIncomplete { cause, stuck } => (
            format!(
                "ROLLBACK INCOMPLETE: {} failed ({cause}) and these need a person: {}",
                plan.env.name,
                stuck.join("; ")
            ),
            5,
        ),
        Verdict::Blocked { reason } => (format!("not deployed, nothing was changed: {reason}"), 1),
    };
    lines.push(line);
    (lines, code)
}
