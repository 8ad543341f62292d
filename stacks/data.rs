//! The data: an encrypted, versioned uploads bucket with public access blocked and access logging, and a
//! PostgreSQL database whose password RDS generates and keeps in Secrets Manager. Both outlive their stack.

use crate::cfn::resources::{Bucket, Encryption, Postgres, bucket_policy};
use crate::cfn::{Expr, Resource, Stack, Template};
use crate::model::Tier;

use super::Context;

/// The data stack.
pub fn stack(cx: &Context) -> Stack {
    let mut t = Template::new(format!("{}: data (uploads bucket, database)", cx.prefix()));
    let uploads: Resource = Bucket {
        encryption: Encryption::S3Managed,
        versioned: true,
        expire_noncurrent_after_days: Some(if cx.env.tier == Tier::Production { 365 } else { 30 }),
        expire_after_days: None,
        access_logs: Some(cx.access_logs("uploads")),
    }
    .into();
    t.resource("UploadsBucket", uploads.retain());
    t.resource("UploadsBucketPolicy", bucket_policy("UploadsBucket", vec![]));
    t.output(
        "UploadsBucketName",
        cx.exported("data", "UploadsBucketName", "the uploads bucket", Expr::r#ref("UploadsBucket")),
    );
    t.output(
        "UploadsBucketArn",
        cx.exported("data", "UploadsBucketArn", "the uploads bucket's ARN", Expr::get_att("UploadsBucket", "Arn")),
    );
    if let Some(db) = cx.env.database {
        t.resource(
            "DbSubnets",
            Resource::new("AWS::RDS::DBSubnetGroup")
                .prop("DBSubnetGroupDescription", format!("{} database subnets", cx.prefix()))
                .prop("SubnetIds", Expr::Split(",".into(), Box::new(cx.import("network", "PrivateSubnetIds")))),
        );
        t.resource(
            "Database",
            Postgres {
                class: db.class.as_str().into(),
                storage_gb: db.storage_gb,
                multi_az: db.multi_az,
                backup_days: db.backup_days,
                deletion_protection: cx.env.tier == Tier::Production,
                subnet_group_id: "DbSubnets".into(),
                security_groups: vec![cx.import("network", "DbSecurityGroupId")],
            },
        );
        t.output(
            "DbHost",
            cx.exported("data", "DbHost", "the database's host name", Expr::get_att("Database", "Endpoint.Address")),
        );
        t.output(
            "DbSecretArn",
            cx.exported(
                "data",
                "DbSecretArn",
                "the Secrets Manager secret holding the database credentials",
                Expr::get_att("Database", "MasterUserSecret.SecretArn"),
            ),
        );
        t.output("DbInstanceId", cx.exported("data", "DbInstanceId", "the database instance", Expr::r#ref("Database")));
    }
    Stack::new("data", t)
}
