//! What a deploy will do, worked out before any call to AWS, from one environment's artifacts (the bytes
//! `synth` wrote and a reviewer read): the stacks in dependency order with their templates, parameters
//! and tags. Nothing is synthesized here, so what is deployed is exactly what was reviewed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::cfn::deps::{self, Links};
use crate::cfn::validate::limits;
use crate::model::{Environment, SmokeCheck};
use crate::synth::{Artifacts, TAG_ENVIRONMENT, TAG_PROJECT};

/// One stack to deploy.
#[derive(Clone, Debug)]
pub struct StackPlan {
    /// The short name (`app`).
    pub short: String,
    /// The CloudFormation stack name (`shop-prod-app`).
    pub name: String,
    /// The template body, as synthesized.
    pub template: String,
    /// Parameter values to pass.
    pub parameters: BTreeMap<String, String>,
    /// Short names of the stacks it depends on (imports, declared order).
    pub depends_on: BTreeSet<String>,
    /// Where CloudFormation can read the template from, when it is too large to pass inline and a copy
    /// already sits in S3 (the release store's); otherwise a large template is uploaded to the artifacts
    /// bucket.
    pub template_url: Option<String>,
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
    /// Tags on every stack: project, environment, and any [`Plan::with_tags`] adds. Never the release or
    /// the commit: CloudFormation applies a stack's tags to every taggable resource again whenever one of
    /// them changes (and replaces resources whose tags are create-only), so tags that changed with every
    /// release would update every stack on every deploy. The ledger says which release runs where.
    pub tags: BTreeMap<String, String>,
    /// Checks to run after the last stack.
    pub smoke_checks: Vec<SmokeCheck>,
    /// The role every change set names (`RoleARN`): the account's bootstrap execution role, so that
    /// CloudFormation changes the stacks with its rights rather than the caller's. `None` only for the
    /// bootstrap stack itself, which makes that role.
    pub role_arn: Option<String>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The environment has no AWS target.
    #[error("environment `{0}` has no AWS target, so it has no stacks to deploy")]
    NoAws(String),
    /// A template is not JSON.
    #[error("the template of stack `{stack}` cannot be read: {why}")]
    BadTemplate {
        /// The stack.
        stack: String,
        /// Why.
        why: String,
    },
    /// A template needs a parameter nobody gave.
    #[error("stack `{stack}` needs a value for parameter `{parameter}`, which has no default")]
    MissingParameter {
        /// The stack.
        stack: String,
        /// The parameter.
        parameter: String,
    },
    /// The templates import each other in a circle.
    #[error("stacks {} depend on each other in a cycle; CloudFormation cannot deploy them", .0.join(", "))]
    Cycle(Vec<String>),
    /// The release name cannot be a parameter value or tag.
    #[error("release `{0}` must be 1 to 128 letters, digits, `.`, `_` or `-`, starting with a letter or digit")]
    BadRelease(String),
}

impl Plan {
    /// Adds `tags` to every stack's (a feature demo's name and expiry).
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = (String, String)>) -> Plan {
        self.tags.extend(tags);
        self
    }

    /// Gives every stack whose template is too large to pass inline the URL `url_of` has for its short name.
    pub fn with_template_urls(mut self, url_of: impl Fn(&str) -> Option<String>) -> Plan {
        for sp in &mut self.stacks {
            if sp.needs_upload() {
                sp.template_url = url_of(&sp.short);
            }
        }
        self
    }

    /// Plans the deploy of `release` of `env`'s templates in `artifacts` (other artifacts and other
    /// environments' are ignored).
    pub fn new(project: &str, env: &Environment, release: &str, artifacts: &Artifacts) -> Result<Plan, PlanError> {
        if !crate::release::valid_id(release) {
            return Err(PlanError::BadRelease(release.into()));
        }
        if env.aws_target().is_none() {
            return Err(PlanError::NoAws(env.name.clone()));
        }
        let mut parsed: Vec<(String, String, Value)> = Vec::new();
        for (key, bytes) in artifacts.iter().filter(|(k, _)| k.environment() == Some(env.name.as_str())) {
            let Some(stack) = key.stack() else { continue };
            let text = String::from_utf8(bytes.clone())
                .map_err(|_| PlanError::BadTemplate { stack: stack.into(), why: "it is not UTF-8".into() })?;
            let json: Value = serde_json::from_str(&text)
                .map_err(|e| PlanError::BadTemplate { stack: stack.into(), why: format!("it is not JSON: {e}") })?;
            parsed.push((stack.to_string(), text, json));
        }
        let links: Vec<(String, Links)> = parsed.iter().map(|(s, _, j)| (s.clone(), Links::of_template(j))).collect();
        let dependencies = deps::dependencies(links.iter().map(|(n, l)| (n.as_str(), l)));
        let names: Vec<String> = parsed.iter().map(|(s, _, _)| s.clone()).collect();
        let order = deps::order(&names, &dependencies).map_err(PlanError::Cycle)?;
        let mut stacks = Vec::new();
        for short in order {
            let (_, text, json) = parsed.iter().find(|(s, _, _)| *s == short).expect("ordered from these stacks");
            let mut parameters = BTreeMap::new();
            if let Some(Value::Object(declared)) = json.get("Parameters") {
                for (key, p) in declared {
                    if key == "Release" {
                        parameters.insert(key.clone(), release.to_string());
                    } else if p.get("Default").is_none() {
                        return Err(PlanError::MissingParameter { stack: short.clone(), parameter: key.clone() });
                    }
                }
            }
            stacks.push(StackPlan {
                name: crate::cfn::stack_name(project, &env.name, &short),
                template: text.clone(),
                parameters,
                depends_on: dependencies.get(&short).cloned().unwrap_or_default(),
                template_url: None,
                short,
            });
        }
        let tags = BTreeMap::from([
            (TAG_PROJECT.to_string(), project.to_string()),
            (TAG_ENVIRONMENT.to_string(), env.name.clone()),
        ]);
        Ok(Plan {
            smoke_checks: env.smoke_checks.clone(),
            env: env.clone(),
            release: release.into(),
            stacks,
            tags,
            role_arn: env.aws_target().map(crate::model::bootstrap::execution_role_arn),
        })
    }
}
