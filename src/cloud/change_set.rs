//! Change sets: the one way slipway asks CloudFormation what a template would change, and the one way it
//! changes a stack. Deploy executes them; `diff --change-set` reads CloudFormation's replacement verdicts
//! from them and deletes them again. Both go through the same reader, with the same polling.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, RequiresRecreation, ResourceAttribute, Tag,
};

use super::{Cloud, CloudError, Failure, Poll};

/// How long CloudFormation may take to work out a change set before slipway stops waiting for it. It
/// usually takes seconds; an endpoint that never finishes must not hold a command forever.
const CHANGE_SET_LIMIT: Duration = Duration::from_secs(600);

/// Where the template of a change set comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateSource<'a> {
    /// The template's text, passed inline (up to 51,200 bytes).
    Body(&'a str),
    /// An S3 URL CloudFormation reads the template from.
    Url(&'a str),
}

/// A parameter's value in a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterValue {
    /// This value.
    Value(String),
    /// Whatever the stack has now.
    UsePrevious,
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
    /// The template.
    pub template: TemplateSource<'a>,
    /// Parameter values.
    pub parameters: BTreeMap<String, ParameterValue>,
    /// Stack tags (`None`: keep the stack's).
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// The alarms CloudFormation watches during the change and after it (`None`: whatever the stack
    /// had; an empty list of alarms clears them).
    pub rollback: Option<&'a RollbackTriggers>,
    /// The role CloudFormation makes the change as (`RoleARN`; `None`: the caller's own rights, or the role
    /// the stack was last changed with).
    pub role_arn: Option<&'a str>,
}

/// CloudFormation's rollback configuration of a change: alarms (by ARN) that roll the stack operation
/// back when one goes to ALARM during it, or within the monitoring time after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RollbackTriggers {
    /// The alarms' ARNs, with whether each is a composite alarm.
    pub alarms: Vec<(String, bool)>,
    /// How long CloudFormation watches them after the change, in minutes.
    pub monitoring_minutes: u64,
}

/// CloudFormation's verdict on whether a change replaces a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Replacement {
    /// Updated in place (`False`).
    Never,
    /// Replaced or not depending on values known only when it runs (`Conditional`).
    Conditional,
    /// Replaced (`True`).
    Always,
}

/// Whether changing one property recreates the resource, as a change set's details say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recreation {
    /// Never.
    Never,
    /// In some cases.
    Conditionally,
    /// Always.
    Always,
}

/// One detail of a resource change: a property (or other attribute) that changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeDetail {
    /// `Properties`, `Metadata`, `Tags`, ...
    pub attribute: String,
    /// The top-level property's name, for `Properties`.
    pub name: Option<String>,
    /// Whether this change recreates the resource.
    pub recreation: Recreation,
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
    /// The replacement verdict, for modifications.
    pub replacement: Option<Replacement>,
    /// What changes, property by property.
    pub details: Vec<ChangeDetail>,
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
    /// CloudFormation refused the template or parameters. The change set has been deleted.
    Failed(String),
}

/// Whether CloudFormation's reason for a failed (or refused) change set means the stack already matches.
fn means_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

