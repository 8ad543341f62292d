//! Generated projects for the benchmarks: many environments of many stacks, made the way a team's
//! definitions make them (through the `cfn` builders and the reference resources), so that synthesis,
//! validation, ordering and writing do all of their real work.
//!
//! A project is `environments` environments (`e000`, `e001`, ...), all in one account and region, of
//! `stacks` stacks each. The first stack of an environment (`shared`) exports a topic and a key; every
//! other stack (`svc01`, `svc02`, ...) imports them, so each environment has a real dependency order.
//! [`Shape::Service`] stacks have 15 resources (a key, buckets, queues, a function and its role, a table,
//! alarms, ...), as a service's stack has; [`Shape::Light`] stacks have 3 that moto creates quickly, for
//! benchmarks that deploy.
//!
//! A `StackFactory` is a plain function, so the shape and the stack count are read from the environment's
//! name: `e007-s10-light` has 10 light stacks.

#![allow(dead_code)]

use std::collections::BTreeMap;

use slipway::cfn::resources::{
    AccessLogs, Alarm, Bucket, Encryption, Function, KmsKey, Role, Statement, alarm_topic, bucket_policy,
    dead_letter_queue, log_group,
};
use slipway::cfn::{Expr, Output, Resource, Stack, Template};
use slipway::model::{AccountId, Definitions, Environment, Project, Region, Repository, Tier, Trigger};

/// The account every generated environment deploys to (moto's default in the tests).
pub const ACCOUNT: &str = "111111111111";

/// What each stack holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// 15 resources: what a service's stack holds.
    Service,
    /// 3 resources that moto creates quickly (a topic, a queue and its dead-letter queue), and no import.
    Light,
}

/// A project of `environments` environments of `stacks` stacks each.
pub fn project(environments: usize, stacks: usize, shape: Shape) -> Definitions {
    let suffix = match shape {
        Shape::Service => "",
        Shape::Light => "-light",
    };
    let mut project = Project::new("scale", Repository::new("slipway-examples", "scale")).stacks_from(stacks_of);
    for i in 0..environments {
        project = project.environment(
            Environment::new(format!("e{i:03}-s{stacks}{suffix}"), Tier::Development)
                .aws(AccountId::new(ACCOUNT), Region::UsEast1)
                .deploys_from(["main"])
                .trigger(Trigger::Push),
        );
    }
    project
}

/// The stacks of `env`, as its name says.
fn stacks_of(project: &Project, env: &Environment) -> Vec<Stack> {
    let mut parts = env.name.split('-').skip(1);
    let count: usize = parts.next().and_then(|s| s.strip_prefix('s')).and_then(|n| n.parse().ok()).unwrap_or(1);
    let shape = if parts.next() == Some("light") { Shape::Light } else { Shape::Service };
    let export = |stack: &str, output: &str| format!("{}-{}-{stack}-{output}", project.name, env.name);
    let mut out = vec![shared(&export)];
    for i in 1..count {
        let name = format!("svc{i:02}");
        out.push(match shape {
            Shape::Service => service(&name, &export),
            Shape::Light => light(&name),
        });
    }
    out
}

