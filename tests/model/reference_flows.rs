//! The five reference flows of `shared/design.md`, written down as slipway definitions: `flows.rs` shows
//! that each passes `check` and synthesizes, `walks.rs` walks each end to end through every gate,
//! `workflows.rs` that each becomes a workflow set whose jobs reach every environment only from the refs and
//! promotion edges the definitions allow, and `graph.rs` draws each.

use slipway::model::{
    AccountId, Approvals, BackingService, Definitions, Environment, Group, Project, Region, Repository, Tier, Trigger,
};

/// Every reference flow, by the name its snapshots carry.
pub fn all() -> Vec<(&'static str, Definitions)> {
    vec![
        ("line-of-four", line_of_four()),
        ("cloudgov-four", cloud_gov_four()),
        ("promotion-graph", promotion_graph()),
        ("git-flow-six", git_flow_six()),
        ("feature-demos", feature_demos()),
    ]
}

/// dev -> test -> staging -> prod; prod needs 2 approvals and a 30-minute wait and deploys only from `main`
/// or `release/*`. This is the repository's own reference project.
pub fn line_of_four() -> Definitions {
    webapp::project()
}

/// Several deploy environments inside one cloud.gov space, each a frontend + backend app pair:
/// `experiment` and `development` in space `dev`, `staging` in `staging`, `production` in `prod`.
pub fn cloud_gov_four() -> Definitions {
    let cg = |name: &str, tier, space: &str| Environment::new(name, tier).cloud_gov("hhs-tanf", space);
    Project::new("tdp", Repository::new("HHS", "TANF-app"))
        .service(webapp::frontend())
        .service(webapp::backend())
        .backing(BackingService::postgres("db"))
        .environment(cg("experiment", Tier::Development, "dev").deploys_from(["**"]).trigger(Trigger::Manual))
        .environment(cg("development", Tier::Development, "dev").deploys_from(["**"]).trigger(Trigger::Manual))
        .environment(
            cg("staging", Tier::Staging, "staging")
                .deploys_from(["staging"])
                .trigger(Trigger::Push)
                .unprotected_because(
                    "deploys when a pull request into `staging` merges: the government's review is the approval",
                ),
        )
        .environment(
            cg("production", Tier::Production, "prod")
                .deploys_from(["main"])
                .trigger(Trigger::Push)
                .promoted_from(["staging"])
                .unprotected_because(
                    "deploys when a pull request into `main` merges: the government's review is the approval",
                ),
        )
        .into()
}

/// A graph, not a line: dev-int -> future -> active -> staging -> prod, active -> uat -> staging, and
/// dev-int -> active directly; approvals 0 / 1 / 1 / 2+, and a 15-minute wait into prod; uat, staging and
/// prod are reached only by promotion.
pub fn promotion_graph() -> Definitions {
    let qa = Group::new("qa", ["kim", "lee"]);
    let ops = Group::new("operations", ["ada", "bo", "cy"]);
    let aws = |name: &str, tier, account: AccountId| {
        Environment::new(name, tier).aws(account, Region::UsWest2).trigger(Trigger::Manual)
    };
    Project::new("ledger", Repository::new("acme", "ledger"))
        .stacks_from(webapp::stacks::for_environment)
        .asset(webapp::code()[0].clone())
        .assets_in(webapp::ROOT)
        .environment(
            aws("dev-int", Tier::Development, AccountId::new("100000000001"))
                .deploys_from(["main"])
                .trigger(Trigger::Push),
        )
        .environment(
            aws("future", Tier::Test, AccountId::new("100000000002"))
                .deploys_from(["main", "release/*"])
                .promoted_from(["dev-int"]),
        )
        .environment(
            aws("active", Tier::Test, AccountId::new("100000000003"))
                .deploys_from(["main", "release/*"])
                .promoted_from(["future", "dev-int"])
                .approvals(Approvals::new(1).from(qa.clone())),
        )
        .environment(
            aws("uat", Tier::Test, AccountId::new("100000000004"))
                .deploys_from(["release/*"])
                .trigger(Trigger::Promotion)
                .promoted_from(["active"])
                .approvals(Approvals::new(1).from(qa.clone())),
        )
        .environment(
            aws("staging", Tier::Staging, AccountId::new("100000000005"))
                .deploys_from(["release/*"])
                .trigger(Trigger::Promotion)
                .promoted_from(["active", "uat"])
                .approvals(Approvals::new(1).from(ops.clone())),
        )
        .environment(
            aws("prod", Tier::Production, AccountId::new("100000000006"))
                .deploys_from(["release/*"])
                .trigger(Trigger::Promotion)
                .promoted_from(["staging"])
                .approvals(Approvals::new(2).from(ops).wait_minutes(15)),
        )
}

