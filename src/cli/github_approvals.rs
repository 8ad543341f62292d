//! `--approvals github`: the approvals of this GitHub Actions run's pending deployment to the target
//! environment, as the policy counts them. GitHub passes a deployment on any one reviewer; slipway reads
//! who they were and enforces the count, groups and distinct people itself.

use super::CliError;
use crate::github::{GitHub, Settings};
use crate::ledger::Approval;

/// The approvals this run's reviewers gave its deployment to environment `env`.
pub async fn of_this_run(env: &str) -> Result<Vec<Approval>, CliError> {
    let var = |name: &'static str| {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            CliError::user(format!("--approvals github needs {name}, which GitHub Actions sets in every run"))
                .hint("outside GitHub Actions, name the approvers with --approved-by")
        })
    };
    let run_id = var("GITHUB_RUN_ID")?;
    let repository = var("GITHUB_REPOSITORY")?;
    var("GITHUB_TOKEN")?;
    let github = GitHub::new(Settings::from_env()).map_err(|e| CliError::cloud(e.to_string()))?;
    let reviews = github
        .run_reviews(&repository, &run_id)
        .await
        .map_err(|e| CliError::cloud(e.to_string()).hint("the token needs `actions: read` on the repository"))?;
    Ok(reviews
        .into_iter()
        .filter(|r| r.approves(env))
        .map(|r| Approval { by: r.user.login, source: format!("github run {run_id}") })
        .collect())
}
