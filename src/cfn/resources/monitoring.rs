//! Monitoring: an alarm topic and CloudWatch alarms.

use crate::cfn::Expr;
use crate::cfn::Resource;

/// An SNS topic for alarms, encrypted with the AWS-managed SNS key.
pub fn alarm_topic(display_name: Expr) -> Resource {
    Resource::new("AWS::SNS::Topic").prop("DisplayName", display_name).prop("KmsMasterKeyId", "alias/aws/sns")
}

/// A CloudWatch alarm on one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    /// What the alarm means.
    pub description: String,
    /// The metric's namespace (`AWS/Lambda`).
    pub namespace: String,
    /// The metric (`Errors`).
    pub metric: String,
    /// The dimension that picks the resource.
    pub dimension: (String, Expr),
    /// `Sum`, `Average`, `Maximum`.
    pub statistic: String,
    /// The threshold that sets the alarm off (greater than or equal).
    pub threshold: u32,
    /// Evaluation period, in seconds.
    pub period_seconds: u32,
    /// How many periods in a row.
    pub periods: u32,
    /// The topic notified, by logical ID.
    pub topic_id: String,
}

impl From<Alarm> for Resource {
    fn from(a: Alarm) -> Resource {
        let topic = Expr::list([Expr::r#ref(&a.topic_id)]);
        Resource::new("AWS::CloudWatch::Alarm")
            .prop("AlarmDescription", a.description)
            .prop("Namespace", a.namespace)
            .prop("MetricName", a.metric)
            .prop("Dimensions", Expr::list([Expr::map([("Name", Expr::str(a.dimension.0)), ("Value", a.dimension.1)])]))
            .prop("Statistic", a.statistic)
            .prop("Threshold", a.threshold)
            .prop("ComparisonOperator", "GreaterThanOrEqualToThreshold")
            .prop("Period", a.period_seconds)
            .prop("EvaluationPeriods", a.periods)
            .prop("TreatMissingData", "notBreaching")
            .prop("AlarmActions", topic.clone())
            .prop("OKActions", topic)
    }
}
