//! The roles GitHub Actions works in an environment's account with, through GitHub's OIDC provider:
//!
//! - the **deploy role**, which the environment's deploy jobs assume: it may create, execute and delete
//!   change sets of the environment's stacks (`<prefix>-*`), read them, and pass the execution role to
//!   CloudFormation; with the account's bootstrap ([`BootstrapNames`]), also pass the bootstrap's execution
//!   role (the one deploys name), read the bootstrap stack, publish assets and push images;
//! - the **execution role**, which CloudFormation runs the stacks' changes as (the deploy role cannot
//!   create what it deploys itself), able to manage the environment's own IAM roles only;
//! - the **diff role** (read-only), which pull requests and the default branch's scheduled jobs assume to
//!   compare the environment with what is deployed.
//!
//! Each role trusts exact OIDC `sub` claims ([`Subjects`]): the model makes them from the repository (by
//! name, or with the immutable IDs GitHub puts in the claims of newer repositories) and the environment
//! (`model::Project::github_deploy_roles`). The logical IDs are fixed (`GitHubOidc`, `ExecutionRole`,
//! `DeployRole`, `DiffRole`), so a stack's outputs can name them.

use super::BootstrapNames;
use crate::cfn::resources::{Principal, Role, Statement, github_oidc_provider};
use crate::cfn::{Expr, Template};

/// The `sub` claims a role trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subjects {
    /// Exactly these (`StringEquals`).
    Exactly(Vec<String>),
    /// Any matching these IAM patterns (`StringLike`: `*` matches any characters, `/` included).
    Like(Vec<String>),
}

/// Where GitHub's OIDC provider comes from: IAM has one per URL per account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OidcProvider {
    /// This template creates it (`GitHubOidc`): the account has no other stack that does.
    Create,
    /// The account has it already (another stack or environment made it): refer to it by its ARN.
    Existing,
}

/// The read-only diff role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffRole {
    /// Its fixed name (the workflows write its ARN without looking it up).
    pub name: String,
    /// Who may assume it.
    pub trust: Subjects,
}

/// The deploy, execution and diff roles of one environment.
#[derive(Clone, Debug, PartialEq)]
pub struct GitHubDeployRoles {
    /// What the environment's stacks' and roles' names start with (`shop-prod`): the roles act on
    /// `<prefix>-*` only.
    pub prefix: String,
    /// The repository and environment, for the roles' descriptions (`acme/shop`, `prod`).
    pub describes: (String, String),
    /// The deploy role's fixed name.
    pub deploy_role_name: String,
    /// Who may assume the deploy role.
    pub deploy_trust: Subjects,
    /// The diff role, when the environment has one.
    pub diff_role: Option<DiffRole>,
    /// Whether this template creates GitHub's OIDC provider.
    pub oidc_provider: OidcProvider,
    /// The AWS managed policies the execution role has, besides managing the environment's own roles
    /// (default: `PowerUserAccess`).
    pub execution_policies: Vec<Expr>,
    /// A bucket of the same template deploys upload artifacts (code, large templates) to, by logical ID:
    /// the deploy role may read and write its objects.
    pub artifacts_bucket_id: Option<String>,
    /// The store's bucket (`SLIPWAY_STORE`'s), when the definitions name it: the deploy role may read and
    /// write it, the diff role read it. (A bucket in another account must also allow them in its policy.)
    pub store_bucket: Option<String>,
    /// More statements for the deploy role (what a team's deploy reads besides its stacks).
    pub deploy_permissions: Vec<Statement>,
    /// The account and region's bootstrap (`slipway bootstrap`), when the environment deploys through it:
    /// the deploy role may pass its execution role to CloudFormation, read its stack, publish into its
    /// assets bucket and push to its image repository.
    pub bootstrap: Option<BootstrapNames>,
}

const SUB: &str = "token.actions.githubusercontent.com:sub";
const AUD: &str = "token.actions.githubusercontent.com:aud";