/// The stack the service stacks import from: an alarm topic and a work queue, exported.
fn shared(export: &dyn Fn(&str, &str) -> String) -> Stack {
    let mut t = Template::new("shared: an alarm topic and a work queue, exported");
    t.resource("Topic", alarm_topic(Expr::sub("${AWS::StackName} alarms")));
    dead_lettered_queue(&mut t);
    t.output("TopicArn", Output::new("alarms go here", Expr::r#ref("Topic")).export(export("shared", "TopicArn")));
    t.output(
        "QueueArn",
        Output::new("work arrives here", Expr::get_att("Queue", "Arn")).export(export("shared", "QueueArn")),
    );
    Stack::new("shared", t)
}

/// A light stack: 3 resources, importing nothing, so that every light stack of an environment may deploy
/// at once.
fn light(name: &str) -> Stack {
    let mut t = Template::new(format!("{name}: a light stack"));
    t.resource("Topic", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("${AWS::StackName}")));
    dead_lettered_queue(&mut t);
    t.output("QueueUrl", Output::new("the queue", Expr::r#ref("Queue")));
    Stack::new(name, t)
}

/// A queue and the queue its undeliverable messages go to.
fn dead_lettered_queue(t: &mut Template) {
    t.resource("DeadLetters", Resource::new("AWS::SQS::Queue").prop("SqsManagedSseEnabled", true));
    t.resource(
        "Queue",
        Resource::new("AWS::SQS::Queue").prop("SqsManagedSseEnabled", true).prop(
            "RedrivePolicy",
            Expr::map([
                ("deadLetterTargetArn", Expr::get_att("DeadLetters", "Arn")),
                ("maxReceiveCount", Expr::from(5_u32)),
            ]),
        ),
    );
}

/// A service's stack: 15 resources.
fn service(name: &str, export: &dyn Fn(&str, &str) -> String) -> Stack {
    let mut t = Template::new(format!("{name}: a service"));
    let topic = Expr::import(export("shared", "TopicArn"));
    t.resource(
        "Key",
        KmsKey {
            description: format!("{name}'s data"),
            log_groups: vec![Expr::sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${AWS::StackName}-*",
            )],
        },
    );
    let logs = AccessLogs { bucket: Expr::str("access-logs"), name: name.to_string() };
    t.resource(
        "Uploads",
        Bucket {
            encryption: Encryption::Kms(Expr::get_att("Key", "Arn")),
            versioned: true,
            expire_noncurrent_after_days: Some(30),
            expire_after_days: None,
            access_logs: Some(logs),
        },
    );
    t.resource(
        "UploadsPolicy",
        bucket_policy(
            "Uploads",
            vec![Statement::deny(["s3:*"], [Expr::sub("${Uploads.Arn}/*")]).when("Bool", "aws:SecureTransport", false)],
        ),
    );
    t.resource("DeadLetters", dead_letter_queue("Key"));
    t.resource(
        "Work",
        Resource::new("AWS::SQS::Queue").prop("KmsMasterKeyId", Expr::get_att("Key", "Arn")).prop(
            "RedrivePolicy",
            Expr::map([
                ("deadLetterTargetArn", Expr::get_att("DeadLetters", "Arn")),
                ("maxReceiveCount", Expr::from(5_u32)),
            ]),
        ),
    );
    t.resource("Logs", log_group(30, Some("Key")));
    t.resource(
        "Role",
        Role {
            description: format!("what {name} may do"),
            trust: vec![Statement::trust(slipway::cfn::resources::Principal::Service(Expr::str(
                "lambda.amazonaws.com",
            )))],
            managed_policies: vec![],
            permissions: vec![
                Statement::allow(["s3:GetObject", "s3:PutObject"], [Expr::sub("${Uploads.Arn}/*")]),
                Statement::allow(["sqs:ReceiveMessage", "sqs:DeleteMessage"], [Expr::get_att("Work", "Arn")]),
                Statement::allow(["sqs:SendMessage"], [Expr::get_att("DeadLetters", "Arn")]),
                Statement::allow(["dynamodb:GetItem", "dynamodb:PutItem"], [Expr::get_att("Table", "Arn")]),
                Statement::allow(["kms:Decrypt", "kms:GenerateDataKey"], [Expr::get_att("Key", "Arn")]),
            ],
            max_session_seconds: None,
            name: None,
        },
    );
    t.resource(
        "Handler",
        Function {
            memory_mb: 256,
            environment: BTreeMap::from([
                ("TABLE".to_string(), Expr::r#ref("Table")),
                ("BUCKET".to_string(), Expr::r#ref("Uploads")),
            ]),
            log_group_id: Some("Logs".into()),
            reserved_concurrency: Some(10),
            dead_letter_queue_id: Some("DeadLetters".into()),
            kms_key_id: Some("Key".into()),
            ..Function::new(
                format!("{name}'s handler"),
                "Role",
                Expr::str("artifacts"),
                Expr::str(format!("{name}.zip")),
            )
        },
    );
    t.resource(
        "Trigger",
        Resource::new("AWS::Lambda::EventSourceMapping")
            .prop("FunctionName", Expr::r#ref("Handler"))
            .prop("EventSourceArn", Expr::get_att("Work", "Arn"))
            .prop("BatchSize", 10_u32),
    );
    t.resource(
        "Table",
        Resource::new("AWS::DynamoDB::Table")
            .prop("BillingMode", "PAY_PER_REQUEST")
            .prop("KeySchema", Expr::list([Expr::map([("AttributeName", "id".into()), ("KeyType", "HASH".into())])]))
            .prop(
                "AttributeDefinitions",
                Expr::list([Expr::map([("AttributeName", "id".into()), ("AttributeType", "S".into())])]),
            )
            .prop("PointInTimeRecoverySpecification", Expr::map([("PointInTimeRecoveryEnabled", true.into())]))
            .prop(
                "SSESpecification",
                Expr::map([
                    ("SSEEnabled", true.into()),
                    ("SSEType", "KMS".into()),
                    ("KMSMasterKeyId", Expr::get_att("Key", "Arn")),
                ]),
            )
            .retain(),
    );
    for (id, metric, dimension, value) in [
        ("ErrorsAlarm", "Errors", "FunctionName", Expr::r#ref("Handler")),
        ("ThrottlesAlarm", "Throttles", "FunctionName", Expr::r#ref("Handler")),
    ] {
        t.resource(
            id,
            Resource::from(Alarm {
                description: format!("{name}: {metric}"),
                namespace: "AWS/Lambda".into(),
                metric: metric.into(),
                dimension: (dimension.into(), value),
                statistic: "Sum".into(),
                threshold: 1,
                period_seconds: 300,
                periods: 1,
                topic_id: "Topic".into(),
            })
            .prop("AlarmActions", Expr::list([topic.clone()]))
            .prop("OKActions", Expr::list([topic.clone()])),
        );
    }
    t.resource(
        "DeadLettersAlarm",
        Resource::from(Alarm {
            description: format!("{name}: dead letters"),
            namespace: "AWS/SQS".into(),
            metric: "ApproximateNumberOfMessagesVisible".into(),
            dimension: ("QueueName".into(), Expr::get_att("DeadLetters", "QueueName")),
            statistic: "Maximum".into(),
            threshold: 1,
            period_seconds: 300,
            periods: 1,
            topic_id: "Topic".into(),
        })
        .prop("AlarmActions", Expr::list([topic.clone()]))
        .prop("OKActions", Expr::list([topic.clone()])),
    );
    t.resource(
        "Schedule",
        Resource::new("AWS::Events::Rule").prop("ScheduleExpression", "rate(1 hour)").prop(
            "Targets",
            Expr::list([Expr::map([("Arn", Expr::get_att("Handler", "Arn")), ("Id", "handler".into())])]),
        ),
    );
    t.resource(
        "SchedulePermission",
        Resource::new("AWS::Lambda::Permission")
            .prop("Action", "lambda:InvokeFunction")
            .prop("FunctionName", Expr::r#ref("Handler"))
            .prop("Principal", "events.amazonaws.com")
            .prop("SourceArn", Expr::get_att("Schedule", "Arn")),
    );
    t.output("QueueUrl", Output::new("where work goes", Expr::r#ref("Work")));
    Stack::new(name, t)
}

/// The number of resources of every stack of `project`.
pub fn resources(project: &Definitions) -> usize {
    project.environments.iter().flat_map(|e| project.stacks_of(e)).map(|s| s.template.resources.len()).sum()
}

/// Every generated shape synthesizes with no problem: the benchmarks measure real work, not a failure.
#[test]
fn generated_projects_synthesize_with_no_problem() {
    for shape in [Shape::Service, Shape::Light] {
        let project = project(2, 10, shape);
        let set = crate::support::synth(&project, &[]).unwrap_or_else(|p| panic!("{shape:?}: {p}"));
        assert_eq!(set.stacks.values().map(Vec::len).sum::<usize>(), 20);
        let first = set.stacks.values().next().and_then(|s| s.first()).map(String::as_str);
        assert_eq!(first, Some("shared"), "{shape:?}: the other stacks import from it");
    }
    assert_eq!(resources(&project(1, 10, Shape::Service)), 3 + 9 * 15);
}
