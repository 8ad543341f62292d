//! KMS: customer managed keys a stack's log groups and queues are encrypted with.

use crate::cfn::Expr;
use crate::cfn::Resource;

use super::iam::{Principal, Statement, policy_document};

/// A customer managed KMS key for one stack's data: rotated every year, and kept when the stack is deleted,
/// because what it encrypted (retained log groups) outlives the stack and would be unreadable without it.
///
/// The key policy lets the account administer and use it through IAM policies (AWS's default key policy),
/// and lets CloudWatch Logs in the stack's region use it for the log groups matching `log_groups`, and
/// nothing else.
#[derive(Clone, Debug, PartialEq)]
pub struct KmsKey {
    /// What the key protects.
    pub description: String,
    /// ARN patterns of the log groups CloudWatch Logs may encrypt with it
    /// (`arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${AWS::StackName}-*`).
    pub log_groups: Vec<Expr>,
}

impl From<KmsKey> for Resource {
    fn from(k: KmsKey) -> Resource {
        let mut statements = vec![
            Statement::allow(["kms:*"], [Expr::str("*")])
                .sid("AccountAdministersAndGrantsThroughIam")
                .principal(Principal::Aws(Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"))),
        ];
        if !k.log_groups.is_empty() {
            statements.push(
                Statement::allow(
                    ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    [Expr::str("*")],
                )
                .sid("CloudWatchLogsEncryptsThisStacksLogGroups")
                .principal(Principal::Service(Expr::sub("logs.${AWS::Region}.amazonaws.com")))
                .when("ArnLike", "kms:EncryptionContext:aws:logs:arn", Expr::List(k.log_groups)),
            );
        }
        Resource::new("AWS::KMS::Key")
            .prop("Description", k.description)
            .prop("EnableKeyRotation", true)
            .prop("KeyPolicy", policy_document(&statements))
            .retain()
    }
}
