//! The one layer that talks to AWS CloudFormation, over `aws-sdk-cloudformation`.
//!
//! The rest of the engine never sees HTTP or SDK types: it asks for a deployed stack's template (or
//! learns the stack does not exist), and for a change set's replacement verdicts, and gets plain data
//! back. Credentials and region come from `aws-config`'s standard chain (environment, profile, SSO, web
//! identity, instance metadata); the region an environment's definition names wins over the chain's, and
//! `AWS_ENDPOINT_URL` points the client elsewhere (tests use a moto server on loopback).
//!
//! `connect` adds the checks a deploy makes before it changes anything (credentials, region, endpoint,
//! account); `stacks` holds the operations a deploy needs (change sets, events, deletion, rollback).

mod connect;
mod stacks;

pub use connect::ConnectError;
pub use stacks::{ChangeSet, ChangeSetOutcome, ChangeSetRequest, ResourceChange, StackEvent, StackState};

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, Replacement, RequiresRecreation,
};

use crate::diff::Impact;

/// A CloudFormation call that failed.
#[derive(Debug, thiserror::Error)]
#[error("{action}{} failed: {message}", if stack == "-" { String::new() } else { format!(" for stack `{stack}`") })]
pub struct CloudError {
    /// What was being done (`GetTemplate`).
    pub action: &'static str,
    /// The stack (`-` for a call about no stack).
    pub stack: String,
    /// The service's or the client's explanation.
    pub message: String,
}

/// The status of a raw HTTP response, whichever SDK crate's alias of it.
pub(crate) trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// A one-line explanation: the service's error code and message when it sent one, the HTTP status when
/// it sent something else, and the client's own chain of causes otherwise (no raw response dumps).
pub(crate) fn error<E, R>(action: &'static str, stack: &str, e: SdkError<E, R>) -> CloudError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    let message = match (&e, e.code(), e.message()) {
        (_, Some(code), Some(message)) => format!("{code}: {message}"),
        (_, Some(code), None) => code.to_string(),
        (SdkError::ServiceError(s), None, _) => {
            format!("the endpoint answered HTTP {} with no AWS error in it", s.raw().status_code())
        }
        (SdkError::ResponseError(r), None, _) => {
            format!("the endpoint's answer (HTTP {}) could not be read", r.raw().status_code())
        }
        _ => {
            // The chain of causes, each once: "dispatch failure: io error: ... Connection refused".
            let mut parts = vec![e.to_string()];
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                let text = c.to_string();
                if !parts.last().is_some_and(|p| p.contains(&text)) {
                    parts.push(text);
                }
                cause = c.source();
            }
            parts.join(": ")
        }
    };
    CloudError { action, stack: stack.to_string(), message }
}

/// A connection to CloudFormation (and STS, to tell whose credentials these are, and S3, for templates
/// too large to pass inline) in one region.
pub struct Cloud {
    client: Client,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    /// The region every call goes to.
    pub region: String,
    /// Where calls go: `AWS_ENDPOINT_URL`, or AWS itself.
    pub endpoint: String,
}

/// Replacement verdicts of a change set, by logical ID.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdicts {
    /// Each resource's verdict: `replace` (Replacement: True), `may-replace` (Conditional) or `update`.
    pub resources: BTreeMap<String, Impact>,
    /// Per resource, each property CloudFormation says requires recreation: `replace` (Always) or
    /// `may-replace` (Conditionally).
    pub properties: BTreeMap<String, BTreeMap<String, Impact>>,
}

/// The SDK configuration from the standard chain (read once, shared by every region's client).
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await
}