impl GitHubDeployRoles {
    /// Adds the roles (and the OIDC provider, when it is created here) to `t`.
    pub fn add_to(&self, t: &mut Template) {
        let prefix = &self.prefix;
        let (repo, env) = &self.describes;
        if self.oidc_provider == OidcProvider::Create {
            t.resource("GitHubOidc", github_oidc_provider());
        }
        t.resource(
            "ExecutionRole",
            Role {
                description: format!("{prefix}: the role CloudFormation runs this environment's stacks as"),
                trust: vec![Statement::trust(Principal::Service("cloudformation.amazonaws.com".into()))],
                managed_policies: self.execution_policies.clone(),
                permissions: vec![Statement::allow(
                    [
                        "iam:CreateRole",
                        "iam:DeleteRole",
                        "iam:GetRole",
                        "iam:PassRole",
                        "iam:TagRole",
                        "iam:UntagRole",
                        "iam:UpdateRole",
                        "iam:AttachRolePolicy",
                        "iam:DetachRolePolicy",
                        "iam:PutRolePolicy",
                        "iam:DeleteRolePolicy",
                        "iam:GetRolePolicy",
                    ],
                    [Expr::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{prefix}-*"))],
                )],
                max_session_seconds: None,
                name: None,
            },
        );
        let stacks = || {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{prefix}-*/*"
            ))
        };
        let mut permissions = vec![
            Statement::allow(
                [
                    "cloudformation:CreateChangeSet",
                    "cloudformation:DescribeChangeSet",
                    "cloudformation:ExecuteChangeSet",
                    "cloudformation:DeleteChangeSet",
                    "cloudformation:DescribeStacks",
                    "cloudformation:DescribeStackEvents",
                    "cloudformation:DescribeStackResources",
                    "cloudformation:GetTemplate",
                    "cloudformation:ContinueUpdateRollback",
                    "cloudformation:DeleteStack",
                ],
                [stacks()],
            ),
            Statement::allow(["cloudformation:ValidateTemplate", "cloudformation:ListStacks"], [Expr::str("*")]),
            Statement::allow(["iam:PassRole"], [Expr::get_att("ExecutionRole", "Arn")]).when(
                "StringEquals",
                "iam:PassedToService",
                Expr::str("cloudformation.amazonaws.com"),
            ),
        ];
        if let Some(bucket) = &self.artifacts_bucket_id {
            permissions
                .push(Statement::allow(["s3:GetObject", "s3:PutObject"], [Expr::sub(format!("${{{bucket}.Arn}}/*"))]));
            permissions.push(Statement::allow(["s3:ListBucket"], [Expr::get_att(bucket, "Arn")]));
        }
        if let Some(bucket) = &self.store_bucket {
            permissions.extend(store_access(bucket, &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]));
        }
        if let Some(bootstrap) = &self.bootstrap {
            permissions.extend(bootstrap_access(bootstrap));
        }
        permissions.extend(self.deploy_permissions.iter().cloned());
        t.resource(
            "DeployRole",
            Role {
                description: format!("{prefix}: assumed by {repo}'s deploy workflow for environment {env}"),
                trust: vec![self.oidc_trust(&self.deploy_trust)],
                managed_policies: vec![],
                permissions,
                max_session_seconds: Some(3600),
                name: Some(self.deploy_role_name.clone()),
            },
        );
        let Some(diff) = &self.diff_role else { return };
        let mut permissions =
            vec![Statement::allow(["cloudformation:DescribeStacks", "cloudformation:GetTemplate"], [stacks()])];
        if let Some(bucket) = &self.store_bucket {
            permissions.extend(store_access(bucket, &["s3:GetObject"]));
        }
        t.resource(
            "DiffRole",
            Role {
                description: format!(
                    "{prefix}: read-only, assumed by {repo}'s pull requests and default branch to compare \
                     environment {env} with what is deployed"
                ),
                trust: vec![self.oidc_trust(&diff.trust)],
                managed_policies: vec![],
                permissions,
                max_session_seconds: Some(3600),
                name: Some(diff.name.clone()),
            },
        );
    }

    /// The trust statement of a role assumed with a GitHub token whose `sub` is one of `subjects`.
    fn oidc_trust(&self, subjects: &Subjects) -> Statement {
        oidc_trust(&self.oidc_provider, subjects)
    }
}

/// The trust statement of a role assumed with a GitHub token (audience `sts.amazonaws.com`) whose `sub` is
/// one of `subjects`, through `provider`.
pub(super) fn oidc_trust(provider: &OidcProvider, subjects: &Subjects) -> Statement {
    let provider = match provider {
        OidcProvider::Create => Expr::r#ref("GitHubOidc"),
        OidcProvider::Existing => {
            Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com")
        }
    };
    let values = |v: &[String]| if v.len() == 1 { Expr::str(v[0].clone()) } else { Expr::strs(v.to_vec()) };
    let statement =
        Statement::trust(Principal::Federated(provider)).when("StringEquals", AUD, Expr::str("sts.amazonaws.com"));
    match subjects {
        Subjects::Exactly(v) => statement.when("StringEquals", SUB, values(v)),
        Subjects::Like(v) => statement.when("StringLike", SUB, Expr::strs(v.clone())),
    }
}

/// What a deploy does with the account's bootstrap: pass its execution role to CloudFormation (and only to
/// CloudFormation), read its stack's version and outputs, publish assets into its bucket (content-addressed,
/// so never a delete), and push images to its repository (`ecr:GetAuthorizationToken` has no resource).
fn bootstrap_access(b: &BootstrapNames) -> Vec<Statement> {
    let arn = |service: &str, rest: &str| Expr::sub(format!("arn:${{AWS::Partition}}:{service}:{rest}"));
    vec![
        Statement::allow(["iam:PassRole"], [arn("iam", &format!(":${{AWS::AccountId}}:role/{}", b.execution_role))])
            .when("StringEquals", "iam:PassedToService", Expr::str("cloudformation.amazonaws.com")),
        Statement::allow(
            ["cloudformation:DescribeStacks"],
            [arn("cloudformation", &format!("${{AWS::Region}}:${{AWS::AccountId}}:stack/{}/*", b.stack))],
        ),
        Statement::allow(["s3:GetObject", "s3:PutObject"], [arn("s3", &format!("::{}/*", b.bucket))]),
        Statement::allow(["s3:ListBucket"], [arn("s3", &format!("::{}", b.bucket))]),
        Statement::allow(["ecr:GetAuthorizationToken"], [Expr::str("*")]),
        Statement::allow(
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            [arn("ecr", &format!("${{AWS::Region}}:${{AWS::AccountId}}:repository/{}", b.repository))],
        ),
    ]
}

/// `actions` on the objects of bucket `bucket`, and listing it.
fn store_access(bucket: &str, actions: &[&str]) -> Vec<Statement> {
    vec![
        Statement::allow(actions.iter().copied(), [Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{bucket}/*"))]),
        Statement::allow(["s3:ListBucket"], [Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{bucket}"))]),
    ]
}
