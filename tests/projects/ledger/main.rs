//! A team's promotion graph, as its own repository would define it (only slipway's public API), from its
//! flow document: dev-int (every push to `main`) promotes to future and to active; future to active;
//! active to uat and to staging; uat to staging; staging to prod. Approvals 0, 0, optional 1 (recorded when
//! given, required of nobody), 1, 1 and 2, with a 30-minute wait into prod. Every environment is one small
//! stack in the team's account.

use slipway::cfn::{Expr, Output, Parameter, Resource, Stack, Template};
use slipway::model::{
    AccountId, Approvals, Definitions, Environment, Group, Project, Region, Repository, Tier, Trigger,
};

fn main() -> std::process::ExitCode {
    slipway::app::main(project())
}

fn project() -> Definitions {
    let qa = Group::new("qa", ["kim", "lee"]);
    let ops = Group::new("ops", ["ada", "bo", "cy"]);
    let env = |name: &str, tier| {
        Environment::new(name, tier)
            .aws(AccountId::new("111111111111"), Region::UsEast1)
            .deploys_from(["main"])
            .trigger(Trigger::Promotion)
    };
    Project::new("ledger", Repository::new("acme", "ledger"))
        .environment(env("dev-int", Tier::Development).trigger(Trigger::Push))
        .environment(env("future", Tier::Development).promoted_from(["dev-int"]))
        .environment(
            env("active", Tier::Test)
                .promoted_from(["future", "dev-int"])
                .approvals(Approvals::optional(1).from(qa.clone())),
        )
        .environment(env("uat", Tier::Test).promoted_from(["active"]).approvals(Approvals::new(1).from(qa)))
        .environment(
            env("staging", Tier::Staging)
                .promoted_from(["active", "uat"])
                .approvals(Approvals::new(1).from(ops.clone())),
        )
        .environment(
            env("prod", Tier::Production)
                .promoted_from(["staging"])
                .approvals(Approvals::new(2).from(ops).wait_minutes(30)),
        )
        .stacks_from(stacks)
}

/// One stack: a topic named after the release it runs.
fn stacks(project: &Project, env: &Environment) -> Vec<Stack> {
    let mut t = Template::new(format!("{}-{}: the ledger service", project.name, env.name));
    t.parameter("Release", Parameter::string("the release"));
    t.resource("Events", Resource::new("AWS::SNS::Topic").prop("DisplayName", Expr::sub("ledger ${Release}")));
    t.output("EventsArn", Output::new("where the ledger's events go", Expr::r#ref("Events")));
    vec![Stack::new("service", t)]
}
