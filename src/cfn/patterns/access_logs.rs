//! The bucket S3 server access logs and CloudFront standard logs go to: versioned, encrypted, retained when
//! its stack goes, expiring logs after a set time, and writable by S3's log delivery of this account only.

use crate::cfn::Template;
use crate::cfn::resources::{LogBucket, log_bucket_policy};

/// An access-log bucket and its policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLogBucket {
    /// Deletes logs after this many days.
    pub expire_after_days: u32,
}

impl AccessLogBucket {
    /// Adds the bucket as `id` (retained when the stack is deleted: logs are evidence after an incident)
    /// and its policy as `<id>Policy` to `t`.
    pub fn add_to(&self, t: &mut Template, id: &str) {
        t.resource(id, crate::cfn::Resource::from(LogBucket { expire_after_days: self.expire_after_days }).retain());
        t.resource(format!("{id}Policy"), log_bucket_policy(id));
    }
}
