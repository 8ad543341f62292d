//! Lambda and API Gateway: a function with its log group and dead-letter queue, an HTTP API in front of it.

use std::collections::BTreeMap;

use crate::cfn::Expr;
use crate::cfn::Resource;

/// A Lambda function from a zip in S3. [`Function::new`] gives the defaults (a native binary,
/// `provided.al2023` with handler `bootstrap` on arm64, 128 MiB, 30 s, active tracing, no VPC, no reserved
/// concurrency, no dead-letter queue, no customer managed key), each a field a caller may change.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// What it does.
    pub description: String,
    /// The execution role, by logical ID.
    pub role_id: String,
    /// The bucket holding the code.
    pub code_bucket: Expr,
    /// The zip's key.
    pub code_key: Expr,
    /// The runtime (`provided.al2023`, `python3.12`, `nodejs22.x`, ...).
    pub runtime: String,
    /// The handler (`bootstrap` for a native binary, `app.handler` for Python).
    pub handler: String,
    /// The instruction set: `arm64` or `x86_64`.
    pub architecture: String,
    /// Memory, in MiB.
    pub memory_mb: u32,
    /// Seconds one invocation may run.
    pub timeout_seconds: u32,
    /// Environment variables (never secrets: pass a secret's ARN and read it at run time).
    pub environment: BTreeMap<String, Expr>,
    /// Subnet IDs and security group IDs, when it runs inside a VPC.
    pub vpc: Option<(Expr, Vec<Expr>)>,
    /// The log group, by logical ID; `None`: Lambda's default group, which nothing expires.
    pub log_group_id: Option<String>,
    /// Concurrent executions reserved for it, which are also the most it may run at once: a guaranteed
    /// share of the account's concurrency, and a cap on what it can open downstream (database connections).
    pub reserved_concurrency: Option<u32>,
    /// The queue events of asynchronous invocations go to after every retry failed, by logical ID
    /// ([`dead_letter_queue`]); the role must be allowed to send to it.
    pub dead_letter_queue_id: Option<String>,
    /// The customer managed key its environment variables are encrypted with at rest, by logical ID;
    /// `None`: an AWS managed key.
    pub kms_key_id: Option<String>,
    /// Whether X-Ray traces it (`Active`).
    pub tracing: bool,
}

impl Function {
    /// A function `description`, run as role `role_id`, from the zip at `code_key` in `code_bucket`, with the
    /// defaults above.
    pub fn new(description: impl Into<String>, role_id: impl Into<String>, code_bucket: Expr, code_key: Expr) -> Self {
        Function {
            description: description.into(),
            role_id: role_id.into(),
            code_bucket,
            code_key,
            runtime: "provided.al2023".into(),
            handler: "bootstrap".into(),
            architecture: "arm64".into(),
            memory_mb: 128,
            timeout_seconds: 30,
            environment: BTreeMap::new(),
            vpc: None,
            log_group_id: None,
            reserved_concurrency: None,
            dead_letter_queue_id: None,
            kms_key_id: None,
            tracing: true,
        }
    }
}

