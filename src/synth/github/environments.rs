//! `github/environments.json`: each permanent environment as a GitHub environment, in the shape the
//! environments API takes, which `slipway github apply` sends; and, where the project has feature demos,
//! the one environment their deployments are recorded in ([`super::DEMO_ENVIRONMENT`]).

use serde::Serialize;

use crate::github::{BranchPolicyRule, BranchPolicySettings};
use crate::model::{Project, RefKind, RefPattern, Trigger};

/// The file every project-wide GitHub environment setting is written to (under `github/`).
pub const ENVIRONMENTS_FILE: &str = "environments.json";

/// The JSON schema of `github/environments.json`, written from GitHub's documented fields and limits.
pub const ENVIRONMENTS_SCHEMA: &str = include_str!("../github-environments.schema.json");

/// One GitHub environment's settings, in the shape `PUT /repos/{owner}/{repo}/environments/{name}` takes,
/// with reviewers by name (`github apply` looks up their ids) and the custom branch and tag policies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EnvironmentSettings {
    /// The environment's name.
    pub name: String,
    /// Minutes GitHub waits before each job in it starts (0 to 43,200). Always 0: GitHub would count the
    /// wait again before every gate job of the environment and its work job, on top of slipway's own wait
    /// rule, which counts it once, from when the release reached the source (see [`crate::policy`]).
    pub wait_timer: u64,
    /// Whether the person who started a run may not approve it.
    pub prevent_self_review: bool,
    /// Who may approve (at most six).
    pub reviewers: Vec<Reviewer>,
    /// Which refs may deploy: custom policies, always.
    pub deployment_branch_policy: BranchPolicySettings,
    /// The custom policies, as `POST .../deployment-branch-policies` takes them.
    pub branch_policies: Vec<BranchPolicyRule>,
}

/// A reviewer by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum Reviewer {
    /// A person, by login.
    User {
        /// The GitHub login.
        login: String,
    },
    /// A team of the repository owner's organization, by slug.
    Team {
        /// The team's slug.
        slug: String,
    },
}

/// `github/environments.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EnvironmentsFile {
    /// The file's format version.
    pub format: u32,
    /// `owner/name`.
    pub repository: String,
    /// Every permanent environment, in definition order.
    pub environments: Vec<EnvironmentSettings>,
}

/// The GitHub environment settings of every permanent environment, and of the feature demos' one when the
/// project makes demos (`makes_demos`).
pub fn environments(project: &Project, makes_demos: bool) -> EnvironmentsFile {
    let environments = project
        .environments
        .iter()
        .map(|env| {
            let a = &env.approvals;
            let approvers = a.approvers();
            let mut reviewers: Vec<Reviewer> = if approvers.len() <= crate::model::MAX_REVIEWERS {
                approvers.iter().map(|l| Reviewer::User { login: (*l).to_string() }).collect()
            } else {
                a.groups.iter().map(|g| Reviewer::Team { slug: g.name.clone() }).collect()
            };
            if a.required == 0 {
                reviewers.clear();
            }
            reviewers.sort();
            reviewers.dedup();
            let mut branch_policies = Vec::new();
            let mut add = |pattern: &RefPattern, kind: RefKind| {
                for name in pattern.branch_policies().unwrap_or_default() {
                    let policy = BranchPolicyRule { name, kind: kind.as_str().into() };
                    if !branch_policies.contains(&policy) {
                        branch_policies.push(policy);
                    }
                }
            };
            for r in &env.refs {
                add(r, RefKind::Branch);
            }
            if let Trigger::ReleaseTag(tag) = &env.trigger {
                add(tag, RefKind::Tag);
            }
            EnvironmentSettings {
                name: env.name.clone(),
                wait_timer: 0,
                prevent_self_review: a.required > 0,
                reviewers,
                deployment_branch_policy: BranchPolicySettings {
                    protected_branches: false,
                    custom_branch_policies: true,
                },
                branch_policies,
            }
        })
        .collect::<Vec<_>>();
    let mut environments = environments;
    // Feature demos' deployments, one environment for all of them: no reviewers, the demo branches only.
    if makes_demos && crate::model::demo_prefix(&project.github.demo_branches).is_some() {
        environments.push(EnvironmentSettings {
            name: super::demos::DEMO_ENVIRONMENT.into(),
            wait_timer: 0,
            prevent_self_review: false,
            reviewers: vec![],
            deployment_branch_policy: BranchPolicySettings { protected_branches: false, custom_branch_policies: true },
            branch_policies: project
                .github
                .demo_branches
                .branch_policies()
                .unwrap_or_default()
                .into_iter()
                .map(|name| BranchPolicyRule { name, kind: RefKind::Branch.as_str().into() })
                .collect(),
        });
    }
    EnvironmentsFile { format: 1, repository: project.repository.to_string(), environments }
}

/// The JSON of `github/environments.json`, pretty, with a final newline.
pub fn environments_json(file: &EnvironmentsFile) -> String {
    let mut s = serde_json::to_string_pretty(file).expect("environment settings serialize");
    s.push('\n');
    s
}
