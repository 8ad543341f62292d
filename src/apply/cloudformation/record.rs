//! Record and restore: before a deploy changes anything it records every stack's state, template and
//! parameters; when the deploy fails, every stack it changed is put back to exactly that. Recording is
//! also where leftovers of earlier runs are found and cleared (an empty stack a failed create left, a
//! change set nobody executed), so that no leftover blocks the environment for good.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};

use crate::cfn::validate::limits;
use crate::cloud::{ChangeSetOutcome, ChangeSetRequest, ParameterValue, StackState, TemplateSource};

use super::stack::Unrestored;
use super::{Deploy, Ending, StackPlan, StackResult};

/// The prefix of the change sets a deploy creates; a later deploy deletes those it finds unexecuted.
pub(super) const CHANGE_SET_PREFIX: &str = "slipway-deploy-";

/// Statuses of a stack that holds nothing and must be deleted before it can be created again: a create
/// that failed, or a create change set that was never executed (`REVIEW_IN_PROGRESS`).
const EMPTY_LEFTOVER: [&str; 4] = ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS", "CREATE_FAILED"];

/// A stack as it was before the deploy.
#[derive(Clone, Debug)]
pub(super) struct Previous {
    /// Its state, when it existed (and was not an empty leftover).
    pub state: Option<StackState>,
    /// Its template, when it existed.
    pub template: String,
    /// A leftover of a failed create to delete before creating, with its status.
    pub leftover: Option<String>,
}

impl Previous {
    fn absent() -> Self {
        Previous { state: None, template: String::new(), leftover: None }
    }
}

