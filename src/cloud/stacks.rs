//! CloudFormation stack operations as plain values: describe a stack, read its template and events,
//! create, inspect, execute and delete change sets, delete a stack, continue a failed rollback, and
//! upload a large template to S3.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, Parameter, Replacement, Tag, TemplateStage,
};

use super::{Cloud, CloudError, error};

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
}

impl StackState {
    /// Whether an operation is still under way.
    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS")
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

/// One resource change a change set would make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, ...
    pub action: String,
    /// The logical ID.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// `True`, `False` or `Conditional`, for modifications.
    pub replacement: Option<String>,
}

/// A change set that is ready to execute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSet {
    /// Its ARN.
    pub id: String,
    /// The stack's ARN.
    pub stack_id: String,
    /// What it would do.
    pub changes: Vec<ResourceChange>,
}

/// How creating a change set ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeSetOutcome {
    /// Ready to execute.
    Ready(ChangeSet),
    /// The stack already matches: nothing to do. The change set has been deleted.
    NoChanges,
    /// CloudFormation refused the template or parameters.
    Failed(String),
}

/// What to put in a change set.
#[derive(Clone, Debug)]
pub struct ChangeSetRequest<'a> {
    /// The stack's name.
    pub stack: &'a str,
    /// The change set's name.
    pub name: &'a str,
    /// Create the stack (it does not exist) or update it.
    pub create: bool,
    /// The template body, or `None` with `template_url` set.
    pub template_body: Option<&'a str>,
    /// The template's S3 URL, for templates too large to pass inline.
    pub template_url: Option<&'a str>,
    /// Parameter values.
    pub parameters: &'a BTreeMap<String, String>,
    /// Stack tags.
    pub tags: &'a BTreeMap<String, String>,
}

fn err(action: &'static str, stack: &str, message: String) -> CloudError {
    CloudError { action, stack: stack.to_string(), message }
}

/// Whether CloudFormation's reason for a failed (or refused) change set means the stack already matches.
pub(crate) fn means_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Whether a DescribeStacks error means the stack does not exist.
fn is_missing(message: &str) -> bool {
    message.contains("does not exist")
}