/// git-flow: dev (feature branches and develop), stage, release (hotfix/release), qa, pre-prod, prod, with
/// manual approvals from stage on.
pub fn git_flow_six() -> Definitions {
    let sre = Group::new("sre", ["noor", "sam"]);
    let qa = Group::new("qa", ["tess"]);
    let env = |name: &str, tier, account: &'static str| {
        Environment::new(name, tier).aws(AccountId::new(account), Region::EuWest1).trigger(Trigger::Manual)
    };
    Project::new("mobile", Repository::new("acme", "mobile"))
        .stacks_from(webapp::stacks::for_environment)
        .asset(webapp::code()[0].clone())
        .assets_in(webapp::ROOT)
        .environment(
            env("dev", Tier::Development, "200000000001").deploys_from(["feature/*", "develop"]).trigger(Trigger::Push),
        )
        .environment(
            env("stage", Tier::Test, "200000000002")
                .deploys_from(["develop"])
                .promoted_from(["dev"])
                .approvals(Approvals::new(1).from(sre.clone())),
        )
        .environment(
            env("release", Tier::Test, "200000000003")
                .deploys_from(["hotfix/*", "release/*"])
                .trigger(Trigger::Push)
                .promoted_from(["stage"]),
        )
        .environment(
            env("qa", Tier::Test, "200000000004")
                .deploys_from(["release/*"])
                .promoted_from(["release"])
                .approvals(Approvals::new(1).from(qa)),
        )
        .environment(
            env("pre-prod", Tier::Staging, "200000000005")
                .deploys_from(["master"])
                .trigger(Trigger::ReleaseTag("v*".into()))
                .promoted_from(["qa", "release"])
                .unprotected_because("SRE deploy release tags by hand after QA signed the release off in `qa`"),
        )
        .environment(
            env("prod", Tier::Production, "200000000006")
                .deploys_from(["master"])
                .trigger(Trigger::ReleaseTag("v*".into()))
                .promoted_from(["pre-prod"])
                .approvals(Approvals::new(2).from(sre)),
        )
}

/// Throwaway feature-demo instances from branches named `feature-demo/<name>`, made at run time.
pub fn feature_demos() -> Definitions {
    webapp::project().with_demo("map-export").unwrap().with_demo("offline-sync").unwrap()
}

/// Servers run with docker compose (the flow of `shared/flows/compose-and-feature-demos.md`): pushes to
/// `development` and `staging` deploy those servers, a GitHub release (a `v*` tag) deploys production, and
/// feature demos come from `feature-demo/<name>` branches. Each environment has its stacks (an account of
/// its own) and a compose host reached over SSH, whose key and pinned host key are the environment's
/// secrets in CI.
pub fn compose_servers() -> Definitions {
    use slipway::model::{ComposeHost, ComposeTarget};
    let maintainers = Group::new("maintainers", ["ivan", "sam"]);
    let server = |name: &str, tier, account: &'static str| {
        let host = format!("{name}.fmtm.example");
        Environment::new(name, tier).aws(AccountId::new(account), Region::UsEast1).compose_on(
            ComposeTarget::new(ComposeHost::Server(host.clone())).docker_host(format!("ssh://deploy@{host}")),
        )
    };
    Project::new("fmtm", Repository::new("hotosm", "fmtm"))
        .service(webapp::frontend())
        .service(webapp::backend())
        .backing(BackingService::postgres("db"))
        .stacks_from(webapp::stacks::for_environment)
        .asset(webapp::code()[0].clone())
        .assets_in(webapp::ROOT)
        .environment(
            server("development", Tier::Development, "300000000001")
                .deploys_from(["development"])
                .trigger(Trigger::Push),
        )
        .environment(
            server("staging", Tier::Staging, "300000000002")
                .deploys_from(["staging"])
                .trigger(Trigger::Push)
                .unprotected_because("power users test staging as it is merged; the PR into `staging` is reviewed"),
        )
        .environment(
            server("production", Tier::Production, "300000000003")
                .deploys_from(["main"])
                .trigger(Trigger::ReleaseTag("v*".into()))
                .approvals(Approvals::new(1).from(maintainers)),
        )
        .demos_from(webapp::feature_demo)
}

/// [`compose_servers`] as the flow's own team runs it: each server is its docker-compose host and nothing
/// else (no AWS account, no cloud.gov space, no stacks).
pub fn compose_servers_only() -> Definitions {
    use slipway::model::Target;
    let mut project = compose_servers();
    for env in &mut project.environments {
        env.targets.retain(|t| matches!(t, Target::Compose(_)));
    }
    project
}
