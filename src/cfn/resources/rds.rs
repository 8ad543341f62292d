//! RDS: a PostgreSQL instance with its monitoring role.

use crate::cfn::Expr;
use crate::cfn::Resource;

use super::iam::{Principal, Role, Statement, managed_policy};

/// A PostgreSQL instance: encrypted, private, its master password generated and kept in Secrets
/// Manager by RDS itself (so no password appears anywhere in a template).
#[derive(Clone, Debug, PartialEq)]
pub struct Postgres {
    /// The instance class (`db.t4g.micro`).
    pub class: String,
    /// Allocated storage, in GiB.
    pub storage_gb: u32,
    /// A standby in a second availability zone.
    pub multi_az: bool,
    /// Days of automated backups.
    pub backup_days: u32,
    /// Refuse deletion (production).
    pub deletion_protection: bool,
    /// The subnet group, by logical ID.
    pub subnet_group_id: String,
    /// Security group IDs.
    pub security_groups: Vec<Expr>,
    /// Seconds between enhanced-monitoring samples of the host (1, 5, 10, 15, 30 or 60).
    pub monitoring_interval_seconds: u32,
    /// The role RDS publishes enhanced-monitoring metrics as, by logical ID ([`rds_monitoring_role`]).
    pub monitoring_role_id: String,
}

/// The PostgreSQL major.minor version the reference stacks run.
pub const POSTGRES_VERSION: &str = "17.6";

impl From<Postgres> for Resource {
    fn from(p: Postgres) -> Resource {
        Resource::new("AWS::RDS::DBInstance")
            .prop("Engine", "postgres")
            .prop("EngineVersion", POSTGRES_VERSION)
            .prop("DBInstanceClass", p.class)
            .prop("AllocatedStorage", p.storage_gb.to_string())
            .prop("StorageType", "gp3")
            .prop("StorageEncrypted", true)
            .prop("MultiAZ", p.multi_az)
            .prop("BackupRetentionPeriod", p.backup_days)
            .prop("DeletionProtection", p.deletion_protection)
            .prop("PubliclyAccessible", false)
            .prop("MasterUsername", "app")
            .prop("ManageMasterUserPassword", true)
            .prop("DBSubnetGroupName", Expr::r#ref(p.subnet_group_id))
            .prop("VPCSecurityGroups", Expr::List(p.security_groups))
            .prop("CopyTagsToSnapshot", true)
            .prop("AutoMinorVersionUpgrade", true)
            // Lets people and jobs log in with short-lived IAM tokens (database users granted `rds_iam`)
            // instead of sharing the master password; the backend keeps reading its secret.
            .prop("EnableIAMDatabaseAuthentication", true)
            .prop("MonitoringInterval", p.monitoring_interval_seconds)
            .prop("MonitoringRoleArn", Expr::get_att(p.monitoring_role_id, "Arn"))
            .snapshot()
    }
}

/// The role RDS enhanced monitoring publishes OS metrics to CloudWatch Logs as, for this account's
/// instances only.
pub fn rds_monitoring_role(description: String) -> Role {
    Role {
        description,
        trust: vec![Statement::trust(Principal::Service("monitoring.rds.amazonaws.com".into())).when(
            "StringEquals",
            "aws:SourceAccount",
            Expr::r#ref("AWS::AccountId"),
        )],
        managed_policies: vec![managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")],
        permissions: vec![],
        max_session_seconds: None,
        name: None,
    }
}
