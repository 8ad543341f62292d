//! GitHub Actions workflows and GitHub environments, synthesized from the same definitions as everything
//! else, so that the deployment-flow document, the environments' protection rules, the IAM trust policies
//! and the workflow files can no longer drift apart.
//!
//! Project-wide artifacts: `.github/workflows/slipway-*.yml` and `github/environments.json`. Each
//! permanent environment is a GitHub environment of the same name, and every job that touches it runs in
//! it: GitHub's reviewers, wait timer and deployment branch policy (written by the one ref compiler, see
//! [`crate::model::RefPattern::branch_policies`]) gate the job, and the job's OIDC token (`sub` =
//! `repo:OWNER/NAME:environment:ENV`) is what the environment's deploy role trusts. A job that names no
//! environment can therefore never assume a deploy role. GitHub passes a deployment on one reviewer, so an
//! environment needing n approvals gets n jobs in a row in it (n - 1 gates, then the work), and slipway's
//! own policy counts the run's approvals (`--approvals github`): how many, from which groups, how distinct.
//!
//! Values reach scripts only through `env:` (never `${{ }}` inside `run:`), so a branch name or a
//! workflow input cannot inject shell.

mod demos;
mod deploy;
mod drift;
mod environments;
mod jobs;
mod promote;
mod pull_request;
mod rollback;
mod status;
mod workflow;

use std::collections::BTreeSet;

use super::templates::{RenderError, render};
use crate::model::Definitions;

pub use demos::DEMO_ENVIRONMENT;
pub use environments::{
    ENVIRONMENTS_FILE, ENVIRONMENTS_SCHEMA, EnvironmentSettings, EnvironmentsFile, Reviewer, environments,
    environments_json,
};
pub use jobs::{AWS_CREDENTIALS, CACHE, CHECKOUT, DEPLOY_PAGES, UPLOAD_PAGES_ARTIFACT};
pub use status::PAGES_ENVIRONMENT;
pub use workflow::{Concurrency, Input, Job, Step, Triggers, Workflow};

/// Every workflow of the project, in file-name order.
pub fn workflows(project: &Definitions) -> Vec<Workflow> {
    let mut out = vec![pull_request::pull_request(project)];
    for env in &project.environments {
        if let Some(w) = deploy::deploy(project, env) {
            out.push(w);
        }
    }
    if let Some(w) = promote::promote(project) {
        out.push(w);
    }
    out.push(rollback::rollback(project));
    if let Some(w) = demos::demos(project) {
        out.push(w);
    }
    if let Some(w) = drift::drift(project) {
        out.push(w);
    }
    out.push(status::status(project, &out));
    out.sort_by(|a, b| a.file.cmp(&b.file));
    for w in &mut out {
        w.env.extend(jobs::workflow_env(project));
        w.working_directory = project.github.working_directory.clone();
    }
    out
}

/// The GitHub environments the jobs of a workflow (its YAML text) run in; an error says why it cannot be
/// read, or names a job whose environment is an expression, which cannot be known before it runs.
pub fn environments_named(yaml: &str) -> Result<BTreeSet<String>, String> {
    let workflow: serde_json::Value = serde_yaml_ng::from_str(yaml).map_err(|e| format!("is not YAML: {e}"))?;
    let mut out = BTreeSet::new();
    let jobs = workflow.get("jobs").and_then(serde_json::Value::as_object).into_iter().flatten();
    for (id, job) in jobs {
        let name = match job.get("environment") {
            None => continue,
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(env) => match env.get("name").and_then(serde_json::Value::as_str) {
                Some(s) => s.to_string(),
                None => return Err(format!("job `{id}` names its environment in a form slipway cannot read")),
            },
        };
        if name.contains("${{") {
            return Err(format!(
                "job `{id}` computes its environment (`{name}`), which could name one the definitions do not protect"
            ));
        }
        out.insert(name);
    }
    Ok(out)
}

/// A workflow's text.
pub fn render_workflow(workflow: &Workflow) -> Result<String, RenderError> {
    render("github/workflow.yml", workflow)
}
