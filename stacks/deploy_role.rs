//! The deploy role: GitHub Actions' OIDC provider and the role the environment's deploy workflow assumes,
//! trusted only for this repository's workflows running in this GitHub environment; a read-only role its
//! pull requests assume to diff the environment against what is deployed; the role CloudFormation itself
//! runs as; and the bucket deploys upload artifacts (code, large templates) to, whose requests are logged
//! to the logging stack's bucket.
//!
//! The roles are the library's pattern ([`slipway::cfn::patterns::GitHubDeployRoles`], made for the
//! environment by [`slipway::model::Project::github_deploy_roles`]): fixed names, so the synthesized
//! workflows write their ARNs without looking anything up; the deploy role trusts the OIDC subject of jobs
//! in the environment's GitHub environment (a demo's, its refs), the diff role pull requests and the
//! default branch.

use slipway::cfn::resources::{Bucket, Encryption, bucket_policy};
use slipway::cfn::{Expr, Resource, Stack, Template};

use super::Context;

/// The deploy-role stack.
pub fn stack(cx: &Context) -> Stack {
    let prefix = cx.prefix();
    let mut t =
        Template::new(format!("{prefix}: deploy role (GitHub OIDC, deploy and execution roles, artifacts bucket)"));
    let artifacts: Resource = Bucket {
        encryption: Encryption::S3Managed,
        versioned: true,
        expire_noncurrent_after_days: Some(30),
        expire_after_days: Some(180),
        access_logs: Some(cx.access_logs("artifacts")),
    }
    .into();
    t.resource("ArtifactsBucket", artifacts.retain());
    t.resource("ArtifactsBucketPolicy", bucket_policy("ArtifactsBucket", vec![]));
    // The library's pattern, with the bucket deploys upload code and large templates to.
    let mut roles = cx.project.github_deploy_roles(cx.env);
    roles.artifacts_bucket_id = Some("ArtifactsBucket".into());
    roles.add_to(&mut t);
    t.output(
        "DeployRoleArn",
        cx.exported(
            "deploy-role",
            "DeployRoleArn",
            "the role the deploy workflow assumes",
            Expr::get_att("DeployRole", "Arn"),
        ),
    );
    t.output(
        "ExecutionRoleArn",
        cx.exported(
            "deploy-role",
            "ExecutionRoleArn",
            "the role CloudFormation runs as",
            Expr::get_att("ExecutionRole", "Arn"),
        ),
    );
    t.output(
        "ArtifactsBucketName",
        cx.exported(
            "deploy-role",
            "ArtifactsBucketName",
            "where deploys upload code and large templates",
            Expr::r#ref("ArtifactsBucket"),
        ),
    );
    Stack::new("deploy-role", t)
}
