//! The root cause of a failed stack operation: CloudFormation records many `*_FAILED` events when one
//! resource fails (the others are cancelled), and the person reading the log needs the first real one.
//! Some failures are the stack's own, with no resource failing: an export another stack imports that the
//! update would change or drop rolls the stack back with the reason on the stack's own event. For those,
//! where what to do is not obvious from CloudFormation's words, the cause says it.

use crate::cloud::StackEvent;

/// The first failure among `events` (oldest first): what went wrong before everything else was cancelled,
/// or, when no resource failed, why CloudFormation rolled the stack back.
pub fn root_cause(events: &[StackEvent]) -> Option<String> {
    let failed = |e: &&StackEvent| e.status.ends_with("_FAILED");
    let cancelled =
        |e: &&StackEvent| e.reason.as_deref().is_some_and(|r| r.contains("cancelled") || r.contains("canceled"));
    let rolling_back = |e: &&StackEvent| {
        e.resource_type == "AWS::CloudFormation::Stack"
            && e.status.ends_with("ROLLBACK_IN_PROGRESS")
            && e.reason.as_deref().is_some_and(|r| !r.is_empty() && !r.starts_with("The following resource(s) failed"))
    };
    let first = events
        .iter()
        .filter(failed)
        .find(|e| !cancelled(e))
        .or_else(|| events.iter().find(failed))
        .or_else(|| events.iter().find(rolling_back))?;
    let mut reason = first.reason.as_deref().unwrap_or("no reason given").to_string();
    if let Some(advice) = export_in_use(&reason, &first.logical_id) {
        reason = format!("{}. {advice}", reason.trim_end_matches('.'));
    }
    Some(format!("{} ({}) {}: {reason}", first.logical_id, first.resource_type, first.status))
}

/// What to do about an export another stack imports, which CloudFormation neither changes nor deletes:
/// `Cannot update export X as it is in use by Y.`, `Cannot delete export X as it is in use by Y.`, or
/// `Export X cannot be deleted as it is in use by Y` (a stack deletion), on a stack-level event of the
/// exporting stack `stack`.
fn export_in_use(reason: &str, stack: &str) -> Option<String> {
    const IN_USE: &str = " as it is in use by ";
    let (changed, (export, users)) = if let Some(rest) = reason.strip_prefix("Cannot update export ") {
        (true, rest.split_once(IN_USE)?)
    } else if let Some(rest) = reason.strip_prefix("Cannot delete export ") {
        (false, rest.split_once(IN_USE)?)
    } else {
        (false, reason.strip_prefix("Export ")?.split_once(" cannot be deleted as it is in use by ")?)
    };
    let users = users.trim().trim_end_matches('.');
    Some(if changed {
        format!(
            "Stack {users} imports export {export} of stack {stack}, and CloudFormation changes no export another \
             stack imports: export the new value under a new name beside {export}, move {users} to the new name, \
             and remove {export} in a later deploy (or deploy {users} without the import first, then {stack})"
        )
    } else {
        format!(
            "Stack {users} imports export {export} of stack {stack}, and CloudFormation removes no export another \
             stack imports: deploy {users} without the import first, then {stack}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(logical_id: &str, kind: &str, status: &str, reason: &str) -> StackEvent {
        StackEvent {
            id: format!("{logical_id}-{status}"),
            timestamp: String::new(),
            logical_id: logical_id.into(),
            resource_type: kind.into(),
            status: status.into(),
            reason: Some(reason.into()),
        }
    }

    #[test]
    fn the_first_resource_failure_that_was_not_cancelled() {
        let events = [
            event("app", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
            event("Topic", "AWS::SNS::Topic", "UPDATE_FAILED", "Resource update cancelled"),
            event("Fn", "AWS::Lambda::Function", "UPDATE_FAILED", "MemorySize too large"),
            event(
                "app",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_IN_PROGRESS",
                "The following resource(s) failed to update: [Fn]. ",
            ),
        ];
        assert_eq!(root_cause(&events).unwrap(), "Fn (AWS::Lambda::Function) UPDATE_FAILED: MemorySize too large");
        assert_eq!(root_cause(&events[..1]), None);
    }

    #[test]
    fn an_export_in_use_names_both_stacks_and_what_to_do() {
        let events = [
            event("data", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
            event(
                "data",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_IN_PROGRESS",
                "Cannot update export data-Name as it is in use by app.",
            ),
        ];
        assert_eq!(
            root_cause(&events).unwrap(),
            "data (AWS::CloudFormation::Stack) UPDATE_ROLLBACK_IN_PROGRESS: Cannot update export data-Name as it \
             is in use by app. Stack app imports export data-Name of stack data, and CloudFormation changes no \
             export another stack imports: export the new value under a new name beside data-Name, move app to \
             the new name, and remove data-Name in a later deploy (or deploy app without the import first, then \
             data)"
        );
        let deleting = [event(
            "data",
            "AWS::CloudFormation::Stack",
            "DELETE_FAILED",
            "Export data-Name cannot be deleted as it is in use by app",
        )];
        assert!(
            root_cause(&deleting).unwrap().ends_with(
                ": Export data-Name cannot be deleted as it is in use by app. Stack app imports export data-Name of \
                 stack data, and CloudFormation removes no export another stack imports: deploy app without the \
                 import first, then data"
            ),
            "{:?}",
            root_cause(&deleting)
        );
    }
}
