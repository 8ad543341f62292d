//! Monitoring: CloudWatch alarms on the backend (errors, throttles, dead letters), the API and the
//! database, notifying an SNS topic.

use slipway::cfn::resources::{Alarm, alarm_topic};
use slipway::cfn::{Expr, Stack, Template};

use super::Context;

/// The monitoring stack.
pub fn stack(cx: &Context) -> Stack {
    let mut t = Template::new(format!("{}: monitoring (alarms to an SNS topic)", cx.prefix()));
    t.resource("AlarmTopic", alarm_topic(Expr::str(format!("{} alarms", cx.prefix()))));
    let alarm =
        |description: &str, namespace: &str, metric: &str, dimension: (&str, Expr), statistic: &str, threshold: u32| {
            Alarm {
                description: format!("{}: {description}", cx.prefix()),
                namespace: namespace.into(),
                metric: metric.into(),
                dimension: (dimension.0.into(), dimension.1),
                statistic: statistic.into(),
                threshold,
                period_seconds: 300,
                periods: 2,
                topic_id: "AlarmTopic".into(),
            }
        };
    t.resource(
        "BackendErrors",
        alarm(
            "the backend function is failing",
            "AWS/Lambda",
            "Errors",
            ("FunctionName", cx.import("app", "BackendFunctionName")),
            "Sum",
            5,
        ),
    );
    t.resource(
        "BackendThrottles",
        alarm(
            "the backend function is throttled",
            "AWS/Lambda",
            "Throttles",
            ("FunctionName", cx.import("app", "BackendFunctionName")),
            "Sum",
            1,
        ),
    );
    t.resource(
        "ApiServerErrors",
        alarm("the API answers with 5xx", "AWS/ApiGateway", "5xx", ("ApiId", cx.import("app", "ApiId")), "Sum", 5),
    );
    t.resource(
        "BackendDeadLetters",
        Alarm {
            period_seconds: 300,
            periods: 1,
            ..alarm(
                "events the backend failed to handle wait in its dead-letter queue",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                ("QueueName", cx.import("app", "BackendDeadLetterQueueName")),
                "Maximum",
                1,
            )
        },
    );
    if cx.env.database.is_some() {
        t.resource(
            "DatabaseCpu",
            alarm(
                "the database's CPU is high",
                "AWS/RDS",
                "CPUUtilization",
                ("DBInstanceIdentifier", cx.import("data", "DbInstanceId")),
                "Average",
                80,
            ),
        );
    }
    t.output(
        "AlarmTopicArn",
        cx.exported("monitoring", "AlarmTopicArn", "where alarms are sent", Expr::r#ref("AlarmTopic")),
    );
    Stack::new("monitoring", t)
}