impl Cloud {
    /// Creates a change set and waits (by `poll`, for at most ten minutes) until CloudFormation has worked
    /// out what it would do; reads every page of its changes.
    pub async fn create_change_set(
        &self,
        req: &ChangeSetRequest<'_>,
        poll: &Poll,
    ) -> Result<ChangeSetOutcome, CloudError> {
        self.within("CreateChangeSet", req.stack, async {
            let parameters = req
                .parameters
                .iter()
                .map(|(k, v)| match v {
                    ParameterValue::Value(v) => Parameter::builder().parameter_key(k).parameter_value(v).build(),
                    ParameterValue::UsePrevious => {
                        Parameter::builder().parameter_key(k).use_previous_value(true).build()
                    }
                })
                .collect();
            let mut call = self
                .cfn
                .create_change_set()
                .stack_name(req.stack)
                .change_set_name(req.name)
                .change_set_type(if req.create { ChangeSetType::Create } else { ChangeSetType::Update })
                .capabilities(Capability::CapabilityIam)
                .capabilities(Capability::CapabilityNamedIam)
                .set_parameters(Some(parameters))
                .set_role_arn(req.role_arn.map(str::to_string));
            if let Some(rollback) = req.rollback {
                call = call.rollback_configuration(rollback_configuration(rollback));
            }
            if let Some(tags) = req.tags {
                call = call.set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()));
            }
            call = match req.template {
                TemplateSource::Body(body) => call.template_body(body),
                TemplateSource::Url(url) => call.template_url(url),
            };
            let sent = {
                let _place = self.place().await;
                call.send().await
            };
            let created = match sent.map_err(|e| self.error("CreateChangeSet", req.stack, e)) {
                Ok(created) => created,
                // Some endpoints refuse an empty change set at once rather than failing it later.
                Err(e) if means_no_changes(&e.message) => return Ok(ChangeSetOutcome::NoChanges),
                Err(e) => return Err(e),
            };
            let id = created.id().unwrap_or(req.name).to_string();
            let deadline = tokio::time::Instant::now() + CHANGE_SET_LIMIT;
            let mut delay = poll.start();
            loop {
                match self.read_change_set(req.stack, &id).await? {
                    Read::Pending if tokio::time::Instant::now() >= deadline => {
                        let _ = self.delete_change_set(req.stack, &id).await;
                        return Err(CloudError {
                            action: "CreateChangeSet",
                            stack: req.stack.into(),
                            message: format!(
                                "CloudFormation had not worked out change set {} after {} minutes; it was deleted",
                                req.name,
                                CHANGE_SET_LIMIT.as_secs() / 60
                            ),
                            failure: Failure::Timeout,
                        });
                    }
                    Read::Pending => delay = poll.wait(delay).await,
                    Read::Ready(change_set) => return Ok(ChangeSetOutcome::Ready(change_set)),
                    Read::Failed(reason) => {
                        self.delete_change_set(req.stack, &id).await?;
                        if means_no_changes(&reason) {
                            return Ok(ChangeSetOutcome::NoChanges);
                        }
                        return Ok(ChangeSetOutcome::Failed(reason));
                    }
                }
            }
        })
        .await
    }

    /// One look at a change set: still being worked out, failed, or ready with all of its pages.
    async fn read_change_set(&self, stack: &str, id: &str) -> Result<Read, CloudError> {
        let _place = self.place().await;
        let mut changes = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .cfn
                .describe_change_set()
                .change_set_name(id)
                .stack_name(stack)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| self.error("DescribeChangeSet", stack, e))?;
            match out.status() {
                Some(ChangeSetStatus::CreateComplete) => {}
                Some(ChangeSetStatus::Failed) => {
                    return Ok(Read::Failed(out.status_reason().unwrap_or("no reason given").to_string()));
                }
                _ => return Ok(Read::Pending),
            }
            changes.extend(out.changes().iter().filter_map(|c| c.resource_change()).map(resource_change));
            match out.next_token() {
                Some(t) => next = Some(t.to_string()),
                None => {
                    return Ok(Read::Ready(ChangeSet {
                        id: id.to_string(),
                        stack_id: out.stack_id().unwrap_or_default().to_string(),
                        changes,
                    }));
                }
            }
        }
    }

    /// Executes a ready change set.
    pub async fn execute_change_set(&self, stack: &str, id: &str) -> Result<(), CloudError> {
        self.within("ExecuteChangeSet", stack, async {
            let _place = self.place().await;
            self.cfn
                .execute_change_set()
                .change_set_name(id)
                .stack_name(stack)
                .send()
                .await
                .map_err(|e| self.error("ExecuteChangeSet", stack, e))?;
            Ok(())
        })
        .await
    }

    /// Deletes a change set that will not be executed.
    pub async fn delete_change_set(&self, stack: &str, id: &str) -> Result<(), CloudError> {
        self.within("DeleteChangeSet", stack, async {
            let _place = self.place().await;
            self.cfn
                .delete_change_set()
                .change_set_name(id)
                .stack_name(stack)
                .send()
                .await
                .map_err(|e| self.error("DeleteChangeSet", stack, e))?;
            Ok(())
        })
        .await
    }

    /// The change sets of `stack` that were never executed (their execution status is `AVAILABLE` or
    /// `UNAVAILABLE`): (name, ARN) pairs.
    pub async fn unexecuted_change_sets(&self, stack: &str) -> Result<Vec<(String, String)>, CloudError> {
        self.within("ListChangeSets", stack, async {
            let _place = self.place().await;
            use aws_sdk_cloudformation::types::ExecutionStatus;
            let mut found = Vec::new();
            let mut pages = self.cfn.list_change_sets().stack_name(stack).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.error("ListChangeSets", stack, e))?;
                for summary in page.summaries() {
                    let waiting = matches!(
                        summary.execution_status(),
                        Some(ExecutionStatus::Available | ExecutionStatus::Unavailable)
                    );
                    if let (true, Some(name), Some(id)) = (waiting, summary.change_set_name(), summary.change_set_id())
                    {
                        found.push((name.to_string(), id.to_string()));
                    }
                }
            }
            Ok(found)
        })
        .await
    }
}

fn rollback_configuration(r: &RollbackTriggers) -> aws_sdk_cloudformation::types::RollbackConfiguration {
    use aws_sdk_cloudformation::types::{RollbackConfiguration, RollbackTrigger};
    let triggers = r
        .alarms
        .iter()
        .map(|(arn, composite)| {
            let kind = if *composite { "AWS::CloudWatch::CompositeAlarm" } else { "AWS::CloudWatch::Alarm" };
            RollbackTrigger::builder().arn(arn).r#type(kind).build()
        })
        .collect();
    RollbackConfiguration::builder()
        .set_rollback_triggers(Some(triggers))
        .monitoring_time_in_minutes(i32::try_from(r.monitoring_minutes).unwrap_or(i32::MAX))
        .build()
}

enum Read {
    Pending,
    Ready(ChangeSet),
    Failed(String),
}

fn resource_change(r: &aws_sdk_cloudformation::types::ResourceChange) -> ResourceChange {
    use aws_sdk_cloudformation::types::Replacement as R;
    ResourceChange {
        action: r.action().map(|a| a.as_str()).unwrap_or_default().to_string(),
        logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: r.resource_type().unwrap_or_default().to_string(),
        replacement: match r.replacement() {
            Some(R::True) => Some(Replacement::Always),
            Some(R::Conditional) => Some(Replacement::Conditional),
            Some(R::False) => Some(Replacement::Never),
            _ => None,
        },
        details: r
            .details()
            .iter()
            .filter_map(|d| d.target())
            .map(|t| ChangeDetail {
                attribute: t.attribute().map(ResourceAttribute::as_str).unwrap_or_default().to_string(),
                name: t.name().map(str::to_string),
                recreation: match t.requires_recreation() {
                    Some(RequiresRecreation::Always) => Recreation::Always,
                    Some(RequiresRecreation::Conditionally) => Recreation::Conditionally,
                    _ => Recreation::Never,
                },
            })
            .collect(),
    }
}
