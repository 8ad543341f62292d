//! The deploy role: GitHub Actions' OIDC provider and the role the environment's deploy workflow assumes,
//! trusted only for this repository's workflows running in this GitHub environment; a read-only role its
//! pull requests assume to diff the environment against what is deployed; the role CloudFormation itself
//! runs as; and the bucket deploys upload artifacts (code, large templates) to, whose requests are logged
//! to the logging stack's bucket.
//!
//! Both workflow roles have fixed names ([`slipway::model::Project::deploy_role_name`]), so the synthesized
//! workflows write their ARNs without looking anything up. The deploy role trusts the OIDC subject
//! `repo:OWNER/NAME:environment:ENV`, which GitHub gives only to jobs running in that GitHub environment,
//! after its reviewers, wait timer and deployment branch policy let them: the branch restriction lives in
//! that policy, because a job's token names its environment or its ref, never both. A feature demo's jobs
//! run in no GitHub environment, so a demo's role trusts its refs instead
//! ([`slipway::model::RefPattern::trust_subjects`]).

use slipway::cfn::resources::{
    Bucket, Encryption, Principal, Role, Statement, bucket_policy, github_oidc_provider, managed_policy,
};
use slipway::cfn::{Expr, Resource, Stack, Template};
use slipway::model::{RefKind, Tier};

use super::Context;

/// The deploy-role stack.
pub fn stack(cx: &Context) -> Stack {
    let prefix = cx.prefix();
    let mut t =
        Template::new(format!("{prefix}: deploy role (GitHub OIDC, deploy and execution roles, artifacts bucket)"));
    t.resource("GitHubOidc", github_oidc_provider());
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
    t.resource(
        "ExecutionRole",
        Role {
            description: format!("{prefix}: the role CloudFormation runs this environment's stacks as"),
            trust: vec![Statement::trust(Principal::Service("cloudformation.amazonaws.com".into()))],
            managed_policies: vec![managed_policy("PowerUserAccess")],
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
    let repo = cx.project.repository.to_string();
    let environment_subject = format!("repo:{repo}:environment:{}", cx.env.name);
    let ref_subjects: Vec<String> =
        cx.env.refs.iter().flat_map(|r| r.trust_subjects(&repo, RefKind::Branch).unwrap_or_default()).collect();
    let oidc = || {
        Statement::trust(Principal::Federated(Expr::r#ref("GitHubOidc"))).when(
            "StringEquals",
            "token.actions.githubusercontent.com:aud",
            Expr::str("sts.amazonaws.com"),
        )
    };
    let deploy_trust = if cx.env.tier == Tier::Demo && !ref_subjects.is_empty() {
        oidc().when("StringLike", "token.actions.githubusercontent.com:sub", Expr::strs(ref_subjects))
    } else {
        oidc().when("StringEquals", "token.actions.githubusercontent.com:sub", Expr::str(environment_subject))
    };
    let stacks = Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{prefix}-*/*"
    ));
    t.resource(
        "DeployRole",
        Role {
            description: format!(
                "{prefix}: assumed by {}'s deploy workflow for environment {}",
                cx.project.repository, cx.env.name
            ),
            trust: vec![deploy_trust],
            managed_policies: vec![],
            permissions: vec![
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
                    [stacks],
                ),
                Statement::allow(["cloudformation:ValidateTemplate", "cloudformation:ListStacks"], [Expr::str("*")]),
                Statement::allow(["iam:PassRole"], [Expr::get_att("ExecutionRole", "Arn")]).when(
                    "StringEquals",
                    "iam:PassedToService",
                    Expr::str("cloudformation.amazonaws.com"),
                ),
                Statement::allow(["s3:GetObject", "s3:PutObject"], [Expr::sub("${ArtifactsBucket.Arn}/*")]),
                Statement::allow(["s3:ListBucket"], [Expr::get_att("ArtifactsBucket", "Arn")]),
            ],
            max_session_seconds: Some(3600),
            name: Some(cx.project.deploy_role_name(&cx.env.name)),
        },
    );
    if cx.env.tier != Tier::Demo {
        t.resource(
            "DiffRole",
            Role {
                description: format!(
                    "{prefix}: read-only, assumed by {repo}'s pull requests to diff environment {} against what is \
                     deployed, and by its scheduled drift check",
                    cx.env.name
                ),
                // Pull requests diff; the scheduled drift and status-page workflows read from a branch.
                trust: vec![oidc().when(
                    "StringLike",
                    "token.actions.githubusercontent.com:sub",
                    Expr::strs([format!("repo:{repo}:pull_request"), format!("repo:{repo}:ref:refs/heads/*")]),
                )],
                managed_policies: vec![],
                permissions: vec![Statement::allow(
                    ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
                    [Expr::sub(format!(
                        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{prefix}-*/*"
                    ))],
                )],
                max_session_seconds: Some(3600),
                name: Some(cx.project.diff_role_name(&cx.env.name)),
            },
        );
    }
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
