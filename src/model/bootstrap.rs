//! The one place that says what an AWS account and region's bootstrap is called and which version the
//! engine needs: the stack (`slipway-bootstrap`), its assets bucket, image repository and CloudFormation
//! execution role, each a pure function of the [`AwsTarget`]. `slipway bootstrap` makes the stack from
//! [`template`]; deploys name [`execution_role_arn`] as their change sets' role and refuse an account whose
//! stack's `Version` output is below [`REQUIRED_VERSION`]; the deploy role's pattern is given [`names`].

use super::target::AwsTarget;
use crate::cfn::Expr;
use crate::cfn::Template;
use crate::cfn::patterns::{Bootstrap, BootstrapNames};
use crate::cfn::resources::managed_policy;

/// The bootstrap stack's name, one per account and region.
pub const STACK_NAME: &str = "slipway-bootstrap";

/// The bootstrap version this template makes, and the lowest one the engine deploys with: raised whenever
/// a deploy comes to need something an older bootstrap stack lacks.
pub const REQUIRED_VERSION: u32 = 1;

/// The image repository's name (ECR names are per account and region already).
pub const IMAGE_REPOSITORY: &str = "slipway-assets";

/// The stack's output that says its version (a number, as a string).
pub const VERSION_OUTPUT: &str = "Version";
/// The stack's output that names the assets bucket.
pub const BUCKET_OUTPUT: &str = "AssetsBucket";
/// The stack's output that gives the image repository's URI.
pub const REPOSITORY_OUTPUT: &str = "ImageRepository";
/// The stack's output that gives the execution role's ARN.
pub const ROLE_OUTPUT: &str = "ExecutionRoleArn";

/// The assets bucket of `target`'s account and region: `slipway-assets-<account>-<region>`.
pub fn assets_bucket(target: &AwsTarget) -> String {
    format!("slipway-assets-{}-{}", target.account, target.region.code())
}

/// The assets bucket as a template names it, of the account and region the stack is deployed to.
pub fn assets_bucket_of_stack() -> Expr {
    Expr::sub("slipway-assets-${AWS::AccountId}-${AWS::Region}")
}

/// The image repository's URI in `target`'s account and region.
pub fn image_repository_uri(target: &AwsTarget) -> String {
    format!("{}.dkr.ecr.{}.amazonaws.com/{IMAGE_REPOSITORY}", target.account, target.region.code())
}

/// The CloudFormation execution role's name in `target`'s account: `slipway-cfn-exec-<region>` (IAM is
/// global to the account, so the region tells two regions' roles apart).
pub fn execution_role(target: &AwsTarget) -> String {
    format!("slipway-cfn-exec-{}", target.region.code())
}

/// The execution role's ARN, which deploys pass as their change sets' `RoleARN`.
pub fn execution_role_arn(target: &AwsTarget) -> String {
    super::Project::role_arn(target, &execution_role(target))
}

/// Everything the bootstrap of `target` names.
pub fn names(target: &AwsTarget) -> BootstrapNames {
    BootstrapNames {
        stack: STACK_NAME.to_string(),
        bucket: assets_bucket(target),
        repository: IMAGE_REPOSITORY.to_string(),
        execution_role: execution_role(target),
    }
}

/// The bootstrap stack's template for `target`, its execution role with `policies` (managed policy ARNs),
/// or `AdministratorAccess` when none are given, as the CDK's bootstrap does.
pub fn template(target: &AwsTarget, policies: &[String]) -> Template {
    let execution_policies = match policies.is_empty() {
        true => vec![managed_policy("AdministratorAccess")],
        false => policies.iter().map(|p| Expr::str(p.clone())).collect(),
    };
    Bootstrap { names: names(target), execution_policies, version: REQUIRED_VERSION }.template()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, Region};

    #[test]
    fn names_follow_the_account_and_region() {
        let target = AwsTarget { account: AccountId::new("111111111111"), region: Region::UsGovWest1 };
        assert_eq!(assets_bucket(&target), "slipway-assets-111111111111-us-gov-west-1");
        assert_eq!(execution_role_arn(&target), "arn:aws-us-gov:iam::111111111111:role/slipway-cfn-exec-us-gov-west-1");
        let t = template(&target, &[]);
        let json: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(json["Outputs"]["Version"]["Value"], REQUIRED_VERSION.to_string());
        assert_eq!(
            json["Resources"]["ExecutionRole"]["Properties"]["ManagedPolicyArns"][0]["Fn::Sub"],
            "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"
        );
        let given = template(&target, &["arn:aws:iam::aws:policy/PowerUserAccess".into()]);
        let json: serde_json::Value = serde_json::from_str(&given.to_json()).unwrap();
        assert_eq!(
            json["Resources"]["ExecutionRole"]["Properties"]["ManagedPolicyArns"],
            serde_json::json!(["arn:aws:iam::aws:policy/PowerUserAccess"])
        );
    }
}
