//! The shapes of GitHub's REST API that slipway reads and writes (users, teams, environments, their
//! protection rules and deployment branch policies), as data: the synthesized `github/environments.json`
//! is written in them, and the engine's client sends and reads them.

use serde::{Deserialize, Serialize};

/// A user, as `GET /users/{username}` answers.
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    /// The numeric id environments name reviewers by.
    pub id: u64,
    /// The login.
    pub login: String,
}

/// A repository, as `GET /repos/{owner}/{repo}` answers (the fields slipway reads).
#[derive(Clone, Debug, Deserialize)]
pub struct RepositoryInfo {
    /// Its immutable ID.
    pub id: u64,
    /// Its owner.
    pub owner: Owner,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// A repository's owner, as a repository names it.
#[derive(Clone, Debug, Deserialize)]
pub struct Owner {
    /// The owner's login.
    pub login: String,
    /// The owner's immutable ID.
    pub id: u64,
}

/// How a repository's OIDC `sub` claim is made, as `GET /repos/{owner}/{repo}/actions/oidc/customization/sub`
/// answers: GitHub's default, or a template of claim keys.
#[derive(Clone, Debug, Deserialize)]
pub struct SubjectCustomization {
    /// Whether the default claim is used.
    pub use_default: bool,
    /// The claim keys of a custom template.
    #[serde(default)]
    pub include_claim_keys: Vec<String>,
}

/// A team, as `GET /orgs/{org}/teams/{team_slug}` answers.
#[derive(Clone, Debug, Deserialize)]
pub struct Team {
    /// The numeric id environments name reviewers by.
    pub id: u64,
    /// The slug.
    pub slug: String,
}

/// An environment, as `GET /repos/{owner}/{repo}/environments/{environment_name}` answers (the fields
/// slipway compares).
#[derive(Clone, Debug, Deserialize)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Its protection rules (`wait_timer`, `required_reviewers`, `branch_policy`).
    #[serde(default)]
    pub protection_rules: Vec<ProtectionRule>,
    /// Which branches may deploy; `null` for all.
    pub deployment_branch_policy: Option<BranchPolicySettings>,
}

/// One protection rule of an environment.
#[derive(Clone, Debug, Deserialize)]
pub struct ProtectionRule {
    /// `wait_timer`, `required_reviewers` or `branch_policy`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Minutes, for `wait_timer`.
    pub wait_timer: Option<u64>,
    /// For `required_reviewers`.
    pub prevent_self_review: Option<bool>,
    /// For `required_reviewers`.
    #[serde(default)]
    pub reviewers: Vec<RuleReviewer>,
}

/// A reviewer of a `required_reviewers` rule.
#[derive(Clone, Debug, Deserialize)]
pub struct RuleReviewer {
    /// `User` or `Team`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user or team.
    pub reviewer: ReviewerId,
}

/// A reviewer's id.
#[derive(Clone, Debug, Deserialize)]
pub struct ReviewerId {
    /// Its id.
    pub id: u64,
}

/// `deployment_branch_policy`: which refs may deploy to an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchPolicySettings {
    /// Only protected branches may deploy.
    pub protected_branches: bool,
    /// Only branches and tags matching the custom policies may deploy.
    pub custom_branch_policies: bool,
}

/// The body of `PUT /repos/{owner}/{repo}/environments/{environment_name}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvironmentUpdate {
    /// Minutes, 0 to 43,200.
    pub wait_timer: u64,
    /// Whether the person who started a job may not approve it.
    pub prevent_self_review: bool,
    /// Up to six users or teams, by id.
    pub reviewers: Vec<ReviewerRef>,
    /// Which refs may deploy.
    pub deployment_branch_policy: Option<BranchPolicySettings>,
}

/// A reviewer in a request: `{"type": "User", "id": 1}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReviewerRef {
    /// `User` or `Team`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id.
    pub id: u64,
}

/// A custom deployment branch or tag policy, as GitHub lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct BranchPolicy {
    /// Its id, which deleting it takes.
    pub id: u64,
    /// The `File.fnmatch` pattern.
    pub name: String,
    /// `branch` or `tag` (older servers leave it out: `branch`).
    #[serde(rename = "type", default = "branch")]
    pub kind: String,
}

fn branch() -> String {
    "branch".into()
}

/// A custom deployment branch or tag policy as the definitions want it, and the body of `POST
/// .../deployment-branch-policies`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BranchPolicyRule {
    /// The pattern.
    pub name: String,
    /// `branch` or `tag`.
    #[serde(rename = "type")]
    pub kind: String,
}
