//! The app: the backend as a Lambda function behind an HTTP API, and the frontend as a private S3
//! bucket served by CloudFront behind a WAF web ACL. The backend's code is the project's `backend` asset
//! (`app/backend`), which a deploy publishes to the account's bootstrap bucket under its hash; the release
//! being deployed is a parameter, so synthesis stays pure.
//!
//! One customer managed key encrypts what the app stack keeps: its log groups, the backend's environment
//! and its dead-letter queue. The web ACL is CLOUDFRONT-scoped, which AWS allows only in us-east-1, where
//! every reference environment deploys.

use std::collections::BTreeMap;

use slipway::cfn::resources::{
    Bucket, CustomDomain, Encryption, Function, KmsKey, Principal, Role, Statement, StaticSiteDistribution,
    api_invoke_permission, api_route, api_stage, bucket_policy, cloudfront_web_acl, dead_letter_queue, http_api,
    lambda_integration, log_group, managed_policy, origin_access_control,
};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};

use super::Context;

/// The app stack.
pub fn stack(cx: &Context) -> Stack {
    let mut t = Template::new(format!("{}: app (backend API, frontend hosting)", cx.prefix()));
    t.parameter(
        "Release",
        Parameter::string("the release being deployed (the backend reads it as RELEASE)")
            .pattern("^[A-Za-z0-9][A-Za-z0-9._-]*$"),
    );
    t.resource(
        "AppKey",
        KmsKey {
            description: format!("{}: the app's log groups, backend environment and dead letters", cx.prefix()),
            log_groups: vec![Expr::sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${AWS::StackName}-*",
            )],
        },
    );
    backend(cx, &mut t);
    frontend(cx, &mut t);
    Stack::new("app", t)
}

