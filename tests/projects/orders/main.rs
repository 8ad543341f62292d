//! A team's serverless API, as its own repository would define it (only slipway's public API): a Lambda
//! function behind an HTTP API, its DynamoDB table and an alarm on its errors, in dev, test and prod, each
//! in an AWS account of its own, reached by assuming the environment's deploy role (made with the
//! library's pattern). dev deploys on every push to `main`; test is promoted into with one approval from
//! qa; prod with two from ops, 30 minutes after the release reached test.

use std::collections::BTreeMap;

use slipway::cfn::resources::{
    Alarm, Function, Principal, Role, Statement, alarm_topic, api_invoke_permission, api_route, api_stage, http_api,
    lambda_integration, log_group, managed_policy,
};
use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::model::{
    AccountId, Approvals, Asset, Definitions, Environment, Group, Project, Region, Repository, Tier, Trigger,
};

fn main() -> std::process::ExitCode {
    slipway::app::main(project())
}

/// The project.
fn project() -> Definitions {
    let qa = Group::new("qa", ["kim", "lee"]);
    let ops = Group::new("ops", ["ada", "bo", "cy"]);
    // The function's code: the files of `code/` (relative to where the program runs, the repository's
    // top), zipped; a deploy publishes it to the account's bootstrap bucket.
    Project::new("orders", Repository::new("acme", "orders"))
        .asset(Asset::directory("handler", "code"))
        .environment(aws("dev", Tier::Development, "200000000001").trigger(Trigger::Push))
        .environment(
            aws("test", Tier::Test, "200000000002")
                .trigger(Trigger::Promotion)
                .promoted_from(["dev"])
                .approvals(Approvals::new(1).from(qa)),
        )
        .environment(
            aws("prod", Tier::Production, "200000000003")
                .trigger(Trigger::Promotion)
                .promoted_from(["test"])
                .approvals(Approvals::new(2).from(ops).wait_minutes(30)),
        )
        .stacks_from(stacks)
}

/// An environment in `account`, deployed from `main`, reached through its deploy role.
fn aws(name: &str, tier: Tier, account: &'static str) -> Environment {
    Environment::new(name, tier)
        .aws(AccountId::new(account), Region::UsEast1)
        .deploys_from(["main"])
        .assume_role(format!("arn:aws:iam::{account}:role/orders-{name}-deploy"))
}

fn stacks(project: &Project, env: &Environment) -> Vec<Stack> {
    let mut roles = Template::new(format!("{}-{}: deploy role", project.name, env.name));
    project.github_deploy_roles(env).add_to(&mut roles);
    vec![Stack::new("deploy-role", roles), api(project, env)]
}

/// The API: the function, its table, its HTTP API, and an alarm on its errors.
fn api(project: &Project, env: &Environment) -> Stack {
    let prefix = format!("{}-{}", project.name, env.name);
    let mut t = Template::new(format!("{prefix}: orders API (function, table, HTTP API, alarm)"));
    t.parameter(
        "Release",
        Parameter::string("the release, which the function reads as RELEASE").pattern("^[A-Za-z0-9][A-Za-z0-9._-]*$"),
    );
    t.resource(
        "Orders",
        Resource::new("AWS::DynamoDB::Table")
            .prop("BillingMode", "PAY_PER_REQUEST")
            .prop(
                "AttributeDefinitions",
                Expr::list([Expr::map([("AttributeName", Expr::str("id")), ("AttributeType", Expr::str("S"))])]),
            )
            .prop(
                "KeySchema",
                Expr::list([Expr::map([("AttributeName", Expr::str("id")), ("KeyType", Expr::str("HASH"))])]),
            ),
    );
    t.resource(
        "HandlerRole",
        Role {
            description: format!("{prefix}: the orders function"),
            trust: vec![Statement::trust(Principal::Service("lambda.amazonaws.com".into()))],
            managed_policies: vec![managed_policy("service-role/AWSLambdaBasicExecutionRole")],
            permissions: vec![Statement::allow(
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                [Expr::get_att("Orders", "Arn")],
            )],
            max_session_seconds: None,
            name: None,
        },
    );
    t.resource("HandlerLogs", log_group(if env.tier == Tier::Production { 365 } else { 30 }, None));
    // Python, on x86: the library's defaults (a native binary on arm64) are changed where this team differs.
    let code = project.asset_ref("handler");
    t.resource(
        "Handler",
        Function {
            runtime: "python3.12".into(),
            handler: "orders.handler".into(),
            architecture: "x86_64".into(),
            memory_mb: 256,
            environment: BTreeMap::from([
                ("TABLE".to_string(), Expr::r#ref("Orders")),
                ("RELEASE".to_string(), Expr::r#ref("Release")),
            ]),
            log_group_id: Some("HandlerLogs".into()),
            ..Function::new(format!("{prefix}: takes orders"), "HandlerRole", code.bucket(), code.key())
        },
    );
    t.resource("Api", http_api(Expr::str(format!("{prefix}-api")), "the orders API"));
    t.resource("ApiIntegration", lambda_integration("Api", "Handler"));
    t.resource("ApiRoute", api_route("Api", "$default", "ApiIntegration"));
    t.resource("ApiLogs", log_group(30, None));
    t.resource("ApiStage", api_stage("Api", "ApiLogs", 50, 100));
    t.resource("ApiInvokesHandler", api_invoke_permission("Handler", "Api"));
    t.resource("Alarms", alarm_topic(Expr::str(format!("{prefix} alarms"))));
    t.resource(
        "HandlerErrors",
        Alarm {
            description: format!("{prefix}: the orders function fails"),
            namespace: "AWS/Lambda".into(),
            metric: "Errors".into(),
            dimension: ("FunctionName".into(), Expr::r#ref("Handler")),
            statistic: "Sum".into(),
            threshold: 1,
            period_seconds: 60,
            periods: 1,
            topic_id: "Alarms".into(),
        },
    );
    t.output("ApiUrl", Output::new("the orders API's base URL", Expr::get_att("Api", "ApiEndpoint")));
    Stack::new("api", t)
}
