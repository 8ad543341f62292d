//! Removing an environment's stacks (a feature demo brought down): dependents first, each deletion
//! waited on until the stack is gone, every event reported, and what could not be deleted said with
//! CloudFormation's reason.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::{Deploy, InFlight, Options, Plan, Reporter, gate::Approver};
use crate::cloud::Cloud;
use crate::diff::StackDiff;

/// What happened to one stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removed {
    /// It was deleted.
    Deleted,
    /// It was not there.
    Absent,
    /// It could not be deleted: why.
    Stuck(String),
}

/// An approver for runs that ask nobody anything (a removal; a demo, run with [`ApprovalMode::Never`]):
/// never asked, and it would refuse.
pub struct NoQuestions;

impl Approver for NoQuestions {
    fn approve(&mut self, _: &str, _: &StackDiff) -> bool {
        false
    }
}

/// Deletes `extra` (stacks found by their tags that the plan does not name, whose dependencies are
/// unknown: first), then the plan's stacks in reverse dependency order, one at a time, each waited on
/// until gone. Returns each stack's fate, in the order tried.
pub async fn remove(
    cloud: &Cloud,
    plan: &Plan,
    extra: &[String],
    opts: &Options,
    reporter: &mut dyn Reporter,
) -> Vec<(String, Removed)> {
    let in_flight = RefCell::new(InFlight::default());
    let mut approver = NoQuestions;
    let d = Deploy {
        cloud,
        plan,
        opts,
        reporter: RefCell::new(reporter),
        approver: RefCell::new(&mut approver),
        in_flight: &in_flight,
        previous: BTreeMap::new(),
        bucket: None,
        change_set_name: String::new(),
        triggers: None,
    };
    let names = extra.iter().cloned().chain(plan.stacks.iter().rev().map(|s| s.name.clone()));
    let mut out = Vec::new();
    for name in names {
        let fate = match cloud.describe_stack(&name).await {
            Ok(None) => Removed::Absent,
            Ok(Some(s)) if s.status == "DELETE_COMPLETE" => Removed::Absent,
            Ok(Some(_)) => {
                d.phase(&name, "deleting");
                match d.delete_and_wait(&name).await {
                    Ok(()) => {
                        d.phase(&name, "deleted");
                        Removed::Deleted
                    }
                    Err(why) => Removed::Stuck(why.to_string()),
                }
            }
            Err(e) => Removed::Stuck(e.to_string()),
        };
        out.push((name, fate));
    }
    out
}
