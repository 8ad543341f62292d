//! Who approved a workflow run's pending deployments: `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`,
//! which answers a list of `{ state, user: { login }, environments: [{ name }], comment }`.

use super::{Github, GithubError};

/// One review of a run's pending deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// The reviewer's login.
    pub login: String,
    /// `approved` or `rejected`.
    pub state: String,
    /// The environments the review was for.
    pub environments: Vec<String>,
}

impl Github {
    /// The reviews of run `run_id` of `repository` (`owner/name`).
    pub async fn run_reviews(&self, repository: &str, run_id: &str) -> Result<Vec<Review>, GithubError> {
        let path = format!("/repos/{repository}/actions/runs/{run_id}/approvals");
        let value = self.get_json(&path).await?;
        let url = format!("{}{path}", self.api);
        let shape = |why: &str| GithubError::Shape { url: url.clone(), why: why.to_string() };
        let list = value.as_array().ok_or_else(|| shape("the answer is not a list"))?;
        list.iter()
            .map(|r| {
                let login = r["user"]["login"].as_str().ok_or_else(|| shape("a review has no user.login"))?;
                let state = r["state"].as_str().ok_or_else(|| shape("a review has no state"))?;
                let environments = r["environments"]
                    .as_array()
                    .ok_or_else(|| shape("a review has no environments"))?
                    .iter()
                    .map(|e| e["name"].as_str().map(str::to_string).ok_or_else(|| shape("an environment has no name")))
                    .collect::<Result<_, _>>()?;
                Ok(Review { login: login.into(), state: state.into(), environments })
            })
            .collect()
    }
}
