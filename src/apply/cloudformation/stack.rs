//! One stack's way through a deploy: clear an empty leftover, create the change set, show its diff, pass
//! the gate, execute, wait, and turn the status CloudFormation ends in into a result, finishing what its
//! own rollback leaves to do (deleting a failed create, continuing a failed update rollback).

use crate::cfn::validate::limits;
use crate::cloud::{
    ChangeSetOutcome, ChangeSetRequest, CloudError, ParameterValue, StackEvent, StackState, TemplateSource,
};
use crate::diff::Verdicts;

use super::{Deploy, Report, StackPlan, StackResult};

impl Deploy<'_> {
    /// Uploads `template` when it is too large to pass inline; the URL to pass instead.
    pub(super) async fn upload_if_large(
        &self,
        sp: &StackPlan,
        template: &str,
        what: &str,
    ) -> Result<Option<String>, CloudError> {
        if template.len() <= limits::INLINE_BODY {
            return Ok(None);
        }
        let bucket = self.bucket.as_deref().expect("record() refused large templates without a bucket");
        let key = format!("slipway/{}/{}/{}-{what}.template.json", self.plan.env.name, self.change_set_name, sp.short);
        self.phase(&sp.name, &format!("uploading the {}-byte template to s3://{bucket}/{key}", template.len()));
        self.cloud.upload_template(bucket, &key, template).await.map(Some)
    }

    pub(super) async fn deploy_stack(&self, sp: &StackPlan) -> StackResult {
        let name = sp.name.as_str();
        let previous = &self.previous[&sp.short];
        let unchanged = || "unchanged".to_string();
        if let Some(status) = &previous.leftover {
            self.phase(name, &format!("deleting the empty {status} stack an earlier create left behind"));
            if let Err(e) = self.delete_and_wait(name).await {
                return StackResult::Failed { root_cause: e.to_string(), state: unchanged() };
            }
        }
        let url = match &sp.template_url {
            Some(url) => Some(url.clone()),
            None => match self.upload_if_large(sp, &sp.template, "new").await {
                Ok(url) => url,
                Err(e) => return StackResult::Failed { root_cause: e.to_string(), state: unchanged() },
            },
        };
        let create = previous.state.is_none();
        self.phase(name, "creating change set");
        let request = ChangeSetRequest {
            stack: name,
            name: &self.change_set_name,
            create,
            template: match &url {
                Some(u) => TemplateSource::Url(u),
                None => TemplateSource::Body(&sp.template),
            },
            parameters: sp.parameters.iter().map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone()))).collect(),
            tags: Some(&self.plan.tags),
            rollback: self.triggers.as_ref(),
            role_arn: self.plan.role_arn.as_deref(),
        };
        let change_set = match self.cloud.create_change_set(&request, &self.opts.poll).await {
            Ok(ChangeSetOutcome::Ready(cs)) => cs,
            Ok(ChangeSetOutcome::NoChanges) => {
                self.phase(name, "unchanged");
                return StackResult::Unchanged;
            }
            Ok(ChangeSetOutcome::Failed(reason)) => {
                self.phase(name, "failed: CloudFormation refused the change set");
                if create {
                    // A refused create leaves an empty REVIEW_IN_PROGRESS stack behind.
                    let _ = self.delete_and_wait(name).await;
                }
                return StackResult::Refused(reason);
            }
            Err(e) => {
                if create {
                    let _ = self.delete_and_wait(name).await;
                }
                return StackResult::Failed { root_cause: e.to_string(), state: unchanged() };
            }
        };
        let mut diff = self.stack_diff(sp);
        diff.template.apply_verdicts(&Verdicts::of(&change_set.changes));
        self.reporter.borrow_mut().report(Report::Changes { stack: name, diff: &diff });
        if let Some(why) = self.gate(sp, &diff) {
            let _ = self.cloud.delete_change_set(name, &change_set.id).await;
            if create {
                let _ = self.delete_and_wait(name).await;
            }
            self.phase(name, "failed: not approved");
            return StackResult::Declined(why);
        }
        let since = match self.cloud.latest_event_id(name).await {
            Ok(id) => id,
            Err(e) => return StackResult::Failed { root_cause: e.to_string(), state: unchanged() },
        };
        self.phase(name, "executing change set");
        self.in_flight.borrow_mut().changing.insert(name.to_string());
        if let Err(e) = self.cloud.execute_change_set(name, &change_set.id).await {
            self.in_flight.borrow_mut().changing.remove(name);
            return StackResult::Failed { root_cause: e.to_string(), state: unchanged() };
        }
        self.in_flight.borrow_mut().executed.push((name.to_string(), change_set.id.clone()));
        let (state, events) = match self.wait(name, since).await {
            Ok(x) => x,
            Err(e) => {
                return StackResult::Stuck { root_cause: e.to_string(), status: "unknown (could not be read)".into() };
            }
        };
        let status = state.as_ref().map(|s| s.status.clone()).unwrap_or_else(|| "DELETE_COMPLETE".into());
        let result = self.settle(sp, &status, &events).await;
        self.in_flight.borrow_mut().changing.remove(name);
        result
    }

    /// Turns the status an executed change set ended in into a result, finishing what CloudFormation's own
    /// rollback leaves to do: deleting a failed create, continuing a failed update rollback.
    async fn settle(&self, sp: &StackPlan, status: &str, events: &[StackEvent]) -> StackResult {
        let name = sp.name.as_str();
        let root_cause = super::root_cause(events).unwrap_or_else(|| format!("the stack ended {status}"));
        match status {
            "CREATE_COMPLETE" => {
                self.phase(name, "CREATE_COMPLETE");
                StackResult::Created
            }
            "UPDATE_COMPLETE" => {
                self.phase(name, "UPDATE_COMPLETE");
                StackResult::Updated
            }
            "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
                self.phase(
                    name,
                    &format!("failed: {status}; deleting the failed stack so the next deploy can create it"),
                );
                match self.delete_and_wait(name).await {
                    Ok(()) => {
                        StackResult::Failed { root_cause, state: "create failed; the empty stack was deleted".into() }
                    }
                    Err(e) => {
                        StackResult::Stuck { root_cause, status: format!("{status}, and deleting it failed: {e}") }
                    }
                }
            }
            "UPDATE_ROLLBACK_COMPLETE" => {
                self.phase(name, "failed: UPDATE_ROLLBACK_COMPLETE");
                StackResult::Failed { root_cause, state: "CloudFormation rolled the update back".into() }
            }
            "UPDATE_ROLLBACK_FAILED" => self.continue_rollback(name, root_cause, events).await,
            other => StackResult::Stuck { root_cause, status: other.to_string() },
        }
    }

    /// Continues an update rollback that failed (skipping `--skip-resources`) and waits for it.
    async fn continue_rollback(&self, name: &str, root_cause: String, events: &[StackEvent]) -> StackResult {
        let skip = &self.opts.skip_resources;
        let skipping = if skip.is_empty() { String::new() } else { format!(", skipping {}", skip.join(", ")) };
        self.phase(name, &format!("UPDATE_ROLLBACK_FAILED: continuing the rollback{skipping}"));
        let last = events.last().map(|e| e.id.clone());
        if let Err(e) = self.cloud.continue_update_rollback(name, skip).await {
            return StackResult::Stuck { root_cause, status: format!("UPDATE_ROLLBACK_FAILED ({e})") };
        }
        match self.wait(name, last).await {
            Ok((Some(s), _)) if s.status == "UPDATE_ROLLBACK_COMPLETE" => {
                self.phase(name, "failed: UPDATE_ROLLBACK_COMPLETE after continuing the rollback");
                StackResult::Failed {
                    root_cause,
                    state: format!("the rollback failed; slipway continued it to UPDATE_ROLLBACK_COMPLETE{skipping}"),
                }
            }
            Ok((s, _)) => {
                StackResult::Stuck { root_cause, status: s.map(|s| s.status).unwrap_or_else(|| "gone".into()) }
            }
            Err(e) => StackResult::Stuck { root_cause, status: format!("unknown ({e})") },
        }
    }

    /// Polls `stack` until no operation is in progress, reporting each new event. Returns the final state
    /// (`None` once the stack is gone) and the events seen, oldest first.
    pub(super) async fn wait(
        &self,
        stack: &str,
        mut since: Option<String>,
    ) -> Result<(Option<StackState>, Vec<StackEvent>), CloudError> {
        let mut seen = Vec::new();
        let mut delay = self.opts.poll.start();
        loop {
            let mut state = self.cloud.describe_stack(stack).await?;
            // Events by the stack's ID: CloudFormation keeps a deleted stack's events under its ID, while by
            // name a stack whose deletion finished since the status was read no longer exists.
            let id = state.as_ref().map(|s| s.id.as_str()).filter(|id| !id.is_empty()).unwrap_or(stack);
            let mut events = match self.cloud.events_since(id, since.as_deref()).await {
                Ok(events) => events,
                // A deleted stack has no events to read any more.
                Err(_) if state.is_none() => Vec::new(),
                // Gone between the two reads (a deletion that finished, on an endpoint that keeps no events of
                // deleted stacks): how it stands now is the answer.
                Err(e) if e.stack_missing() => {
                    state = self.cloud.describe_stack(stack).await?;
                    if state.as_ref().is_some_and(StackState::in_progress) {
                        return Err(e);
                    }
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            events.reverse();
            for event in &events {
                self.reporter.borrow_mut().report(Report::Event { stack, event });
            }
            if let Some(last) = events.last() {
                since = Some(last.id.clone());
            }
            seen.extend(events);
            match &state {
                Some(s) if s.in_progress() => self.phase(stack, &s.status),
                _ => return Ok((state, seen)),
            }
            delay = self.opts.poll.wait(delay).await;
        }
    }

    /// Deletes `stack` and waits until it is gone.
    pub(super) async fn delete_and_wait(&self, stack: &str) -> Result<(), Unrestored> {
        let since = self.cloud.latest_event_id(stack).await.ok().flatten();
        self.cloud.delete_stack(stack).await?;
        match self.wait(stack, since).await? {
            (None, _) => Ok(()),
            (Some(s), _) if s.status == "DELETE_COMPLETE" => Ok(()),
            (Some(s), events) => Err(Unrestored::Ended { status: s.status, cause: super::root_cause(&events) }),
        }
    }
}

/// Why a stack could not be put back (deleted, or returned to its previous template).
#[derive(Debug, thiserror::Error)]
pub enum Unrestored {
    /// A CloudFormation call failed.
    #[error(transparent)]
    Cloud(#[from] crate::cloud::CloudError),
    /// CloudFormation refused the change set that would have put it back.
    #[error("CloudFormation refused the restore: {0}")]
    Refused(String),
    /// It ended in another state than the one asked for.
    #[error("it ended {status}{}", .cause.as_deref().map(|c| format!(": {c}")).unwrap_or_default())]
    Ended {
        /// Its status.
        status: String,
        /// The first failure CloudFormation reported.
        cause: Option<String>,
    },
}
