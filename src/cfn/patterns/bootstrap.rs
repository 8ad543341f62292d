//! The bootstrap stack: what an AWS account and region needs once before slipway deploys there, as the
//! CDK's bootstrap stack is. It holds
//!
//! - the **assets bucket**, where deploys publish the code and files their templates point at: encrypted,
//!   versioned, no public access, TLS only, kept when the stack goes (releases still running point there);
//! - the **image repository**, where deploys push container images: scanned on push, tags immutable (an
//!   image tag is a content hash, so a tag that moved would be a lie), kept when the stack goes;
//! - the **CloudFormation execution role**, which every change set of a deploy, promotion or rollback
//!   names as its `RoleARN`: CloudFormation changes the stacks with its rights, not the caller's, so the
//!   deploy role itself needs no right to create what the stacks hold.
//!
//! Its outputs (`Version`, `AssetsBucket`, `ImageRepository`, `ExecutionRoleArn`) are what the engine
//! reads; `Version` says which bootstrap this is, so a deploy can refuse an account bootstrapped by an
//! older slipway. The names come from the model (`model::bootstrap`), one per account and region.

use crate::cfn::resources::{Bucket, Encryption, Principal, Role, Statement, bucket_policy};
use crate::cfn::{Expr, Output, Resource, Template};

/// The names of what a bootstrap stack holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapNames {
    /// The stack's name.
    pub stack: String,
    /// The assets bucket's name.
    pub bucket: String,
    /// The image repository's name.
    pub repository: String,
    /// The execution role's name.
    pub execution_role: String,
}

/// One account and region's bootstrap stack.
#[derive(Clone, Debug, PartialEq)]
pub struct Bootstrap {
    /// What its parts are called.
    pub names: BootstrapNames,
    /// The managed policies (by ARN) the execution role has: what CloudFormation may do when it deploys
    /// the account's stacks.
    pub execution_policies: Vec<Expr>,
    /// The bootstrap's version, its `Version` output.
    pub version: u32,
}

impl Bootstrap {
    /// The bootstrap stack's template.
    pub fn template(&self) -> Template {
        let names = &self.names;
        let mut t = Template::new(format!(
            "slipway bootstrap, version {}: the assets bucket, image repository and CloudFormation execution role \
             slipway's deploys to this account and region use",
            self.version
        ));
        let bucket: Resource = Bucket {
            encryption: Encryption::S3Managed,
            versioned: true,
            expire_noncurrent_after_days: Some(30),
            expire_after_days: None,
            access_logs: None,
        }
        .into();
        t.resource(
            "AssetsBucket",
            bucket.prop("BucketName", names.bucket.as_str()).retain().skip_check(
                "CKV_AWS_18",
                "The assets bucket holds only content-addressed objects that deploys publish (each one's key is \
                 its hash, so none is ever overwritten); it is made before any stack of the account, when there \
                 is no log bucket to send its access logs to. Writes and reads of it can be audited with \
                 CloudTrail data events.",
            ),
        );
        t.resource("AssetsBucketPolicy", bucket_policy("AssetsBucket", Vec::new()));
        t.resource(
            "ImageRepository",
            Resource::new("AWS::ECR::Repository")
                .prop("RepositoryName", names.repository.as_str())
                .prop("ImageScanningConfiguration", Expr::map([("ScanOnPush", Expr::Bool(true))]))
                .prop("ImageTagMutability", "IMMUTABLE")
                .prop("EncryptionConfiguration", Expr::map([("EncryptionType", Expr::str("AES256"))]))
                .retain()
                .skip_check(
                    "CKV_AWS_136",
                    "Images are encrypted at rest with keys ECR manages (AES256); a customer-managed KMS key \
                     would have to exist before the account's first stack, and every pull would need it too.",
                ),
        );
        t.resource(
            "ExecutionRole",
            Role {
                description: "slipway: the role CloudFormation deploys this account's stacks in this region as".into(),
                trust: vec![Statement::trust(Principal::Service("cloudformation.amazonaws.com".into()))],
                managed_policies: self.execution_policies.clone(),
                permissions: Vec::new(),
                max_session_seconds: None,
                name: Some(names.execution_role.clone()),
            },
        );
        t.output("Version", Output::new("The bootstrap's version", Expr::str(self.version.to_string())));
        t.output("AssetsBucket", Output::new("Where deploys publish file assets", Expr::r#ref("AssetsBucket")));
        t.output(
            "ImageRepository",
            Output::new("Where deploys push image assets", Expr::get_att("ImageRepository", "RepositoryUri")),
        );
        t.output("ExecutionRoleArn", Output::new("The role change sets name", Expr::get_att("ExecutionRole", "Arn")));
        t
    }
}
