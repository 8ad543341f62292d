//! What a deploy will do, worked out before any call to AWS: the environment's stacks in dependency
//! order with their templates, parameters and tags.

use std::collections::{BTreeMap, BTreeSet};

use crate::cfn::validate::limits;
use crate::model::{Environment, Project, SmokeCheck};

/// One stack to deploy.
#[derive(Clone, Debug)]
pub struct StackPlan {
    /// The short name (`app`).
    pub short: String,
    /// The CloudFormation stack name (`webapp-prod-app`).
    pub name: String,
    /// The template body.
    pub template: String,
    /// Parameter values to pass.
    pub parameters: BTreeMap<String, String>,
    /// Short names of the stacks whose exports it imports.
    pub depends_on: BTreeSet<String>,
}

impl StackPlan {
    /// Whether the template is too large to pass inline.
    pub fn needs_upload(&self) -> bool {
        self.template.len() > limits::INLINE_BODY
    }
}

/// An environment's deploy.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The environment.
    pub env: Environment,
    /// The release being deployed.
    pub release: String,
    /// Stacks in dependency order.
    pub stacks: Vec<StackPlan>,
    /// Tags on every stack: environment, release, commit.
    pub tags: BTreeMap<String, String>,
    /// Checks to run after the last stack.
    pub smoke_checks: Vec<SmokeCheck>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The environment has no AWS target.
    #[error("environment `{0}` has no AWS target, so it has no stacks to deploy")]
    NoAws(String),
    /// The definitions do not synthesize.
    #[error("the definitions have problems; run `slipway check` to see them")]
    Definitions(Vec<crate::model::Problem>),
    /// A template needs a parameter nobody gave.
    #[error("stack `{stack}` needs a value for parameter `{parameter}`, which has no default")]
    MissingParameter {
        /// The stack.
        stack: String,
        /// The parameter.
        parameter: String,
    },
    /// The release name cannot be a parameter value or tag.
    #[error("release `{0}` must be 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit")]
    BadRelease(String),
}

impl Plan {
    /// Plans the deploy of `release` (from `commit`) to `env`.
    pub fn new(project: &Project, env: &str, release: &str, commit: Option<&str>) -> Result<Plan, PlanError> {
        let valid_release = !release.is_empty()
            && release.len() <= 128
            && release.starts_with(|c: char| c.is_ascii_alphanumeric())
            && release.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid_release {
            return Err(PlanError::BadRelease(release.into()));
        }
        let set = crate::synth::synth(project, &[env.to_string()]).map_err(PlanError::Definitions)?;
        let environment = project.find(env).expect("synth checked the name").clone();
        if environment.aws_target().is_none() {
            return Err(PlanError::NoAws(env.into()));
        }
        let stacks = set.stacks.get(env).cloned().unwrap_or_default();
        let deps = crate::synth::stack_dependencies(&stacks);
        let mut planned = Vec::new();
        for stack in &stacks {
            let mut parameters = BTreeMap::new();
            for (key, p) in &stack.template.parameters {
                if key == "Release" {
                    parameters.insert(key.clone(), release.to_string());
                } else if p.default.is_none() {
                    return Err(PlanError::MissingParameter { stack: stack.name.clone(), parameter: key.clone() });
                }
            }
            planned.push(StackPlan {
                short: stack.name.clone(),
                name: stack.stack_name(&project.name, env),
                template: stack.template.to_json(),
                parameters,
                depends_on: deps.get(&stack.name).cloned().unwrap_or_default(),
            });
        }
        let mut tags = BTreeMap::from([
            (crate::synth::TAG_PROJECT.to_string(), project.name.clone()),
            (crate::synth::TAG_ENVIRONMENT.to_string(), env.to_string()),
            ("slipway:release".to_string(), release.to_string()),
        ]);
        if let Some(commit) = commit {
            tags.insert("slipway:commit".into(), commit.into());
        }
        Ok(Plan {
            smoke_checks: environment.smoke_checks.clone(),
            env: environment,
            release: release.into(),
            stacks: planned,
            tags,
        })
    }
}
