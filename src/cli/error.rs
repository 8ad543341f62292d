//! The engine's errors as the command line reports them: each becomes a [`CliError`] (defined with the
//! definitions' command line, `crate::app::error`) through a `From` impl here, so the kind of each, and so
//! its exit status, is decided once.

use super::CliError;
use crate::apply::cloudformation::PlanError;
use crate::cloud::{CloudError, ConnectError};
use crate::ledger::LedgerError;
use crate::ledger::lock::LockError;
use crate::ops::OpsError;
use crate::release::ReleaseError;
use crate::store::StoreError;

impl From<PlanError> for CliError {
    fn from(e: PlanError) -> Self {
        CliError::user(e.to_string())
    }
}

impl From<ConnectError> for CliError {
    fn from(e: ConnectError) -> Self {
        let hint = e.hint();
        CliError::cloud(e.to_string()).hint(hint).hint("nothing was read or changed")
    }
}

impl From<CloudError> for CliError {
    fn from(e: CloudError) -> Self {
        CliError::cloud(e.to_string()).hint(
            "credentials and region come from the standard AWS chain (AWS_PROFILE, AWS_REGION, ...); \
             AWS_ENDPOINT_URL overrides the endpoint",
        )
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Cloud { .. } => CliError::cloud(e.to_string())
                .hint("an S3 store is reached through the standard AWS chain (AWS_PROFILE, AWS_REGION, ...)"),
            StoreError::BadLocation(..) => CliError::user(e.to_string()),
            StoreError::Io { .. } => {
                CliError::user(e.to_string()).hint("check the store's directory (--store, SLIPWAY_STORE)")
            }
        }
    }
}

impl From<ReleaseError> for CliError {
    fn from(e: ReleaseError) -> Self {
        match e {
            ReleaseError::Store(e) => e.into(),
            ReleaseError::Missing { .. } => CliError::user(e.to_string())
                .hint("create it with `slipway release create --id ID`, or list them with `slipway release ls`"),
            _ => CliError::user(e.to_string()),
        }
    }
}

impl From<LedgerError> for CliError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(e) => e.into(),
            _ => CliError::user(e.to_string()),
        }
    }
}

impl From<LockError> for CliError {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Store(e) => e.into(),
            LockError::Held { ref env, .. } | LockError::StillHeld { ref env, .. } => {
                let env = env.clone();
                CliError::user(e.to_string())
                    .hint("wait for it with --wait-lock 10m, or see what holds it with `slipway status`")
                    .hint(format!(
                        "if its run is gone for good, `slipway unlock --env {env}` removes it (and records who did)"
                    ))
            }
            LockError::Unreadable { .. } => CliError::user(e.to_string()),
        }
    }
}

impl From<crate::ops::demo::DemoError> for CliError {
    fn from(e: crate::ops::demo::DemoError) -> Self {
        OpsError::Demo(e).into()
    }
}

impl From<crate::ops::release::SourceError> for CliError {
    fn from(e: crate::ops::release::SourceError) -> Self {
        use crate::ops::release::SourceError;
        match e {
            SourceError::Read(e) => e.into(),
            SourceError::Bits(_) => CliError::user(e.to_string())
                .hint("a service's `.source(DIR)` is relative to the directory slipway runs in (the top of the project)"),
            SourceError::Asset(_) => CliError::user(e.to_string()).hint(
                "an asset's paths and build run in the directory slipway runs in (the top of the project); \
                 nothing was released",
            ),
            SourceError::Dirty { .. } => CliError::user(e.to_string())
                .hint("commit the changes and release that commit, or pass --allow-dirty to release them as they are (the release says so)"),
            SourceError::Edited { ref path, .. } | SourceError::Unlisted(ref path) => {
                let dir = path.parent().and_then(|p| p.parent()).and_then(|p| p.parent()).unwrap_or(path);
                let hint = format!(
                    "synthesize it again with `slipway synth --out {}`, review it, and deploy that",
                    dir.display()
                );
                CliError::user(e.to_string()).hint(hint)
            }
            SourceError::NoTemplates { ref dir, .. } => {
                let hint = format!("synthesize it again with `slipway synth --out {}`, review it, and deploy that", dir.display());
                CliError::user(e.to_string()).hint(hint)
            }
        }
    }
}

impl From<crate::github::GitHubError> for CliError {
    fn from(e: crate::github::GitHubError) -> Self {
        crate::ops::github::GitHubOpsError::from(e).into()
    }
}

