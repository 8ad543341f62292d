//! Typed constructors for the resources the reference stacks use.
//!
//! Each one takes the choices that matter as typed fields and fills in the settings a careful team would
//! always want (encryption, blocked public access, least privilege), so a stack definition reads as its
//! intent. Any other resource type goes through [`crate::cfn::Resource::new`], the raw escape hatch.

mod cloudfront;
mod iam;
mod kms;
mod monitoring;
mod network;
mod rds;
mod s3;
mod serverless;

pub use cloudfront::{
    CACHING_OPTIMIZED, CustomDomain, MINIMUM_TLS, StaticSiteDistribution, cloudfront_web_acl, origin_access_control,
};
pub use iam::{Effect, Principal, Role, Statement, github_oidc_provider, managed_policy, policy_document};
pub use kms::KmsKey;
pub use monitoring::{Alarm, alarm_topic};
pub use network::{Peer, Rule, SecurityGroup, subnet, vpc};
pub use rds::{POSTGRES_VERSION, Postgres, rds_monitoring_role};
pub use s3::{AccessLogs, Bucket, Encryption, LogBucket, S3_ACCESS_LOG_PREFIX, bucket_policy, log_bucket_policy};
pub use serverless::{
    Function, api_invoke_permission, api_route, api_stage, dead_letter_queue, http_api, lambda_integration, log_group,
};
