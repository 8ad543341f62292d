//! The root cause of a failed stack operation: CloudFormation records many `*_FAILED` events when one
//! resource fails (the others are cancelled), and the person reading the log needs the first real one.

use crate::cloud::StackEvent;

/// The first failure among `events` (oldest first): what went wrong before everything else was cancelled.
pub fn root_cause(events: &[StackEvent]) -> Option<String> {
    let failed = |e: &&StackEvent| e.status.ends_with("_FAILED");
    let cancelled =
        |e: &&StackEvent| e.reason.as_deref().is_some_and(|r| r.contains("cancelled") || r.contains("canceled"));
    let first = events.iter().filter(failed).find(|e| !cancelled(e)).or_else(|| events.iter().find(failed))?;
    Some(format!(
        "{} ({}) {}: {}",
        first.logical_id,
        first.resource_type,
        first.status,
        first.reason.as_deref().unwrap_or("no reason given")
    ))
}
