//! Whether the deploy and diff roles the definitions make will trust the tokens this repository's jobs
//! get: GitHub's OIDC `sub` claim names the repository by name, or, for repositories created (or renamed,
//! transferred, opted in) after 2026-06-18, with its owner's and its own immutable IDs
//! (`repo:owner@ID/name@ID:...`); and a repository may replace the default claim with a template of its
//! own. A trust policy of the wrong form matches no token, so every job fails to get credentials: `github
//! apply` reads the repository and refuses before changing anything.

use crate::github::{GitHub, GitHubError};
use crate::model::Repository;

/// The day from which new repositories' claims carry immutable IDs.
pub const IMMUTABLE_SUBJECTS_FROM: &str = "2026-06-18";

/// Why the roles would not trust this repository's tokens.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The definitions give no IDs, and the repository's claims carry them.
    #[error(
        "repository {repository} was created on {created}, after {IMMUTABLE_SUBJECTS_FROM}: its OIDC claims name it \
         `repo:{subject}:...`, which the roles (trusting `repo:{repository}:...`) would not match"
    )]
    IdsMissing {
        /// `owner/name`.
        repository: String,
        /// Its creation date.
        created: String,
        /// The claims' name for it.
        subject: String,
        /// Its owner's ID.
        owner_id: u64,
        /// Its ID.
        repository_id: u64,
    },
    /// The definitions give other IDs than GitHub's.
    #[error(
        "the definitions give repository {repository} the IDs owner {given_owner}, repository {given_repo}; GitHub \
         says owner {owner_id}, repository {repository_id}"
    )]
    IdsDiffer {
        /// `owner/name`.
        repository: String,
        /// The owner ID the definitions give.
        given_owner: u64,
        /// The repository ID the definitions give.
        given_repo: u64,
        /// GitHub's owner ID.
        owner_id: u64,
        /// GitHub's repository ID.
        repository_id: u64,
    },
    /// The repository's claims follow a template of its own.
    #[error(
        "repository {repository} makes its OIDC subject claim from its own template ({keys}), which the roles (trusting \
         GitHub's default claim) would not match"
    )]
    Customized {
        /// `owner/name`.
        repository: String,
        /// The template's claim keys.
        keys: String,
    },
    /// The repository cannot be read.
    #[error("repository {0} does not exist, or the token may not read it")]
    NotFound(String),
    /// A request failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

/// Checks that the claims of `repository`'s jobs are of the form the definitions' roles trust; a note for
/// what cannot be known from the repository alone (an older repository given IDs, which holds only when it
/// opted in).
pub async fn check(github: &GitHub, repository: &Repository) -> Result<Option<String>, OidcError> {
    let (owner, name) = (&repository.owner, &repository.name);
    let info = github.repository(owner, name).await?.ok_or_else(|| OidcError::NotFound(repository.to_string()))?;
    if let Some(custom) = github.subject_customization(owner, name).await?
        && !custom.use_default
    {
        return Err(OidcError::Customized {
            repository: repository.to_string(),
            keys: custom.include_claim_keys.join(", "),
        });
    }
    let created = info.created_at.get(..10).unwrap_or(&info.created_at).to_string();
    // RFC 3339 dates compare as strings.
    let immutable_by_default = created.as_str() >= IMMUTABLE_SUBJECTS_FROM;
    match repository.ids {
        Some(ids) if ids.owner != info.owner.id || ids.repository != info.id => Err(OidcError::IdsDiffer {
            repository: repository.to_string(),
            given_owner: ids.owner,
            given_repo: ids.repository,
            owner_id: info.owner.id,
            repository_id: info.id,
        }),
        Some(_) if !immutable_by_default => Ok(Some(format!(
            "repository {repository} was created on {created}, before {IMMUTABLE_SUBJECTS_FROM}: its claims carry the IDs \
             the definitions give only if it opted in to immutable subject claims (Settings > Actions > OIDC)"
        ))),
        Some(_) => Ok(None),
        None if immutable_by_default => Err(OidcError::IdsMissing {
            repository: repository.to_string(),
            created,
            subject: repository.clone().with_ids(info.owner.id, info.id).subject_name(),
            owner_id: info.owner.id,
            repository_id: info.id,
        }),
        None => Ok(None),
    }
}
