//! A team whose releases advance on evidence, as its own repository would define it (only slipway's public
//! API): dev deploys every push to `main` and is watched by an alarm the team keeps in CloudWatch (by name)
//! for a short bake; staging takes a release from dev after it soaked there, with one approval, and never
//! on the day the team's `WATCHED_DENY` date names (a day they keep free of changes; unset, no such day).
//! Each environment is two small stacks in an account of its own, reached through its deploy role.

use std::time::Duration;

use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::model::{
    AccountId, AlarmRef, Approvals, Definitions, Environment, Group, Project, Region, Repository, Tier, Trigger,
};

fn main() -> std::process::ExitCode {
    slipway::app::main(project())
}

fn project() -> Definitions {
    let env = |name: &str, tier, account: &'static str| {
        Environment::new(name, tier)
            .aws(AccountId::new(account), Region::UsEast1)
            .deploys_from(["main"])
            .assume_role(format!("arn:aws:iam::{account}:role/watched-deploy"))
    };
    let mut staging = env("staging", Tier::Staging, "300000000002")
        .trigger(Trigger::Promotion)
        .promoted_from(["dev"])
        .approvals(Approvals::new(1).from(Group::new("qa", ["kim", "lee"])))
        .soak("dev", Duration::from_secs(5));
    if let Ok(day) = std::env::var("WATCHED_DENY") {
        staging = staging.deny_window(&format!("{day} Europe/Berlin"));
    }
    Project::new("watched", Repository::new("acme", "watched"))
        .environment(
            env("dev", Tier::Development, "300000000001")
                .trigger(Trigger::Push)
                .alarm(AlarmRef::named("watched-dev-errors"))
                .bake(Duration::from_secs(8))
                .monitoring_minutes(2),
        )
        .environment(staging)
        .stacks_from(stacks)
}

/// Two stacks, each a topic named after the release it runs: the service and its events.
fn stacks(project: &Project, env: &Environment) -> Vec<Stack> {
    ["service", "events"]
        .into_iter()
        .map(|short| {
            let mut t = Template::new(format!("{}-{}: the {short}", project.name, env.name));
            t.parameter("Release", Parameter::string("the release"));
            t.resource("Topic", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("${Release}")));
            t.output("TopicArn", Output::new("the topic", Expr::r#ref("Topic")));
            Stack::new(short, t)
        })
        .collect()
}
