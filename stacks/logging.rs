//! Logging: the bucket the environment's access logs go to. S3 writes a record of every request to the
//! uploads, artifacts and frontend buckets here (server access logging), and CloudFront one of every
//! request to the frontend (standard logging). It imports nothing, so it is deployed first, beside the
//! network; the stacks whose buckets and distribution log here import its name.

use slipway::cfn::patterns::AccessLogBucket;
use slipway::cfn::{Expr, Stack, Template};

use super::Context;

/// The logging stack.
pub fn stack(cx: &Context) -> Stack {
    let mut t = Template::new(format!("{}: logging (access-log bucket)", cx.prefix()));
    // Logs are evidence after an incident: they outlive the stack, and expire on the tier's schedule.
    AccessLogBucket { expire_after_days: cx.log_retention_days() }.add_to(&mut t, "LogBucket");
    t.output(
        "LogBucketName",
        cx.exported("logging", "LogBucketName", "where S3 server access logs go", Expr::r#ref("LogBucket")),
    );
    t.output(
        "LogBucketDomainName",
        cx.exported(
            "logging",
            "LogBucketDomainName",
            "the log bucket's domain name, as CloudFront standard logging names it",
            Expr::get_att("LogBucket", "DomainName"),
        ),
    );
    Stack::new("logging", t)
}