impl From<crate::ops::github::GitHubOpsError> for CliError {
    fn from(e: crate::ops::github::GitHubOpsError) -> Self {
        use crate::ops::github::GitHubOpsError;
        match e {
            GitHubOpsError::UnknownReviewer { .. } => CliError::user(e.to_string()).hint(
                "approval groups list GitHub logins (and are GitHub teams of the owner when they have more than six people)",
            ),
            GitHubOpsError::GitHub(ref inner) => {
                let mut err = CliError::cloud(e.to_string());
                if matches!(inner.status(), Some(401 | 403)) {
                    err = err.hint("GITHUB_TOKEN must be a token that may administer the repository");
                }
                err.hint("what was changed before the failure stays; running it again changes only what still differs")
            }
            GitHubOpsError::UnknownEnvironments(details) => {
                CliError::user("refusing to apply: workflows name GitHub environments the definitions do not have")
                    .details(details)
                    .hint("GitHub creates an environment a job names on its first run, with no protection at all")
                    .hint("fix the workflow, or define the environment; nothing was changed")
            }
            GitHubOpsError::Unreadable { .. } => CliError::user(e.to_string()),
            GitHubOpsError::NoToken => CliError::user(e.to_string()).hint(
                "use a token that may administer the repository (a fine-grained token with \"Administration\" write)",
            ),
            GitHubOpsError::NotInARun(_) => {
                CliError::user(e.to_string()).hint("outside GitHub Actions, name the approvers with --approved-by")
            }
            GitHubOpsError::Approvals(_) => {
                CliError::cloud(e.to_string()).hint("the token needs `actions: read` on the repository")
            }
            GitHubOpsError::Oidc(ref oidc) => oidc_refusal(oidc, e.to_string()),
        }
    }
}

/// The refusal of a repository whose tokens the roles would not trust, saying how to make them match.
fn oidc_refusal(e: &crate::ops::oidc::OidcError, message: String) -> CliError {
    use crate::ops::oidc::OidcError;
    let fix = "nothing was changed; deploy the roles again after the change (their trust policies follow it)";
    match e {
        OidcError::IdsMissing { owner_id, repository_id, .. } => CliError::user(message)
            .hint(format!("give the repository its IDs: `Repository::new(..).with_ids({owner_id}, {repository_id})`"))
            .hint(fix),
        OidcError::IdsDiffer { owner_id, repository_id, .. } => CliError::user(message)
            .hint(format!("give GitHub's IDs: `.with_ids({owner_id}, {repository_id})`"))
            .hint(fix),
        OidcError::Customized { repository, .. } => CliError::user(message).hint(format!(
            "use GitHub's default claim: `PUT /repos/{repository}/actions/oidc/customization/sub` with              `{{\"use_default\": true}}`"
        )),
        OidcError::NotFound(_) => {
            CliError::user(message).hint("check the repository in the definitions, and that GITHUB_TOKEN may read it")
        }
        OidcError::GitHub(_) => CliError::cloud(message),
    }
}

impl From<OpsError> for CliError {
    fn from(e: OpsError) -> Self {
        match e {
            OpsError::Lock(e) => e.into(),
            OpsError::Ledger(e) => e.into(),
            OpsError::Release(e) => e.into(),
            OpsError::Source(e) => e.into(),
            OpsError::Plan(e) => e.into(),
            OpsError::Connect(e) => e.into(),
            OpsError::Cloud(e) => e.into(),
            OpsError::Store(e) => e.into(),
            OpsError::GitHub(e) => e.into(),
            OpsError::ChangeSetRefused(e) => CliError::cloud(e.to_string()),
            OpsError::NotBootstrapped(e) => CliError::not_bootstrapped(e.to_string()).hint(
                "the bootstrap stack (slipway-bootstrap) holds the assets bucket, the image repository and the role \
                 CloudFormation deploys as; nothing was taken or changed",
            ),
            // A build that fails is the Dockerfile's or the context's; a push, the registry's or the engine's.
            OpsError::Image(
                e @ (crate::ops::images::ImageError::Build { .. } | crate::ops::images::ImageError::Synthesis { .. }),
            ) => CliError::user(e.to_string()),
            OpsError::Image(e) => CliError::cloud(e.to_string()),
            OpsError::Host(e) => match e {
                crate::ops::compose_host::HostError::Compose(_) => CliError::cloud(e.to_string()),
                _ => CliError::user(e.to_string()),
            },
            OpsError::CloudGov(e) => match e {
                crate::ops::cloudgov::CloudGovError::Api(crate::cloudfoundry::CfError::Settings(_)) => {
                    CliError::user(e.to_string())
                }
                crate::ops::cloudgov::CloudGovError::Api(_) => CliError::cloud(e.to_string()),
                _ => CliError::user(e.to_string()),
            },
            OpsError::Demo(e) => match e {
                crate::ops::demo::DemoError::Compose(_) => CliError::cloud(e.to_string()),
                _ => CliError::user(e.to_string()),
            },
            OpsError::NothingFor { .. } => CliError::user(e.to_string())
                .hint("create a release that includes it; `slipway release show ID` lists what a release holds"),
            OpsError::Promotion(ref p) => {
                let err = CliError::user(e.to_string());
                match p {
                    crate::ops::promote::PromoteError::NotRunning { .. } => {
                        err.hint("promote it into one of them first, or name the source with --from")
                    }
                    _ => err,
                }
            }
            OpsError::Verify(_) | OpsError::Freeze(_) | OpsError::Drift(_) => CliError::user(e.to_string()),
            OpsError::NothingBefore { ref env, .. } => {
                let hint = format!("`slipway history --env {env}` lists what ran there");
                CliError::user(e.to_string()).hint(hint)
            }
            OpsError::Refused(refusals) => CliError::user(format!(
                "refused by the policy ({} rule{}); nothing was changed:",
                refusals.len(),
                if refusals.len() == 1 { "" } else { "s" }
            ))
            .details(refusals.iter().map(ToString::to_string)),
        }
    }
}