fn backend(cx: &Context, t: &mut Template) {
    let has_db = cx.env.database.is_some();
    // The uploads bucket's ARN comes from the data stack, so the object ARN is an `Fn::Sub` with a variable.
    let uploads_objects = Expr::Sub(
        "${Uploads}/*".into(),
        BTreeMap::from([("Uploads".to_string(), cx.import("data", "UploadsBucketArn"))]),
    );
    let mut permissions =
        vec![Statement::allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [uploads_objects])];
    if has_db {
        permissions.push(Statement::allow(["secretsmanager:GetSecretValue"], [cx.import("data", "DbSecretArn")]));
    }
    // Failed asynchronous invocations land in the dead-letter queue, which the app key encrypts.
    permissions.push(Statement::allow(["sqs:SendMessage"], [Expr::get_att("BackendDeadLetters", "Arn")]));
    permissions.push(Statement::allow(["kms:Decrypt", "kms:GenerateDataKey"], [Expr::get_att("AppKey", "Arn")]));
    t.resource(
        "BackendRole",
        Role {
            description: format!("{} backend function", cx.prefix()),
            trust: vec![Statement::trust(Principal::Service("lambda.amazonaws.com".into()))],
            managed_policies: vec![
                managed_policy("service-role/AWSLambdaVPCAccessExecutionRole"),
                managed_policy("AWSXRayDaemonWriteAccess"),
            ],
            permissions,
            max_session_seconds: None,
            name: None,
        },
    );
    t.resource("BackendLogs", log_group(cx.log_retention_days(), Some("AppKey")));
    // Only asynchronous invocations can fail into it: API Gateway invokes synchronously and gets the error.
    // It is there for the events and jobs a team adds, and the monitoring stack alarms on anything in it.
    t.resource("BackendDeadLetters", dead_letter_queue("AppKey"));
    let mut environment = BTreeMap::from([
        ("APP_ENV".to_string(), Expr::str(cx.env.name.clone())),
        ("RELEASE".to_string(), Expr::r#ref("Release")),
        ("UPLOADS_BUCKET".to_string(), cx.import("data", "UploadsBucketName")),
    ]);
    if has_db {
        environment.insert("DB_HOST".into(), cx.import("data", "DbHost"));
        environment.insert("DB_SECRET_ARN".into(), cx.import("data", "DbSecretArn"));
    }
    // The function gets the memory the backend service has here: it is the same code cloud.gov runs, the
    // `backend` asset, behind API Gateway (`webapp.aws`) rather than its own server (`webapp.serve`).
    let code = cx.project.asset_ref("backend");
    let memory_mb = cx.service("backend").map_or(512, |backend| cx.env.size_of(&backend).memory_mb);
    t.resource(
        "Backend",
        Function {
            memory_mb,
            environment,
            vpc: Some((
                Expr::Split(",".into(), Box::new(cx.import("network", "PrivateSubnetIds"))),
                vec![cx.import("network", "AppSecurityGroupId")],
            )),
            log_group_id: Some("BackendLogs".into()),
            reserved_concurrency: Some(cx.backend_concurrency()),
            dead_letter_queue_id: Some("BackendDeadLetters".into()),
            kms_key_id: Some("AppKey".into()),
            runtime: "python3.12".into(),
            handler: "webapp.aws.handler".into(),
            ..Function::new(format!("{} backend", cx.prefix()), "BackendRole", code.bucket(), code.key())
        },
    );
    t.resource("Api", http_api(Expr::str(format!("{}-api", cx.prefix())), "the backend's HTTP API"));
    t.resource("ApiIntegration", lambda_integration("Api", "Backend"));
    t.resource("ApiRoute", api_route("Api", "$default", "ApiIntegration"));
    t.resource("ApiLogs", log_group(cx.log_retention_days(), Some("AppKey")));
    let (burst, rate) = cx.api_throttle();
    t.resource("ApiStage", api_stage("Api", "ApiLogs", burst, rate));
    t.resource("ApiInvokesBackend", api_invoke_permission("Backend", "Api"));
    t.output("ApiUrl", cx.exported("app", "ApiUrl", "the backend API's base URL", Expr::get_att("Api", "ApiEndpoint")));
    t.output("ApiId", cx.exported("app", "ApiId", "the backend API", Expr::r#ref("Api")));
    t.output(
        "BackendFunctionName",
        cx.exported("app", "BackendFunctionName", "the backend function", Expr::r#ref("Backend")),
    );
    t.output(
        "BackendDeadLetterQueueName",
        cx.exported(
            "app",
            "BackendDeadLetterQueueName",
            "the backend's dead-letter queue",
            Expr::get_att("BackendDeadLetters", "QueueName"),
        ),
    );
}

/// The frontend's custom domain, if it has one. The reference environments have none: they answer on
/// CloudFront's `*.cloudfront.net` names, which cannot require TLS 1.2 (see [`StaticSiteDistribution`]).
/// A team with a domain returns it here, for the environments that use it, with an ACM certificate for
/// it in us-east-1; the distribution then requires TLS 1.2 and no longer needs a checkov skip.
fn frontend_domain(_cx: &Context) -> Option<CustomDomain> {
    None
}

fn frontend(cx: &Context, t: &mut Template) {
    let site: Resource = Bucket {
        encryption: Encryption::S3Managed,
        versioned: true,
        expire_noncurrent_after_days: Some(30),
        expire_after_days: None,
        access_logs: Some(cx.access_logs("frontend")),
    }
    .into();
    t.resource("FrontendBucket", site);
    t.resource("FrontendAccess", origin_access_control(Expr::str(format!("{}-frontend", cx.prefix()))));
    t.resource(
        "FrontendWebAcl",
        cloudfront_web_acl(&format!("{}-frontend", cx.prefix()), &format!("{} frontend", cx.prefix())),
    );
    t.resource(
        "FrontendDistribution",
        StaticSiteDistribution {
            comment: Expr::str(format!("{} frontend", cx.prefix())),
            bucket_id: "FrontendBucket".into(),
            oac_id: "FrontendAccess".into(),
            web_acl_arn: Expr::get_att("FrontendWebAcl", "Arn"),
            log_bucket_domain: cx.import("logging", "LogBucketDomainName"),
            log_name: "frontend".into(),
            domain: frontend_domain(cx),
        },
    );
    t.resource(
        "FrontendBucketPolicy",
        bucket_policy(
            "FrontendBucket",
            vec![
                Statement::allow(["s3:GetObject"], [Expr::sub("${FrontendBucket.Arn}/*")])
                    .principal(Principal::Service("cloudfront.amazonaws.com".into()))
                    .when(
                        "StringEquals",
                        "AWS:SourceArn",
                        Expr::sub(
                            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${FrontendDistribution}",
                        ),
                    ),
            ],
        ),
    );
    t.output("FrontendUrl", Output::new("the frontend's URL", Expr::sub("https://${FrontendDistribution.DomainName}")));
    t.output(
        "FrontendBucketName",
        cx.exported(
            "app",
            "FrontendBucketName",
            "where the frontend's build is uploaded",
            Expr::r#ref("FrontendBucket"),
        ),
    );
}