impl Deploy<'_> {
    /// Records every stack's state and template; refuses to start when a stack is busy or broken.
    ///
    /// Every stack is read at once (the cloud layer bounds the calls in flight); the results are taken in
    /// plan order, so the first stack in that order that refuses or fails is the one reported.
    pub(super) async fn record(&mut self) -> Result<(), Ending> {
        let plan = self.plan;
        let this = &*self;
        let read: Vec<Result<Previous, Ending>> = stream::iter(&plan.stacks)
            .map(|sp| this.read_previous(sp))
            .buffered(crate::cloud::limit::IN_FLIGHT)
            .collect()
            .await;
        for (sp, previous) in plan.stacks.iter().zip(read) {
            let previous = previous?;
            if self.bucket.is_none() {
                self.bucket = previous.state.as_ref().and_then(|s| s.outputs.get("ArtifactsBucketName").cloned());
            }
            self.previous.insert(sp.short.clone(), previous);
        }
        let needs_bucket =
            |s: &&StackPlan| (s.needs_upload() && s.template_url.is_none()) || self.previous_needs_upload(s);
        if let Some(big) = self.plan.stacks.iter().find(needs_bucket)
            && self.bucket.is_none()
        {
            return Err(Ending::Refused {
                reason: format!(
                    "the template of stack {} is over 51,200 bytes and must go through S3, but no artifacts \
                         bucket is known; pass --artifacts-bucket NAME (or deploy the deploy-role stack first)",
                    big.name
                ),
            });
        }
        Ok(())
    }

    /// How stack `sp` is before the deploy; deletes what earlier failed runs left on it.
    async fn read_previous(&self, sp: &StackPlan) -> Result<Previous, Ending> {
        let cloud_failed = |e: crate::cloud::CloudError| Ending::CloudFailed { reason: e.to_string() };
        let mut state = self.cloud.describe_stack(&sp.name).await.map_err(cloud_failed)?;
        if state.as_ref().is_some_and(StackState::in_progress) {
            state = self.wait_for_other(&sp.name).await?;
        }
        Ok(match state {
            None => Previous::absent(),
            Some(s) if s.status == "DELETE_COMPLETE" => Previous::absent(),
            Some(s) if EMPTY_LEFTOVER.contains(&s.status.as_str()) => {
                self.phase(
                    &sp.name,
                    &format!(
                        "found the stack {} with no resources, left by an earlier create that failed or was \
                         never executed; it will be deleted and created anew",
                        s.status
                    ),
                );
                Previous { leftover: Some(s.status), ..Previous::absent() }
            }
            Some(s) if s.status == "UPDATE_ROLLBACK_FAILED" => {
                return Err(Ending::Refused {
                    reason: format!(
                        "stack {} is UPDATE_ROLLBACK_FAILED from an earlier operation; finish that rollback \
                         first (`aws cloudformation continue-update-rollback --stack-name {}`), then deploy again",
                        sp.name, sp.name
                    ),
                });
            }
            Some(s) => {
                // Independent of each other: one round trip for both.
                let (cleared, template) = futures_util::future::join(
                    self.delete_leftover_change_sets(&sp.name),
                    self.cloud.get_template(&sp.name),
                )
                .await;
                cleared.map_err(cloud_failed)?;
                Previous { state: Some(s), template: template.map_err(cloud_failed)?, leftover: None }
            }
        })
    }

    /// Deletes change sets an earlier deploy created on `stack` and never executed (it was interrupted, or
    /// refused at the gate), saying so.
    async fn delete_leftover_change_sets(&self, stack: &str) -> Result<(), crate::cloud::CloudError> {
        for (name, id) in self.cloud.unexecuted_change_sets(stack).await? {
            if name.starts_with(CHANGE_SET_PREFIX) {
                self.phase(stack, &format!("deleting change set {name}, which an earlier deploy left unexecuted"));
                self.cloud.delete_change_set(stack, &id).await?;
            }
        }
        Ok(())
    }

    fn previous_needs_upload(&self, sp: &StackPlan) -> bool {
        self.previous.get(&sp.short).is_some_and(|p| p.template.len() > limits::INLINE_BODY)
    }

    /// Waits, within the configured bound, for an operation somebody else started on `stack`.
    async fn wait_for_other(&self, stack: &str) -> Result<Option<StackState>, Ending> {
        let deadline = tokio::time::Instant::now() + self.opts.in_progress_wait;
        let mut delay = self.opts.poll.start();
        loop {
            let state =
                self.cloud.describe_stack(stack).await.map_err(|e| Ending::CloudFailed { reason: e.to_string() })?;
            match &state {
                Some(s) if s.in_progress() => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(Ending::Refused {
                            reason: format!(
                                "stack {stack} is still {} after waiting {}s for an operation this deploy did not \
                                 start; look at it with `aws cloudformation describe-stack-events --stack-name \
                                 {stack}` and deploy again when it has finished",
                                s.status,
                                self.opts.in_progress_wait.as_secs()
                            ),
                        });
                    }
                    self.phase(stack, &format!("waiting for {} (started elsewhere) to finish", s.status));
                }
                _ => return Ok(state),
            }
            delay = self.opts.poll.wait(delay).await;
        }
    }

    /// Returns every stack this deploy changed to what was recorded, in reverse dependency order (a stack
    /// is restored before the stacks it depends on, whichever of two parallel stacks finished first).
    /// Returns what was done to each, and the stacks that need a person.
    pub(super) async fn roll_back(
        &self,
        results: &BTreeMap<String, StackResult>,
        stacks: &[(String, StackResult)],
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut stuck: Vec<String> = stacks
            .iter()
            .filter_map(|(name, r)| match r {
                StackResult::Stuck { status, .. } => Some(format!("{name} is {status}")),
                _ => None,
            })
            .collect();
        let changed: Vec<&StackPlan> =
            self.plan.stacks.iter().rev().filter(|s| results.get(&s.short).is_some_and(StackResult::changed)).collect();
        if !changed.is_empty() {
            self.note(&format!("returning {} stack(s) this deploy changed to what they were", changed.len()));
        }
        let mut restored = Vec::new();
        for sp in changed {
            match self.restore(sp).await {
                Ok(what) => restored.push((sp.name.clone(), what)),
                Err(why) => {
                    stuck.push(format!("{} could not be restored: {why}", sp.name));
                    restored.push((sp.name.clone(), format!("NOT restored: {why}")));
                }
            }
        }
        (restored, stuck)
    }

    /// Returns one stack this deploy changed to what was recorded: deletes it if it did not exist, else
    /// deploys its previous template and parameters again.
    async fn restore(&self, sp: &StackPlan) -> Result<String, Unrestored> {
        let name = sp.name.as_str();
        let previous = &self.previous[&sp.short];
        let Some(state) = &previous.state else {
            self.phase(name, "rolling back: deleting the stack this deploy created");
            self.delete_and_wait(name).await?;
            self.phase(name, "deleted (rolled back)");
            return Ok("deleted: it did not exist before this deploy".into());
        };
        self.phase(name, "rolling back: restoring the previous template and parameters");
        let url = self.upload_if_large(sp, &previous.template, "previous").await?;
        let name_for_restore = format!("{}-restore", self.change_set_name);
        // No alarm may stop the way back (the one that went off would): the restore clears the triggers,
        // and the next deploy sets them again.
        let clear = crate::cloud::RollbackTriggers::default();
        let request = ChangeSetRequest {
            stack: name,
            name: &name_for_restore,
            create: false,
            template: match &url {
                Some(u) => TemplateSource::Url(u),
                None => TemplateSource::Body(&previous.template),
            },
            parameters: state.parameters.iter().map(|(k, v)| (k.clone(), ParameterValue::Value(v.clone()))).collect(),
            tags: Some(&state.tags),
            rollback: self.triggers.as_ref().map(|_| &clear),
            role_arn: self.plan.role_arn.as_deref(),
        };
        let cs = match self.cloud.create_change_set(&request, &self.opts.poll).await? {
            ChangeSetOutcome::NoChanges => return Ok("already as it was".into()),
            ChangeSetOutcome::Failed(reason) => return Err(Unrestored::Refused(reason)),
            ChangeSetOutcome::Ready(cs) => cs,
        };
        let since = self.cloud.latest_event_id(name).await.ok().flatten();
        self.cloud.execute_change_set(name, &cs.id).await?;
        self.in_flight.borrow_mut().executed.push((name.to_string(), cs.id.clone()));
        match self.wait(name, since).await? {
            (Some(s), _) if s.status == "UPDATE_COMPLETE" => {
                self.phase(name, "restored (rolled back)");
                Ok("restored to its previous template and parameters".into())
            }
            (s, events) => Err(Unrestored::Ended {
                status: s.map(|s| s.status).unwrap_or_else(|| "with the stack gone".into()),
                cause: super::root_cause(&events),
            }),
        }
    }
}