impl Cloud {
    /// A client for `region` (the chain's region when `None`).
    pub fn new(config: &aws_config::SdkConfig, region: Option<&str>) -> Self {
        let mut builder = aws_sdk_cloudformation::config::Builder::from(config);
        let mut sts = aws_sdk_sts::config::Builder::from(config);
        // A local endpoint (moto, a proxy) has no per-bucket host names: address buckets by path there.
        let mut s3 = aws_sdk_s3::config::Builder::from(config).force_path_style(config.endpoint_url().is_some());
        if let Some(r) = region {
            builder = builder.region(aws_config::Region::new(r.to_string()));
            sts = sts.region(aws_config::Region::new(r.to_string()));
            s3 = s3.region(aws_config::Region::new(r.to_string()));
        }
        let region = region.map(str::to_string).or_else(|| config.region().map(|r| r.to_string())).unwrap_or_default();
        let endpoint = config
            .endpoint_url()
            .map(str::to_string)
            .unwrap_or_else(|| format!("https://cloudformation.{region}.amazonaws.com"));
        Cloud {
            client: Client::from_conf(builder.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            region,
            endpoint,
        }
    }

    /// The AWS account the credentials belong to (STS GetCallerIdentity), so that a diff never compares
    /// with another account's stacks (which would show every stack as added).
    pub async fn account(&self) -> Result<String, CloudError> {
        let out = self.sts.get_caller_identity().send().await.map_err(|e| error("GetCallerIdentity", "-", e))?;
        Ok(out.account().unwrap_or_default().to_string())
    }

    /// The template stack `name` was deployed with, exactly as uploaded (JSON or YAML), or `None` when no
    /// such stack exists.
    pub async fn deployed_template(&self, name: &str) -> Result<Option<String>, CloudError> {
        match self.describe_stack(name).await? {
            None => return Ok(None),
            // A stack that was deleted, or whose first creation never ran, has nothing deployed to compare with.
            Some(s) if s.status == "DELETE_COMPLETE" || s.status == "REVIEW_IN_PROGRESS" => return Ok(None),
            Some(_) => {}
        }
        let body = self.get_template(name).await?;
        Ok(Some(if body.is_empty() { "{}".to_string() } else { body }))
    }

    /// Creates a change set that would update stack `name` to `template`, reads its replacement verdicts,
    /// and deletes it again (also when reading failed). Parameters the template declares keep the stack's
    /// current values; `parameters` lists the template's parameter names.
    pub async fn change_set_verdicts(
        &self,
        name: &str,
        template: &str,
        parameters: &[String],
    ) -> Result<Verdicts, CloudError> {
        let current = self
            .client
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| error("DescribeStacks", name, e))?;
        let existing: Vec<String> = current
            .stacks()
            .first()
            .map(|s| s.parameters().iter().filter_map(|p| p.parameter_key().map(str::to_string)).collect())
            .unwrap_or_default();
        let params: Vec<Parameter> = parameters
            .iter()
            .filter(|p| existing.contains(p))
            .map(|p| Parameter::builder().parameter_key(p).use_previous_value(true).build())
            .collect();
        let change_set = format!("slipway-diff-{}", std::process::id());
        self.client
            .create_change_set()
            .stack_name(name)
            .change_set_name(&change_set)
            .change_set_type(ChangeSetType::Update)
            .template_body(template)
            .set_parameters(Some(params))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .map_err(|e| error("CreateChangeSet", name, e))?;
        let verdicts = self.read_change_set(name, &change_set).await;
        let deleted = self.client.delete_change_set().stack_name(name).change_set_name(&change_set).send().await;
        let verdicts = verdicts?;
        deleted.map_err(|e| error("DeleteChangeSet", name, e))?;
        Ok(verdicts)
    }

    async fn read_change_set(&self, name: &str, change_set: &str) -> Result<Verdicts, CloudError> {
        let mut verdicts = Verdicts::default();
        let mut next: Option<String> = None;
        let mut waited = Duration::ZERO;
        loop {
            let out = self
                .client
                .describe_change_set()
                .stack_name(name)
                .change_set_name(change_set)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| error("DescribeChangeSet", name, e))?;
            match out.status() {
                Some(ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress) => {
                    if waited > Duration::from_secs(300) {
                        return Err(CloudError {
                            action: "DescribeChangeSet",
                            stack: name.into(),
                            message: "the change set was not ready after 5 minutes".into(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    waited += Duration::from_millis(500);
                    continue;
                }
                Some(ChangeSetStatus::Failed) => {
                    let reason = out.status_reason().unwrap_or("");
                    // An update with no changes is not an error: there is nothing to replace.
                    if stacks::means_no_changes(reason) {
                        return Ok(verdicts);
                    }
                    return Err(CloudError {
                        action: "CreateChangeSet",
                        stack: name.into(),
                        message: format!("the change set failed: {reason}"),
                    });
                }
                _ => {}
            }
            for change in out.changes() {
                let Some(rc) = change.resource_change() else { continue };
                let Some(id) = rc.logical_resource_id() else { continue };
                let impact = match rc.replacement() {
                    Some(Replacement::True) => Impact::Replace,
                    Some(Replacement::Conditional) => Impact::MayReplace,
                    Some(Replacement::False) => Impact::Update,
                    _ => continue,
                };
                verdicts.resources.insert(id.to_string(), impact);
                for detail in rc.details() {
                    let Some(target) = detail.target() else { continue };
                    let Some(property) = target.name() else { continue };
                    let impact = match target.requires_recreation() {
                        Some(RequiresRecreation::Always) => Impact::Replace,
                        Some(RequiresRecreation::Conditionally) => Impact::MayReplace,
                        _ => Impact::Update,
                    };
                    verdicts.properties.entry(id.to_string()).or_default().insert(property.to_string(), impact);
                }
            }
            match out.next_token() {
                Some(t) => next = Some(t.to_string()),
                None => return Ok(verdicts),
            }
        }
    }
}
