//! The OIDC `sub` claims GitHub gives a project's jobs, and the deploy, execution and diff roles made from
//! them ([`crate::cfn::patterns::GitHubDeployRoles`]): an environment's deploy jobs run in its GitHub
//! environment, so its deploy role trusts `repo:R:environment:ENV` (the branch restriction lives in the
//! environment's deployment branch policy, since a token names its environment or its ref, never both); a
//! feature demo's jobs run in no environment, so its role trusts its refs; the diff role trusts pull
//! requests and the default branch. `R` is the repository as the claims name it, with its immutable IDs
//! where it has them ([`Repository::subject_name`]).
//!
//! [`Repository::subject_name`]: super::Repository::subject_name

use super::environment::{Environment, Tier};
use super::project::Project;
use super::ref_forms::RefKind;
use crate::cfn::patterns::{DiffRole, GitHubDeployRoles, OidcProvider, StoreAccessRole, Subjects};
use crate::cfn::resources::managed_policy;

impl Project {
    /// The `sub` claims environment `env`'s deploy role trusts.
    pub fn deploy_subjects(&self, env: &Environment) -> Subjects {
        let repo = self.repository.subject_name();
        let refs: Vec<String> =
            env.refs.iter().flat_map(|r| r.trust_subjects(&repo, RefKind::Branch).unwrap_or_default()).collect();
        if env.tier == Tier::Demo && !refs.is_empty() {
            Subjects::Like(refs)
        } else {
            Subjects::Exactly(vec![format!("repo:{repo}:environment:{}", env.name)])
        }
    }

    /// The `sub` claims a diff role trusts: pull requests, and the default branch's own jobs.
    pub fn diff_subjects(&self) -> Subjects {
        let repo = self.repository.subject_name();
        Subjects::Exactly(vec![
            format!("repo:{repo}:pull_request"),
            format!("repo:{repo}:ref:refs/heads/{}", self.github.default_branch),
        ])
    }

    /// Environment `env`'s deploy, execution and diff roles (no diff role for a feature demo), with the
    /// defaults: the OIDC provider created in the same template, `PowerUserAccess` for CloudFormation, no
    /// artifacts bucket; the store's bucket when the definitions name an S3 store; the bootstrap of the
    /// environment's account and region when it has one.
    pub fn github_deploy_roles(&self, env: &Environment) -> GitHubDeployRoles {
        let store_bucket = self
            .github
            .store
            .as_deref()
            .and_then(|s| s.strip_prefix("s3://"))
            .map(|s| s.split('/').next().unwrap_or(s).to_string());
        GitHubDeployRoles {
            prefix: format!("{}-{}", self.name, env.name),
            describes: (self.repository.to_string(), env.name.clone()),
            deploy_role_name: self.deploy_role_name(&env.name),
            deploy_trust: self.deploy_subjects(env),
            diff_role: (env.tier != Tier::Demo)
                .then(|| DiffRole { name: self.diff_role_name(&env.name), trust: self.diff_subjects() }),
            oidc_provider: OidcProvider::Create,
            execution_policies: vec![managed_policy("PowerUserAccess")],
            artifacts_bucket_id: None,
            store_bucket,
            deploy_permissions: Vec::new(),
            bootstrap: env.aws_target().map(super::bootstrap::names),
        }
    }

    /// The `sub` claims the store role trusts: the GitHub environments of the environments with no AWS
    /// account, the feature-demo branches, and the default branch (the status page).
    pub fn store_subjects(&self) -> Subjects {
        let repo = self.repository.subject_name();
        let mut out: Vec<String> = self
            .environments
            .iter()
            .filter(|e| e.aws_target().is_none())
            .map(|e| format!("repo:{repo}:environment:{}", e.name))
            .collect();
        out.extend(self.github.demo_branches.trust_subjects(&repo, RefKind::Branch).unwrap_or_default());
        out.push(format!("repo:{repo}:ref:refs/heads/{}", self.github.default_branch));
        Subjects::Like(out)
    }

    /// The store role (`GitHubSettings::store_role`'s name, else `<project>-store`) for the store in
    /// `bucket` under `prefix`, to add to a stack of the bucket's account: the OIDC provider made in the
    /// same template unless another stack of that account makes it ([`OidcProvider::Existing`]).
    pub fn store_access_role(&self, bucket: &str, prefix: &str) -> StoreAccessRole {
        StoreAccessRole {
            name: self.github.store_role.as_ref().map_or_else(|| format!("{}-store", self.name), |r| r.name.clone()),
            bucket: bucket.into(),
            prefix: prefix.into(),
            trust: self.store_subjects(),
            oidc_provider: OidcProvider::Create,
            repository: self.repository.to_string(),
        }
    }
}
