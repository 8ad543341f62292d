//! The data: an encrypted, versioned uploads bucket with public access blocked and access logging, and a
//! PostgreSQL database whose password RDS generates and keeps in Secrets Manager, with IAM authentication
//! and enhanced monitoring. Both outlive their stack.

use slipway::cfn::resources::{Bucket, Encryption, Postgres, bucket_policy, rds_monitoring_role};
use slipway::cfn::{Expr, Resource, Stack, Template};
use slipway::model::Tier;

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
        t.resource("DbMonitoringRole", rds_monitoring_role(format!("{} database: enhanced monitoring", cx.prefix())));
        let mut database: Resource = Postgres {
            class: db.class.as_str().into(),
            storage_gb: db.storage_gb,
            multi_az: db.multi_az,
            backup_days: db.backup_days,
            deletion_protection: cx.env.tier == Tier::Production,
            subnet_group_id: "DbSubnets".into(),
            security_groups: vec![cx.import("network", "DbSecurityGroupId")],
            monitoring_interval_seconds: cx.db_monitoring_interval_seconds(),
            monitoring_role_id: "DbMonitoringRole".into(),
        }
        .into();
        // Production runs a standby in a second zone; a tier below it may save that cost on purpose. A
        // production database without one gets no skip, so checkov fails it.
        if !db.multi_az && cx.env.tier < Tier::Production {
            database = database.skip_check(
                "CKV_AWS_157",
                &format!(
                    "{} ({} tier) serves no users: its database runs in one availability zone on purpose, \
                     to halve its cost. Losing that zone means downtime here, not data loss (storage is \
                     encrypted, automated backups are kept {} day{}). Production always runs Multi-AZ: this skip is \
                     never emitted for it.",
                    cx.env.name,
                    cx.env.tier,
                    db.backup_days,
                    if db.backup_days == 1 { "" } else { "s" }
                ),
            );
        }
        t.resource("Database", database);
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
