//! The store role: what CI's jobs that hold no environment's AWS role assume to reach the store (an S3
//! bucket every runner shares), through GitHub's OIDC provider. The jobs of an environment with no AWS
//! account (only a compose host or a cloud.gov space), the feature demos' jobs when a demo has no stacks,
//! and the status page assume it (see `model::GitHubSettings::store_role`); it may read, write, list and
//! delete the store's objects under its prefix, nothing else.

use super::github_deploy::oidc_trust;
use super::{OidcProvider, Subjects};
use crate::cfn::resources::{Role, Statement, github_oidc_provider};
use crate::cfn::{Expr, Template};

/// The store role, in the account of the store's bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreAccessRole {
    /// Its fixed name (the workflows write its ARN without looking it up).
    pub name: String,
    /// The store's bucket.
    pub bucket: String,
    /// The store's prefix in the bucket (`slipway/`; empty for the whole bucket).
    pub prefix: String,
    /// Who may assume it.
    pub trust: Subjects,
    /// Whether this template creates GitHub's OIDC provider (`GitHubOidc`).
    pub oidc_provider: OidcProvider,
    /// What it is for, for its description (`acme/shop`).
    pub repository: String,
}

impl StoreAccessRole {
    /// Adds the role (`StoreRole`), and the OIDC provider when it is created here, to `t`.
    pub fn add_to(&self, t: &mut Template) {
        if self.oidc_provider == OidcProvider::Create {
            t.resource("GitHubOidc", github_oidc_provider());
        }
        let prefix = self.prefix.trim_matches('/');
        let objects = match prefix {
            "" => format!("arn:${{AWS::Partition}}:s3:::{}/*", self.bucket),
            p => format!("arn:${{AWS::Partition}}:s3:::{}/{p}/*", self.bucket),
        };
        let mut list =
            Statement::allow(["s3:ListBucket"], [Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{}", self.bucket))]);
        if !prefix.is_empty() {
            list = list.when("StringLike", "s3:prefix", Expr::strs([format!("{prefix}/*")]));
        }
        t.resource(
            "StoreRole",
            Role {
                description: format!(
                    "{}: assumed by its CI jobs that hold no environment's role, to reach the store",
                    self.repository
                ),
                trust: vec![oidc_trust(&self.oidc_provider, &self.trust)],
                managed_policies: vec![],
                permissions: vec![
                    Statement::allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [Expr::sub(objects)]),
                    list,
                ],
                max_session_seconds: Some(3600),
                name: Some(self.name.clone()),
            },
        );
    }
}
