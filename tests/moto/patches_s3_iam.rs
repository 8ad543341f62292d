//! moto as tests/moto/server.py patches it makes S3 buckets, IAM roles and ECR repositories through
//! CloudFormation as CloudFormation does where moto 5.2.5 does not (tests/README.md, differences 21 to 24):
//! a bucket's versioning and public access block, a bucket policy (with the TLS-only guard read as S3 reads
//! it for a request over TLS), a role's managed policies on create, update and delete, and a repository's
//! scan on push.

use aws_sdk_cloudformation::types::Capability;
use serde_json::{Value, json};

use crate::moto::{Moto, block_on, call, get};

fn bucket_template(role_policies: &[&str]) -> Value {
    let guard = json!({
        "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [{"Fn::GetAtt": ["Guarded", "Arn"]}, {"Fn::Sub": "${Guarded.Arn}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    });
    let closed = json!({
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::patch-closed/*"
    });
    json!({"Resources": {
        "Guarded": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": "patch-guarded",
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true,
                "RestrictPublicBuckets": true
            }
        }},
        "GuardedPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Guarded"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [guard]}
        }},
        "Closed": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "patch-closed"}},
        "ClosedPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Closed"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [closed]}
        }},
        "Images": {"Type": "AWS::ECR::Repository", "Properties": {
            "RepositoryName": "patch-images", "ImageScanningConfiguration": {"ScanOnPush": true}
        }},
        "Runner": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "patch-runner",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"
            }]},
            "ManagedPolicyArns": role_policies
        }}
    }})
}

/// The versioning status S3 reports for `bucket` (read as XML: the SDK cannot read moto's answer, whose
/// root element is misnamed).
pub(crate) fn versioning(moto: &Moto, bucket: &str) -> Option<String> {
    let (status, body) = get(&moto.endpoint, "s3", &format!("/{bucket}?versioning"));
    assert_eq!(status, 200, "{body}");
    body.split("<Status>").nth(1).and_then(|s| s.split('<').next()).map(str::to_string)
}

/// The managed policies IAM says role `patch-runner` has, by name.
fn attached(moto: &Moto) -> Vec<String> {
    let (status, body) =
        call(&moto.endpoint, "iam", None, "Action=ListAttachedRolePolicies&RoleName=patch-runner&Version=2010-05-08");
    assert_eq!(status, 200, "{body}");
    body.split("<PolicyName>").skip(1).filter_map(|s| s.split('<').next()).map(str::to_string).collect()
}

#[test]
fn buckets_keep_their_settings_and_policies_and_roles_their_managed_policies() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    let s3 = moto.s3();
    block_on(async {
        let create = |template: Value| {
            client
                .create_stack()
                .stack_name("patched")
                .template_body(template.to_string())
                .capabilities(Capability::CapabilityNamedIam)
        };
        create(bucket_template(&["arn:aws:iam::aws:policy/AdministratorAccess"])).send().await.unwrap();
        assert_eq!(versioning(&moto, "patch-guarded"), Some("Enabled".into()), "{}", moto.log());
        let block = s3.get_public_access_block().bucket("patch-guarded").send().await.unwrap();
        let block = block.public_access_block_configuration().unwrap();
        let flags = [
            block.block_public_acls(),
            block.block_public_policy(),
            block.ignore_public_acls(),
            block.restrict_public_buckets(),
        ];
        assert_eq!(flags, [Some(true); 4]);
        let policy = s3.get_bucket_policy().bucket("patch-guarded").send().await.unwrap();
        let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        assert_eq!(policy["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"], "false");
        // The TLS-only guard lets a request in (as over TLS); a plain deny still refuses.
        s3.put_object().bucket("patch-guarded").key("k").body(b"x".to_vec().into()).send().await.unwrap();
        let refused = s3.put_object().bucket("patch-closed").key("k").body(b"x".to_vec().into()).send().await;
        assert!(refused.is_err(), "a bucket policy's plain Deny refuses the write");
        // Unpatched, a bucket without the settings has none.
        assert_eq!(versioning(&moto, "patch-closed"), None);
        assert_eq!(attached(&moto), ["AdministratorAccess"]);
        let (status, body) = call(
            &moto.endpoint,
            "ecr",
            Some("AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"),
            r#"{"repositoryNames": ["patch-images"]}"#,
        );
        assert_eq!(status, 200, "{body}");
        let repository: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(repository["repositories"][0]["imageScanningConfiguration"], json!({"scanOnPush": true}));

        // An update that names other managed policies replaces them.
        let other =
            bucket_template(&["arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        client
            .update_stack()
            .stack_name("patched")
            .template_body(other.to_string())
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .unwrap();
        let mut now = attached(&moto);
        now.sort();
        assert_eq!(now, ["PowerUserAccess", "ReadOnlyAccess"], "{}", moto.log());
        // Deleting the stack deletes a bucket policy with it, and the role with its policies.
        let versions = s3.list_object_versions().bucket("patch-guarded").send().await.unwrap();
        for v in versions.versions() {
            let id = v.version_id().map(str::to_string);
            s3.delete_object().bucket("patch-guarded").key("k").set_version_id(id).send().await.unwrap();
        }
        client.delete_stack().stack_name("patched").send().await.unwrap();
        let gone = s3.get_bucket_policy().bucket("patch-guarded").send().await;
        assert!(gone.is_err(), "no policy (or no bucket) once the stack is deleted");
        let (status, body) =
            call(&moto.endpoint, "iam", None, "Action=GetRole&RoleName=patch-runner&Version=2010-05-08");
        assert_eq!(status, 404, "the role is deleted: {body}\n{}", moto.log());
    });
}
