//! S3: buckets with encryption, versioning, blocked public access and access logging, and their policies.

use crate::cfn::Expr;
use crate::cfn::Resource;

use super::iam::{Principal, Statement, policy_document};

/// How a bucket encrypts objects at rest.
#[derive(Clone, Debug, PartialEq)]
pub enum Encryption {
    /// S3-managed keys (SSE-S3).
    S3Managed,
    /// A KMS key (SSE-KMS), by ARN or alias.
    Kms(Expr),
}

/// Where S3 writes a record of every request to a bucket (server access logging).
#[derive(Clone, Debug, PartialEq)]
pub struct AccessLogs {
    /// The destination bucket's name: a [`LogBucket`] in the same account and region.
    pub bucket: Expr,
    /// A short name for the logged bucket; its records go under `s3/<name>/`.
    pub name: String,
}

/// The key prefix under which S3 server access logs land in a [`LogBucket`]; its bucket policy lets S3's
/// log delivery write there and nowhere else.
pub const S3_ACCESS_LOG_PREFIX: &str = "s3/";

/// An S3 bucket, always encrypted, with public access blocked and ACLs disabled.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// The encryption at rest.
    pub encryption: Encryption,
    /// Keeps every version of every object.
    pub versioned: bool,
    /// Deletes noncurrent versions after this many days.
    pub expire_noncurrent_after_days: Option<u32>,
    /// Deletes objects after this many days (build artifacts).
    pub expire_after_days: Option<u32>,
    /// Where requests to the bucket are logged; `None` only for the log bucket itself.
    pub access_logs: Option<AccessLogs>,
}

impl From<Bucket> for Resource {
    fn from(b: Bucket) -> Resource {
        let sse = match b.encryption {
            Encryption::S3Managed => Expr::map([("SSEAlgorithm", Expr::str("AES256"))]),
            Encryption::Kms(key) => Expr::map([("SSEAlgorithm", Expr::str("aws:kms")), ("KMSMasterKeyID", key)]),
        };
        let mut rules = Vec::new();
        if let Some(days) = b.expire_noncurrent_after_days {
            rules.push(Expr::map([
                ("Id", Expr::str("expire-noncurrent-versions")),
                ("Status", Expr::str("Enabled")),
                ("NoncurrentVersionExpiration", Expr::map([("NoncurrentDays", Expr::from(days))])),
            ]));
        }
        if let Some(days) = b.expire_after_days {
            rules.push(Expr::map([
                ("Id", Expr::str("expire-objects")),
                ("Status", Expr::str("Enabled")),
                ("ExpirationInDays", Expr::from(days)),
            ]));
        }
        let mut res = Resource::new("AWS::S3::Bucket")
            .prop(
                "BucketEncryption",
                Expr::map([(
                    "ServerSideEncryptionConfiguration",
                    Expr::list([Expr::map([
                        ("ServerSideEncryptionByDefault", sse),
                        ("BucketKeyEnabled", Expr::Bool(true)),
                    ])]),
                )]),
            )
            .prop(
                "PublicAccessBlockConfiguration",
                Expr::map([
                    ("BlockPublicAcls", Expr::Bool(true)),
                    ("BlockPublicPolicy", Expr::Bool(true)),
                    ("IgnorePublicAcls", Expr::Bool(true)),
                    ("RestrictPublicBuckets", Expr::Bool(true)),
                ]),
            )
            .prop(
                "OwnershipControls",
                Expr::map([(
                    "Rules",
                    Expr::list([Expr::map([("ObjectOwnership", Expr::str("BucketOwnerEnforced"))])]),
                )]),
            );
        if b.versioned {
            res = res.prop("VersioningConfiguration", Expr::map([("Status", Expr::str("Enabled"))]));
        }
        if !rules.is_empty() {
            res = res.prop("LifecycleConfiguration", Expr::map([("Rules", Expr::List(rules))]));
        }
        if let Some(logs) = b.access_logs {
            res = res.prop(
                "LoggingConfiguration",
                Expr::map([
                    ("DestinationBucketName", logs.bucket),
                    ("LogFilePrefix", Expr::str(format!("{S3_ACCESS_LOG_PREFIX}{}/", logs.name))),
                ]),
            );
        }
        res
    }
}

/// The bucket an environment's access logs go to: S3 server access logs under [`S3_ACCESS_LOG_PREFIX`]
/// and CloudFront standard logs under `cloudfront/`.
///
/// Unlike [`Bucket`] it keeps ACLs enabled (object ownership `BucketOwnerPreferred`), because CloudFront
/// standard logging delivers through an ACL grant it adds to the bucket and refuses a bucket whose ACLs
/// are disabled. It is encrypted with S3-managed keys, the only encryption S3 server access logging
/// delivers to, and versioned so that a deleted or overwritten log stays recoverable for 30 days. It is
/// the one bucket that does not log its own requests (see the checkov skip it carries).
#[derive(Clone, Debug, PartialEq)]
pub struct LogBucket {
    /// Deletes logs after this many days.
    pub expire_after_days: u32,
}

impl From<LogBucket> for Resource {
    fn from(l: LogBucket) -> Resource {
        let mut res: Resource = Bucket {
            encryption: Encryption::S3Managed,
            versioned: true,
            expire_noncurrent_after_days: Some(30),
            expire_after_days: Some(l.expire_after_days),
            access_logs: None,
        }
        .into();
        res = res.prop(
            "OwnershipControls",
            Expr::map([("Rules", Expr::list([Expr::map([("ObjectOwnership", Expr::str("BucketOwnerPreferred"))])]))]),
        );
        res.skip_check(
            "CKV_AWS_18",
            "This is the access-log bucket itself: logging its requests into itself would add a log record \
             for every log delivery, without end, and a second log bucket would only move the question. No \
             service but S3 and CloudFront log delivery is granted access to it, and reads of it can be \
             audited with CloudTrail data events.",
        )
    }
}

/// The policy of a [`LogBucket`]: TLS only, and S3 server access log delivery from this account may
/// write under [`S3_ACCESS_LOG_PREFIX`]. (CloudFront standard logging writes through the ACL grant it
/// adds itself when a distribution starts logging here.)
pub fn log_bucket_policy(bucket_id: &str) -> Resource {
    bucket_policy(
        bucket_id,
        vec![
            Statement::allow(["s3:PutObject"], [Expr::sub(format!("${{{bucket_id}.Arn}}/{S3_ACCESS_LOG_PREFIX}*"))])
                .sid("S3ServerAccessLogDelivery")
                .principal(Principal::Service("logging.s3.amazonaws.com".into()))
                .when("StringEquals", "aws:SourceAccount", Expr::r#ref("AWS::AccountId")),
        ],
    )
}

/// A bucket policy: `statements`, plus a statement that refuses any request not made over TLS.
pub fn bucket_policy(bucket_id: &str, statements: Vec<Statement>) -> Resource {
    let bucket_arn = Expr::get_att(bucket_id, "Arn");
    let objects = Expr::sub(format!("${{{bucket_id}.Arn}}/*"));
    let mut all = vec![Statement::deny(["s3:*"], [bucket_arn, objects]).principal(Principal::Anyone).when(
        "Bool",
        "aws:SecureTransport",
        Expr::str("false"),
    )];
    all.extend(statements);
    Resource::new("AWS::S3::BucketPolicy")
        .prop("Bucket", Expr::r#ref(bucket_id))
        .prop("PolicyDocument", policy_document(&all))
}