impl Cloud {
    /// The stack called `name`, or `None` when there is none.
    pub async fn describe_stack(&self, name: &str) -> Result<Option<StackState>, CloudError> {
        let out = match self.client.describe_stacks().stack_name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = error("DescribeStacks", name, e);
                if is_missing(&e.message) {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        let Some(s) = out.stacks().first() else { return Ok(None) };
        Ok(Some(StackState {
            name: s.stack_name().unwrap_or(name).to_string(),
            id: s.stack_id().unwrap_or_default().to_string(),
            status: s.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            reason: s.stack_status_reason().map(str::to_string),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((p.parameter_key()?.to_string(), p.parameter_value().unwrap_or_default().to_string()))
                })
                .collect(),
            outputs: s
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value().unwrap_or_default().to_string())))
                .collect(),
            tags: s.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect(),
        }))
    }

    /// The template the stack was last deployed with, as it was submitted.
    pub async fn get_template(&self, name: &str) -> Result<String, CloudError> {
        let out = self
            .client
            .get_template()
            .stack_name(name)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|e| error("GetTemplate", name, e))?;
        Ok(out.template_body().unwrap_or_default().to_string())
    }

    /// The stack's events, newest first, down to (not including) the event `until`; all of them when
    /// `until` is `None` or not found.
    pub async fn events_since(&self, name: &str, until: Option<&str>) -> Result<Vec<StackEvent>, CloudError> {
        let mut events = Vec::new();
        let mut pages = self.client.describe_stack_events().stack_name(name).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| error("DescribeStackEvents", name, e))?;
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
    }

    /// The ID of the stack's newest event (the first of the first page), to read only later events from.
    pub async fn latest_event_id(&self, name: &str) -> Result<Option<String>, CloudError> {
        let page = self
            .client
            .describe_stack_events()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| error("DescribeStackEvents", name, e))?;
        Ok(page.stack_events().first().and_then(|e| e.event_id()).map(str::to_string))
    }

    /// Creates a change set and waits until CloudFormation has worked out what it would do.
    pub async fn create_change_set(
        &self,
        req: &ChangeSetRequest<'_>,
        poll: &crate::deploy::Poll,
    ) -> Result<ChangeSetOutcome, CloudError> {
        let op = "CreateChangeSet";
        let mut call = self
            .client
            .create_change_set()
            .stack_name(req.stack)
            .change_set_name(req.name)
            .change_set_type(if req.create { ChangeSetType::Create } else { ChangeSetType::Update })
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .set_parameters(Some(
                req.parameters
                    .iter()
                    .map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build())
                    .collect(),
            ))
            .set_tags(Some(req.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()));
        call = match (req.template_body, req.template_url) {
            (Some(body), _) => call.template_body(body),
            (None, Some(url)) => call.template_url(url),
            (None, None) => return Err(err(op, req.stack, "no template given".into())),
        };
        let created = match call.send().await.map_err(|e| error(op, req.stack, e)) {
            Ok(created) => created,
            // Some endpoints refuse an empty change set at once rather than failing it later.
            Err(e) if means_no_changes(&e.message) => return Ok(ChangeSetOutcome::NoChanges),
            Err(e) => return Err(e),
        };
        let id = created.id().unwrap_or(req.name).to_string();
        let mut delay = poll.start();
        loop {
            let out = self
                .client
                .describe_change_set()
                .change_set_name(&id)
                .stack_name(req.stack)
                .send()
                .await
                .map_err(|e| error("DescribeChangeSet", req.stack, e))?;
            match out.status() {
                Some(ChangeSetStatus::CreateComplete) => {
                    let changes = out
                        .changes()
                        .iter()
                        .filter_map(|c| c.resource_change())
                        .map(|r| ResourceChange {
                            action: r.action().map(ChangeAction::as_str).unwrap_or_default().to_string(),
                            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                            resource_type: r.resource_type().unwrap_or_default().to_string(),
                            replacement: r.replacement().map(Replacement::as_str).map(str::to_string),
                        })
                        .collect();
                    return Ok(ChangeSetOutcome::Ready(ChangeSet {
                        id,
                        stack_id: out.stack_id().unwrap_or_default().to_string(),
                        changes,
                    }));
                }
                Some(ChangeSetStatus::Failed) => {
                    let reason = out.status_reason().unwrap_or("no reason given").to_string();
                    self.delete_change_set(req.stack, &id).await?;
                    if means_no_changes(&reason) {
                        return Ok(ChangeSetOutcome::NoChanges);
                    }
                    return Ok(ChangeSetOutcome::Failed(reason));
                }
                _ => {}
            }
            delay = poll.wait(delay).await;
        }
    }

    /// Executes a ready change set.
    pub async fn execute_change_set(&self, stack: &str, id: &str) -> Result<(), CloudError> {
        self.client
            .execute_change_set()
            .change_set_name(id)
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| error("ExecuteChangeSet", stack, e))?;
        Ok(())
    }

    /// Deletes a change set that will not be executed.
    pub async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), CloudError> {
        self.client
            .delete_change_set()
            .change_set_name(id)
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| error("DeleteChangeSet", stack, e))?;
        Ok(())
    }

    /// Starts deleting a stack.
    pub async fn delete_stack(&self, stack: &str) -> Result<(), CloudError> {
        self.client.delete_stack().stack_name(stack).send().await.map_err(|e| error("DeleteStack", stack, e))?;
        Ok(())
    }

    /// Continues a rollback that failed, skipping `skip` (logical IDs that cannot roll back).
    pub async fn continue_update_rollback(&self, stack: &str, skip: &[String]) -> Result<(), CloudError> {
        self.client
            .continue_update_rollback()
            .stack_name(stack)
            .set_resources_to_skip(if skip.is_empty() { None } else { Some(skip.to_vec()) })
            .send()
            .await
            .map_err(|e| error("ContinueUpdateRollback", stack, e))?;
        Ok(())
    }

    /// Uploads a template to `bucket` and returns the URL CloudFormation reads it from.
    pub async fn upload_template(&self, bucket: &str, key: &str, body: &str) -> Result<String, CloudError> {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .content_type("application/json")
            .send()
            .await
            .map_err(|e| CloudError {
                action: "PutObject",
                stack: "-".into(),
                message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
        // The path-style URL: CloudFormation reads it in every region, whatever the bucket's name.
        let base = format!("https://s3.{}.amazonaws.com/{bucket}", self.region);
        Ok(format!("{base}/{key}"))
    }
}
