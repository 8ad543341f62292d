//! Who approved a workflow run's pending deployments: `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`,
//! which answers a list of `{ state, user: { login }, environments: [{ name, ... }], comment }`. GitHub's
//! environments pass a deployment on any one reviewer; slipway's policy counts these itself.

use serde::Deserialize;

use super::{GitHub, GitHubError, segment};

/// One review of a run's pending deployment.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Review {
    /// `approved` or `rejected`.
    pub state: String,
    /// Who reviewed.
    pub user: Login,
    /// The environments the review was for.
    pub environments: Vec<Named>,
}

/// A user, by login.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Login {
    /// The login.
    pub login: String,
}

/// An environment, by name.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Named {
    /// The name.
    pub name: String,
}

impl Review {
    /// Whether it approves the deployment to environment `env`.
    pub fn approves(&self, env: &str) -> bool {
        self.state == "approved" && self.environments.iter().any(|e| e.name == env)
    }
}

impl GitHub {
    /// The reviews of run `run_id` of `repository` (`owner/name`).
    pub async fn run_reviews(&self, repository: &str, run_id: &str) -> Result<Vec<Review>, GitHubError> {
        let (owner, repo) = repository.split_once('/').unwrap_or((repository, ""));
        let path = format!("/repos/{}/{}/actions/runs/{}/approvals", segment(owner), segment(repo), segment(run_id));
        self.get_json(&path).await
    }
}