impl From<Function> for Resource {
    fn from(f: Function) -> Resource {
        let mut res = Resource::new("AWS::Lambda::Function")
            .prop("Description", f.description)
            .prop("Runtime", f.runtime)
            .prop("Handler", f.handler)
            .prop("Architectures", Expr::strs([f.architecture]))
            .prop("Role", Expr::get_att(&f.role_id, "Arn"))
            .prop("Code", Expr::map([("S3Bucket", f.code_bucket), ("S3Key", f.code_key)]))
            .prop("MemorySize", f.memory_mb)
            .prop("Timeout", f.timeout_seconds);
        if f.tracing {
            res = res.prop("TracingConfig", Expr::map([("Mode", Expr::str("Active"))]));
        }
        if let Some(group) = &f.log_group_id {
            res = res.prop("LoggingConfig", Expr::map([("LogGroup", Expr::r#ref(group))]));
        }
        if let Some(n) = f.reserved_concurrency {
            res = res.prop("ReservedConcurrentExecutions", n);
        }
        if let Some(queue) = &f.dead_letter_queue_id {
            res = res.prop("DeadLetterConfig", Expr::map([("TargetArn", Expr::get_att(queue, "Arn"))]));
        }
        if let Some(key) = &f.kms_key_id {
            res = res.prop("KmsKeyArn", Expr::get_att(key, "Arn"));
        }
        if !f.environment.is_empty() {
            res = res.prop("Environment", Expr::map([("Variables", Expr::Map(f.environment))]));
        }
        if let Some((subnets, groups)) = f.vpc {
            res = res.prop("VpcConfig", Expr::map([("SubnetIds", subnets), ("SecurityGroupIds", Expr::List(groups))]));
        }
        res
    }
}

/// A log group that keeps events for `days`, encrypted with the customer managed key `kms_key_id` when
/// there is one (a [`KmsKey`] whose `log_groups` match this group), else with CloudWatch Logs' own keys.
/// Retained when its stack is deleted: logs are evidence after an incident.
///
/// [`KmsKey`]: super::KmsKey
pub fn log_group(days: u32, kms_key_id: Option<&str>) -> Resource {
    let group = Resource::new("AWS::Logs::LogGroup").prop("RetentionInDays", days);
    match kms_key_id {
        Some(key) => group.prop("KmsKeyId", Expr::get_att(key, "Arn")).retain(),
        None => group.retain(),
    }
}

/// A dead-letter queue: keeps what it receives for 14 days (SQS's longest), encrypted with the customer
/// managed key `kms_key_id`, so whoever sends to it needs `kms:GenerateDataKey` and `kms:Decrypt` on that key.
pub fn dead_letter_queue(kms_key_id: &str) -> Resource {
    Resource::new("AWS::SQS::Queue")
        .prop("MessageRetentionPeriod", 14 * 24 * 3600_u32)
        .prop("KmsMasterKeyId", Expr::get_att(kms_key_id, "Arn"))
}

/// An HTTP API (API Gateway v2).
pub fn http_api(name: Expr, description: &str) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Api")
        .prop("Name", name)
        .prop("Description", description)
        .prop("ProtocolType", "HTTP")
}

/// A proxy integration from an HTTP API to a Lambda function.
pub fn lambda_integration(api_id: &str, function_id: &str) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Integration")
        .prop("ApiId", Expr::r#ref(api_id))
        .prop("IntegrationType", "AWS_PROXY")
        .prop("IntegrationUri", Expr::get_att(function_id, "Arn"))
        .prop("PayloadFormatVersion", "2.0")
}

/// A route of an HTTP API to an integration.
pub fn api_route(api_id: &str, route_key: &str, integration_id: &str) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Route")
        .prop("ApiId", Expr::r#ref(api_id))
        .prop("RouteKey", route_key)
        .prop("Target", Expr::sub(format!("integrations/${{{integration_id}}}")))
}

/// The `$default` stage of an HTTP API, deploying every change, with access logs and throttling.
pub fn api_stage(api_id: &str, log_group_id: &str, burst: u32, rate: u32) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Stage")
        .prop("ApiId", Expr::r#ref(api_id))
        .prop("StageName", "$default")
        .prop("AutoDeploy", true)
        .prop(
            "DefaultRouteSettings",
            Expr::map([("ThrottlingBurstLimit", Expr::from(burst)), ("ThrottlingRateLimit", Expr::from(rate))]),
        )
        .prop(
            "AccessLogSettings",
            Expr::map([
                ("DestinationArn", Expr::get_att(log_group_id, "Arn")),
                (
                    "Format",
                    Expr::str(
                        r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod","path":"$context.path","status":"$context.status","latency":"$context.responseLatency"}"#,
                    ),
                ),
            ]),
        )
}

/// Lets API Gateway (this API only) invoke a function.
pub fn api_invoke_permission(function_id: &str, api_id: &str) -> Resource {
    Resource::new("AWS::Lambda::Permission")
        .prop("Action", "lambda:InvokeFunction")
        .prop("FunctionName", Expr::r#ref(function_id))
        .prop("Principal", "apigateway.amazonaws.com")
        .prop(
            "SourceArn",
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/*"
            )),
        )
}
