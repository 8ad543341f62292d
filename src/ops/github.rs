//! `github apply`: the repository's GitHub environments made to say what `github/environments.json`
//! says — wait timer, who reviews (people and teams looked up by name for their ids), whether the person
//! who started a run may approve it, and the custom deployment branch and tag policies — changing only
//! what differs, so a second run changes nothing. With `dry_run` it reads and reports, and changes
//! nothing.
//!
//! It refuses before any request when a workflow names an environment the definitions do not have:
//! GitHub would create that environment on the first run, with no protection at all ([`check_workflows`]).
//!
//! [`approvals_of_this_run`] reads who approved a GitHub Actions run's pending deployment, for the policy
//! to count (`--approvals github`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::github::{BranchPolicySettings, EnvironmentUpdate, GitHub, GitHubError, ReviewerRef, Settings};
use crate::ledger::Approval;
use crate::synth::github::{self as gh, EnvironmentSettings, EnvironmentsFile, Reviewer};
use crate::synth::{ArtifactKind, Artifacts};

/// Why GitHub's settings could not be applied, or a run's approvals read.
#[derive(Debug, thiserror::Error)]
pub enum GitHubOpsError {
    /// A reviewer the definitions name does not exist on GitHub.
    #[error(
        "{what} `{name}`, a reviewer of environment `{environment}`, does not exist on GitHub ({endpoint} answered 404)"
    )]
    UnknownReviewer {
        /// `user` or `team`.
        what: &'static str,
        /// The login or slug.
        name: String,
        /// The environment.
        environment: String,
        /// The endpoint asked.
        endpoint: String,
    },
    /// A request failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// Workflows name GitHub environments the definitions do not have (one line each).
    #[error("refusing to apply: workflows name GitHub environments the definitions do not have")]
    UnknownEnvironments(Vec<String>),
    /// The workflows directory cannot be read.
    #[error("cannot read `{}`: {why}", .path.display())]
    Unreadable {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// Changing environments needs a token.
    #[error("GITHUB_TOKEN is not set: changing environments needs a token")]
    NoToken,
    /// Reading a run's approvals needs what GitHub Actions sets in a run.
    #[error("--approvals github needs {0}, which GitHub Actions sets in every run")]
    NotInARun(&'static str),
    /// Reading a run's approvals failed.
    #[error("reading the run's approvals: {0}")]
    Approvals(GitHubError),
    /// The roles would not trust this repository's tokens.
    #[error(transparent)]
    Oidc(#[from] super::oidc::OidcError),
}

/// One change, made or (in a dry run) to be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingChange {
    /// The environment.
    pub environment: String,
    /// What changes, in words.
    pub what: String,
}

/// Makes every environment of `file` on the GitHub `settings` name what it says (with `dry_run`, only
/// reads and says what it would change); the changes, in order, and a note on the repository's OIDC claims
/// when there is one to make. Changing needs a token. Refuses before any change when the deploy and diff
/// roles would not trust `repository`'s tokens ([`super::oidc::check`]).
pub async fn apply_settings(
    settings: Settings,
    file: &EnvironmentsFile,
    repository: &crate::model::Repository,
    dry_run: bool,
) -> Result<(Vec<SettingChange>, Option<String>), GitHubOpsError> {
    if settings.token.is_none() && !dry_run {
        return Err(GitHubOpsError::NoToken);
    }
    let github = GitHub::new(settings)?;
    let note = super::oidc::check(&github, repository).await?;
    Ok((apply(&github, file, dry_run).await?, note))
}

/// Makes every environment of `file` on GitHub what it says; the changes, in order.
pub async fn apply(
    github: &GitHub,
    file: &EnvironmentsFile,
    dry_run: bool,
) -> Result<Vec<SettingChange>, GitHubOpsError> {
    let (owner, repo) = file.repository.split_once('/').unwrap_or((&file.repository, ""));
    let mut ids: BTreeMap<Reviewer, u64> = BTreeMap::new();
    let mut changes = Vec::new();
    for env in &file.environments {
        let mut reviewers = Vec::new();
        for r in &env.reviewers {
            let id = match ids.get(r) {
                Some(id) => *id,
                None => {
                    let id = reviewer_id(github, owner, r, &env.name).await?;
                    ids.insert(r.clone(), id);
                    id
                }
            };
            let kind = match r {
                Reviewer::User { .. } => "User",
                Reviewer::Team { .. } => "Team",
            };
            reviewers.push(ReviewerRef { kind: kind.into(), id });
        }
        reviewers.sort();
        let update = EnvironmentUpdate {
            wait_timer: env.wait_timer,
            prevent_self_review: env.prevent_self_review,
            reviewers,
            deployment_branch_policy: Some(BranchPolicySettings {
                protected_branches: env.deployment_branch_policy.protected_branches,
                custom_branch_policies: env.deployment_branch_policy.custom_branch_policies,
            }),
        };
        let mut said = |what: String| changes.push(SettingChange { environment: env.name.clone(), what });
        let current = github.environment(owner, repo, &env.name).await?;
        let differences = match &current {
            None => vec![creation(&update, env)],
            Some(current) => differences(current, &update, env),
        };
        if !differences.is_empty() {
            if !dry_run {
                github.put_environment(owner, repo, &env.name, &update).await?;
            }
            for d in differences {
                said(d);
            }
        }
        let custom_now =
            current.as_ref().and_then(|c| c.deployment_branch_policy).is_some_and(|p| p.custom_branch_policies);
        // After the PUT the policies can be listed; in a dry run, only where GitHub already keeps custom ones.
        let existing =
            if custom_now || !dry_run { github.branch_policies(owner, repo, &env.name).await? } else { Vec::new() };
        let wanted: BTreeSet<(String, String)> =
            env.branch_policies.iter().map(|p| (p.name.clone(), p.kind.clone())).collect();
        for policy in &existing {
            if !wanted.contains(&(policy.name.clone(), policy.kind.clone())) {
                if !dry_run {
                    github.delete_branch_policy(owner, repo, &env.name, policy.id).await?;
                }
                said(format!("remove the {} policy `{}`", policy.kind, policy.name));
            }
        }
        let have: BTreeSet<(String, String)> = existing.iter().map(|p| (p.name.clone(), p.kind.clone())).collect();
        for p in &env.branch_policies {
            if !have.contains(&(p.name.clone(), p.kind.clone())) {
                if !dry_run {
                    let new = p.clone();
                    github.create_branch_policy(owner, repo, &env.name, &new).await?;
                }
                said(format!("add the {} policy `{}`", p.kind, p.name));
            }
        }
    }
    Ok(changes)
}

/// An environment to be created, in words: what protects it.
fn creation(update: &EnvironmentUpdate, env: &EnvironmentSettings) -> String {
    let mut parts = Vec::new();
    if update.wait_timer > 0 {
        parts.push(format!("wait timer {} minutes", update.wait_timer));
    }
    if !env.reviewers.is_empty() {
        parts.push(format!("reviewers: {}", reviewer_names(env).join(", ")));
    }
    if update.prevent_self_review && !env.reviewers.is_empty() {
        parts.push("no self-review".into());
    }
    if parts.is_empty() {
        "create the environment".into()
    } else {
        format!("create the environment ({})", parts.join("; "))
    }
}

fn reviewer_names(env: &EnvironmentSettings) -> Vec<String> {
    env.reviewers
        .iter()
        .map(|r| match r {
            Reviewer::User { login } => login.clone(),
            Reviewer::Team { slug } => format!("team {slug}"),
        })
        .collect()
}

async fn reviewer_id(github: &GitHub, owner: &str, reviewer: &Reviewer, env: &str) -> Result<u64, GitHubOpsError> {
    let base = &github.settings().api_url;
    match reviewer {
        Reviewer::User { login } => match github.user(login).await? {
            Some(u) => Ok(u.id),
            None => Err(GitHubOpsError::UnknownReviewer {
                what: "user",
                name: login.clone(),
                environment: env.into(),
                endpoint: format!("GET {base}/users/{}", crate::github::segment(login)),
            }),
        },
        Reviewer::Team { slug } => match github.team(owner, slug).await? {
            Some(t) => Ok(t.id),
            None => Err(GitHubOpsError::UnknownReviewer {
                what: "team",
                name: slug.clone(),
                environment: env.into(),
                endpoint: format!("GET {base}/orgs/{owner}/teams/{}", crate::github::segment(slug)),
            }),
        },
    }
}

/// What differs between an environment as GitHub has it and the update, in words.
fn differences(
    current: &crate::github::Environment,
    update: &EnvironmentUpdate,
    env: &EnvironmentSettings,
) -> Vec<String> {
    let mut out = Vec::new();
    let rule = |kind: &str| current.protection_rules.iter().find(|r| r.kind == kind);
    let wait = rule("wait_timer").and_then(|r| r.wait_timer).unwrap_or(0);
    if wait != update.wait_timer {
        out.push(format!("wait timer {wait} -> {} minutes", update.wait_timer));
    }
    let reviewers = rule("required_reviewers");
    let mut have: Vec<(String, u64)> =
        reviewers.map(|r| r.reviewers.iter().map(|x| (x.kind.clone(), x.reviewer.id)).collect()).unwrap_or_default();
    have.sort();
    let want: Vec<(String, u64)> = update.reviewers.iter().map(|r| (r.kind.clone(), r.id)).collect();
    if have != want {
        let names = reviewer_names(env);
        out.push(if names.is_empty() {
            "no reviewers".to_string()
        } else {
            format!("reviewers: {}", names.join(", "))
        });
    }
    let self_review = reviewers.and_then(|r| r.prevent_self_review).unwrap_or(false);
    if !update.reviewers.is_empty() && self_review != update.prevent_self_review {
        out.push(format!("prevent self-review {self_review} -> {}", update.prevent_self_review));
    }
    if current.deployment_branch_policy != update.deployment_branch_policy {
        out.push("deploy only from the custom branch and tag policies".to_string());
    }
    out
}

/// Refuses, before any request, when a workflow names a GitHub environment `file` does not define: every
/// synthesized workflow in `synthesized`, and every workflow file in `dir` (the repository's
/// `.github/workflows`), since GitHub creates an environment a job names on its first run, unprotected.
pub fn check_workflows(
    file: &EnvironmentsFile,
    synthesized: &Artifacts,
    dir: Option<&Path>,
) -> Result<(), GitHubOpsError> {
    // GitHub makes `github-pages` itself, protected to the default branch, when Pages deploys from Actions.
    let known: BTreeSet<&str> =
        file.environments.iter().map(|e| e.name.as_str()).chain([gh::PAGES_ENVIRONMENT]).collect();
    let mut texts: Vec<(String, String)> = synthesized
        .iter()
        .filter(|(k, _)| k.kind == ArtifactKind::Workflow)
        .map(|(k, v)| (format!("{} (synthesized)", k.path()), String::from_utf8_lossy(v).into_owned()))
        .collect();
    if let Some(dir) = dir {
        let unreadable = |path: &Path, e: std::io::Error| GitHubOpsError::Unreadable {
            path: path.to_path_buf(),
            why: e.to_string(),
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| unreadable(dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
            texts.push((path.display().to_string(), text));
        }
    }
    let mut details = Vec::new();
    for (source, text) in &texts {
        match gh::environments_named(text) {
            Ok(names) => {
                for name in names.iter().filter(|n| !known.contains(n.as_str())) {
                    let hint = crate::suggest::hint(name, known.iter().copied());
                    details
                        .push(format!("{source} names environment `{name}`, which the definitions do not have{hint}"));
                }
            }
            Err(why) => details.push(format!("{source} {why}")),
        }
    }
    if details.is_empty() { Ok(()) } else { Err(GitHubOpsError::UnknownEnvironments(details)) }
}

/// The approvals this GitHub Actions run's reviewers gave its deployment to environment `env`, read with
/// `settings` (the run is `GITHUB_REPOSITORY`'s `GITHUB_RUN_ID`).
pub async fn approvals_of_this_run(settings: Settings, env: &str) -> Result<Vec<Approval>, GitHubOpsError> {
    let run_id = crate::vars::var("GITHUB_RUN_ID").ok_or(GitHubOpsError::NotInARun("GITHUB_RUN_ID"))?;
    let repository = crate::vars::var("GITHUB_REPOSITORY").ok_or(GitHubOpsError::NotInARun("GITHUB_REPOSITORY"))?;
    if settings.token.is_none() {
        return Err(GitHubOpsError::NotInARun("GITHUB_TOKEN"));
    }
    let github = GitHub::new(settings)?;
    let reviews = github.run_reviews(&repository, &run_id).await.map_err(GitHubOpsError::Approvals)?;
    Ok(reviews
        .into_iter()
        .filter(|r| r.approves(env))
        .map(|r| Approval { by: r.user.login, source: format!("github run {run_id}") })
        .collect())
}
