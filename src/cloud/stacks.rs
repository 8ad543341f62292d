//! CloudFormation stacks as plain values: describe a stack, read its template and events, delete it,
//! continue a rollback that failed.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::TemplateStage;

use super::{Cloud, CloudError};

/// A stack as DescribeStacks reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackState {
    /// The stack's name.
    pub name: String,
    /// Its ARN.
    pub id: String,
    /// `CREATE_COMPLETE`, `UPDATE_ROLLBACK_FAILED`, ...
    pub status: String,
    /// Why it is in that status, when CloudFormation says.
    pub reason: Option<String>,
    /// Parameter values (NoEcho ones come back as `****`).
    pub parameters: BTreeMap<String, String>,
    /// Outputs.
    pub outputs: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// When it was created, RFC 3339.
    pub created_at: Option<String>,
}

impl StackState {
    /// Whether an operation is still under way. `REVIEW_IN_PROGRESS` is not one: it is a stack whose first
    /// change set has not been executed, and it stays so until somebody executes or deletes it.
    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }
}

/// One stack event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    /// The event's ID, unique within the stack.
    pub id: String,
    /// When it happened, RFC 3339.
    pub timestamp: String,
    /// The resource's logical ID (the stack's name for stack-level events).
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// The resource status (`UPDATE_FAILED`).
    pub status: String,
    /// CloudFormation's reason, where it gives one.
    pub reason: Option<String>,
}

/// A stack as DescribeStacks describes it (`name` when it names none).
fn state_of(s: &aws_sdk_cloudformation::types::Stack, name: &str) -> StackState {
    StackState {
        name: s.stack_name().unwrap_or(name).to_string(),
        id: s.stack_id().unwrap_or_default().to_string(),
        status: s.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        reason: s.stack_status_reason().map(str::to_string),
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| Some((p.parameter_key()?.to_string(), p.parameter_value().unwrap_or_default().to_string())))
            .collect(),
        outputs: s
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value().unwrap_or_default().to_string())))
            .collect(),
        tags: s.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect(),
        created_at: s
            .creation_time()
            .and_then(|t| t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime).ok()),
    }
}

/// Whether a DescribeStacks error means the stack does not exist.
pub(super) fn is_missing(message: &str) -> bool {
    message.contains("does not exist")
}

impl Cloud {
    /// The stack called `name`, or `None` when there is none.
    pub async fn describe_stack(&self, name: &str) -> Result<Option<StackState>, CloudError> {
        self.within("DescribeStacks", name, async {
            let _place = self.place().await;
            let out = match self.cfn.describe_stacks().stack_name(name).send().await {
                Ok(out) => out,
                Err(e) => {
                    let e = self.error("DescribeStacks", name, e);
                    if is_missing(&e.message) {
                        return Ok(None);
                    }
                    return Err(e);
                }
            };
            Ok(out.stacks().first().map(|s| state_of(s, name)))
        })
        .await
    }

    /// Every stack of the account and region that is not deleted, page by page.
    pub async fn list_stacks(&self) -> Result<Vec<StackState>, CloudError> {
        self.within("DescribeStacks", "(all stacks)", async {
            let mut stacks = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let out = self
                    .cfn
                    .describe_stacks()
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| self.error("DescribeStacks", "(all stacks)", e))?;
                stacks.extend(out.stacks().iter().map(|s| state_of(s, "")));
                match out.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => return Ok(stacks),
                }
            }
        })
        .await
    }

    /// The template the stack was last deployed with, as it was submitted.
    pub async fn get_template(&self, name: &str) -> Result<String, CloudError> {
        self.within("GetTemplate", name, async {
            let _place = self.place().await;
            let out = self
                .cfn
                .get_template()
                .stack_name(name)
                .template_stage(TemplateStage::Original)
                .send()
                .await
                .map_err(|e| self.error("GetTemplate", name, e))?;
            Ok(out.template_body().unwrap_or_default().to_string())
        })
        .await
    }

    /// The stack's events, newest first, down to (not including) the event `until`; all of them when
    /// `until` is `None` or not found. `name` may be the stack's ID, under which CloudFormation keeps a
    /// deleted stack's events (by name, a deleted stack does not exist).
    pub async fn events_since(&self, name: &str, until: Option<&str>) -> Result<Vec<StackEvent>, CloudError> {
        self.within("DescribeStackEvents", name, async {
            let _place = self.place().await;
            let mut events = Vec::new();
            let mut pages = self.cfn.describe_stack_events().stack_name(name).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.error("DescribeStackEvents", name, e))?;
                for e in page.stack_events() {
                    let id = e.event_id().unwrap_or_default();
                    if Some(id) == until {
                        return Ok(events);
                    }
                    events.push(StackEvent {
                        id: id.to_string(),
                        timestamp: e.timestamp().map(|t| t.to_string()).unwrap_or_default(),
                        logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                        resource_type: e.resource_type().unwrap_or_default().to_string(),
                        status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                        reason: e.resource_status_reason().map(str::to_string),
                    });
                }
            }
            Ok(events)
        })
        .await
    }

    /// The ID of the stack's newest event (the first of the first page), to read only later events from.
    pub async fn latest_event_id(&self, name: &str) -> Result<Option<String>, CloudError> {
        self.within("DescribeStackEvents", name, async {
            let _place = self.place().await;
            let page = self
                .cfn
                .describe_stack_events()
                .stack_name(name)
                .send()
                .await
                .map_err(|e| self.error("DescribeStackEvents", name, e))?;
            Ok(page.stack_events().first().and_then(|e| e.event_id()).map(str::to_string))
        })
        .await
    }

    /// Starts deleting a stack.
    pub async fn delete_stack(&self, stack: &str) -> Result<(), CloudError> {
        self.within("DeleteStack", stack, async {
            let _place = self.place().await;
            self.cfn.delete_stack().stack_name(stack).send().await.map_err(|e| self.error("DeleteStack", stack, e))?;
            Ok(())
        })
        .await
    }

    /// Continues a rollback that failed, skipping `skip` (logical IDs that cannot roll back).
    pub async fn continue_update_rollback(&self, stack: &str, skip: &[String]) -> Result<(), CloudError> {
        self.within("ContinueUpdateRollback", stack, async {
            let _place = self.place().await;
            self.cfn
                .continue_update_rollback()
                .stack_name(stack)
                .set_resources_to_skip(if skip.is_empty() { None } else { Some(skip.to_vec()) })
                .send()
                .await
                .map_err(|e| self.error("ContinueUpdateRollback", stack, e))?;
            Ok(())
        })
        .await
    }
}

impl Cloud {
    /// What is deployed under stack name `name`: its state and the template it was deployed with, exactly
    /// as uploaded (JSON or YAML); `None` when nothing is (no stack, a deleted one, or one whose first
    /// change set never ran). The state and the template are asked for at once: one round trip, not two.
    pub async fn deployed(&self, name: &str) -> Result<Option<(StackState, String)>, CloudError> {
        let (state, body) = futures_util::future::join(self.describe_stack(name), self.get_template(name)).await;
        let state = match state? {
            None => return Ok(None),
            Some(s) if s.status == "DELETE_COMPLETE" || s.status == "REVIEW_IN_PROGRESS" => return Ok(None),
            Some(s) => s,
        };
        let body = body?;
        Ok(Some((state, if body.is_empty() { "{}".to_string() } else { body })))
    }
}
