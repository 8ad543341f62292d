//! What is deployed now: the templates of environments' stacks as CloudFormation holds them, for `diff
//! --against deployed` and for `status`'s drift check, and CloudFormation's own verdicts on a change
//! (`--change-set`).
//!
//! Every environment is connected to at once (each through its definition's role when the credentials
//! are for another account, as a deploy would), then every stack of all of them is read at once: the
//! cloud layer bounds the calls in flight and pauses them all when AWS throttles (see `cloud::limit`), and
//! results come back in the order asked for.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};

use super::OpsError;
use crate::cloud::{
    ChangeSetOutcome, ChangeSetRequest, Cloud, CloudError, Connector, ParameterValue, Poll, StackState, TemplateSource,
};
use crate::diff::Verdicts;
use crate::model::{Environment, Project};
use crate::synth::{ArtifactKey, ArtifactSet, Artifacts};

/// One stack to read: its artifact, its CloudFormation name and the account it is in.
pub struct StackRead<'a> {
    /// The template's artifact key.
    pub key: ArtifactKey,
    /// The CloudFormation stack name.
    pub name: String,
    /// The environment's account and region.
    pub cloud: &'a Cloud,
}

/// What one stack read found: its state and deployed template, or nothing when it does not exist.
pub type Found = Result<Option<(StackState, String)>, CloudError>;

/// Reads every stack of `reads` at once; each result beside its read, in the order given.
pub async fn read<'a>(reads: Vec<StackRead<'a>>) -> Vec<(StackRead<'a>, Found)> {
    stream::iter(reads)
        .map(|r| async move {
            let found = r.cloud.deployed(&r.name).await;
            (r, found)
        })
        .buffered(crate::cloud::limit::IN_FLIGHT)
        .collect()
        .await
}

/// The deployed template of every stack `set` synthesized (a stack that does not exist has none, so it
/// shows as added), and with `change_set` CloudFormation's verdicts on each change.
pub async fn for_diff(
    connector: &Connector,
    project: &Project,
    set: &ArtifactSet,
    change_set: bool,
) -> Result<(Artifacts, BTreeMap<ArtifactKey, Verdicts>), OpsError> {
    let envs: Vec<(&Environment, &Vec<String>)> = set
        .stacks
        .iter()
        .filter(|(_, stacks)| !stacks.is_empty())
        .filter_map(|(name, stacks)| project.find(name).filter(|e| e.aws_target().is_some()).map(|e| (e, stacks)))
        .collect();
    let connected = join_all(envs.iter().map(|(env, _)| super::deploy::connect_to_read(connector, env))).await;
    let clouds = connected.into_iter().collect::<Result<Vec<_>, _>>()?;
    let reads = envs
        .iter()
        .zip(&clouds)
        .flat_map(|((env, stacks), cloud)| {
            stacks.iter().map(move |stack| StackRead {
                key: ArtifactKey::template(&env.name, stack),
                name: crate::cfn::stack_name(&project.name, &env.name, stack),
                cloud,
            })
        })
        .collect();
    let mut templates = Artifacts::new();
    let mut verdicts = BTreeMap::new();
    for (r, found) in read(reads).await {
        let Some((state, body)) = found? else { continue };
        if change_set {
            let template = String::from_utf8_lossy(&set.artifacts[&r.key]).into_owned();
            let role = r.key.environment().and_then(|e| project.find(e)).and_then(|e| e.aws_target());
            let role = role.map(crate::model::bootstrap::execution_role_arn);
            verdicts.insert(r.key.clone(), change_set_verdicts(r.cloud, &state, &template, role.as_deref()).await?);
        }
        templates.insert(r.key, body.into_bytes());
    }
    Ok((templates, verdicts))
}

/// Why CloudFormation refused a change set made only to read its verdicts.
#[derive(Debug, thiserror::Error)]
#[error("CloudFormation refused a change set for stack `{stack}`: {reason}")]
pub struct ChangeSetRefused {
    /// The stack.
    pub stack: String,
    /// CloudFormation's reason.
    pub reason: String,
}

/// Creates a change set that would update the deployed stack to `template` (its parameters keeping their
/// current values), as `role_arn` (the bootstrap's execution role, as a deploy's would be), reads
/// CloudFormation's verdicts from it, and deletes it again.
pub async fn change_set_verdicts(
    cloud: &Cloud,
    state: &StackState,
    template: &str,
    role_arn: Option<&str>,
) -> Result<Verdicts, OpsError> {
    let declared: Vec<String> = crate::diff::parse_template(template)
        .ok()
        .and_then(|t| t.get("Parameters").and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect()))
        .unwrap_or_default();
    let name = format!("slipway-diff-{}", std::process::id());
    let request = ChangeSetRequest {
        stack: &state.name,
        name: &name,
        create: false,
        template: TemplateSource::Body(template),
        parameters: declared
            .into_iter()
            .filter(|p| state.parameters.contains_key(p))
            .map(|p| (p, ParameterValue::UsePrevious))
            .collect(),
        tags: None,
        rollback: None,
        role_arn,
    };
    match cloud.create_change_set(&request, &Poll::from_min(Duration::from_millis(500))).await? {
        ChangeSetOutcome::NoChanges => Ok(Verdicts::default()),
        ChangeSetOutcome::Failed(reason) => {
            Err(OpsError::ChangeSetRefused(ChangeSetRefused { stack: state.name.clone(), reason }))
        }
        ChangeSetOutcome::Ready(cs) => {
            let verdicts = Verdicts::of(&cs.changes);
            cloud.delete_change_set(&state.name, &cs.id).await?;
            Ok(verdicts)
        }
    }
}
