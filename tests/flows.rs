//! Every deployment flow that `shared/design.md` lists can be written down as slipway definitions that
//! pass `check` and synthesize: the model is expressive enough for the teams it serves.

use std::time::Duration;

use slipway::model::{
    AccountId, Approvals, ComposeHost, Environment, Group, Project, Region, Repository, Tier, Trigger, check,
};

fn accepted(project: &Project) -> slipway::synth::ArtifactSet {
    assert_eq!(check(project), vec![], "check refused the flow");
    slipway::synth::synth(project, &[]).expect("the flow synthesizes")
}

fn promoted_from<'a>(project: &'a Project, env: &str) -> Vec<&'a str> {
    project.find(env).unwrap().promoted_from.iter().map(String::as_str).collect()
}

/// dev -> test -> staging -> prod; prod needs 2 approvals and a 30-minute wait and deploys only from `main`
/// or `release/*`. This is the repository's own reference project.
#[test]
fn a_line_of_four_with_a_guarded_production() {
    let project = slipway::environments::project();
    let set = accepted(&project);
    // The line is there, in this order; a team may add environments beside it.
    let line: Vec<&String> =
        set.environments.iter().filter(|e| ["dev", "test", "staging", "prod"].contains(&e.as_str())).collect();
    assert_eq!(line, ["dev", "test", "staging", "prod"]);
    assert_eq!(promoted_from(&project, "test"), ["dev"]);
    assert_eq!(promoted_from(&project, "staging"), ["test"]);
    assert_eq!(promoted_from(&project, "prod"), ["staging"]);
    let prod = project.find("prod").unwrap();
    assert_eq!(prod.approvals.required, 2);
    assert_eq!(prod.approvals.wait, Duration::from_secs(30 * 60));
    assert!(prod.allows_ref("main"));
    assert!(prod.allows_ref("release/2026.11"));
    assert!(!prod.allows_ref("feature/login"));
    assert!(!prod.allows_ref("develop"));
    assert_eq!(set.stacks["prod"], ["logging", "network", "data", "deploy-role", "app", "monitoring"]);
}

/// Several deploy environments inside one cloud.gov space, each a frontend + backend app pair:
/// `experiment` and `development` in space `dev`, `staging` in `staging`, `production` in `prod`.
#[test]
fn four_cloud_gov_environments_in_three_spaces() {
    let cg = |name: &str, tier, space: &str| Environment::new(name, tier).cloud_gov("hhs-tanf", space);
    let project = Project::new("tdp", Repository::new("HHS", "TANF-app"))
        .environment(cg("experiment", Tier::Development, "dev").deploys_from(["*"]).trigger(Trigger::Manual))
        .environment(cg("development", Tier::Development, "dev").deploys_from(["*"]).trigger(Trigger::Manual))
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
        );
    accepted(&project);
    let spaces: Vec<_> = project.environments.iter().map(|e| e.cloud_gov_target().unwrap().space.as_str()).collect();
    assert_eq!(spaces, ["dev", "dev", "staging", "prod"]);
}

/// A graph, not a line: dev-int -> future -> active -> staging -> prod, active -> uat -> staging, and
/// dev-int -> active directly; approvals 0 / 1 / 1 / 2+.
#[test]
fn a_promotion_graph_with_rising_approvals() {
    let qa = Group::new("qa", ["kim", "lee"]);
    let ops = Group::new("operations", ["ada", "bo", "cy"]);
    let aws = |name: &str, tier, account: AccountId| {
        Environment::new(name, tier).aws(account, Region::UsWest2).trigger(Trigger::Manual)
    };
    let project = Project::new("ledger", Repository::new("acme", "ledger"))
        .stacks_from(slipway::stacks::for_environment)
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
                .promoted_from(["active"])
                .approvals(Approvals::new(1).from(qa.clone())),
        )
        .environment(
            aws("staging", Tier::Staging, AccountId::new("100000000005"))
                .deploys_from(["release/*"])
                .promoted_from(["active", "uat"])
                .approvals(Approvals::new(1).from(ops.clone())),
        )
        .environment(
            aws("prod", Tier::Production, AccountId::new("100000000006"))
                .deploys_from(["release/*"])
                .promoted_from(["staging"])
                .approvals(Approvals::new(2).from(ops)),
        );
    let set = accepted(&project);
    assert_eq!(set.stacks.len(), 6);
    let required: Vec<u32> = ["dev-int", "future", "active", "staging", "prod"]
        .iter()
        .map(|e| project.find(e).unwrap().approvals.required)
        .collect();
    assert_eq!(required, [0, 0, 1, 1, 2]);
    assert_eq!(promoted_from(&project, "staging"), ["active", "uat"]);
}

/// git-flow: dev (feature branches and develop), stage, release (hotfix/release), qa, pre-prod, prod, with
/// manual approvals from stage on.
#[test]
fn git_flow_with_six_environments() {
    let sre = Group::new("sre", ["noor", "sam"]);
    let qa = Group::new("qa", ["tess"]);
    let env = |name: &str, tier, account: &'static str| {
        Environment::new(name, tier).aws(AccountId::new(account), Region::EuWest1).trigger(Trigger::Manual)
    };
    let project = Project::new("mobile", Repository::new("acme", "mobile"))
        .stacks_from(slipway::stacks::for_environment)
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
        );
    accepted(&project);
    let dev = project.find("dev").unwrap();
    assert!(dev.allows_ref("feature/map-layers") && dev.allows_ref("develop") && !dev.allows_ref("master"));
    assert!(project.find("release").unwrap().allows_ref("hotfix/crash-on-start"));
}

/// Throwaway feature-demo instances from branches named `feature-demo/<name>`, made at run time.
#[test]
fn feature_demo_instances_from_branch_names() {
    let project = slipway::environments::project().with_demo("map-export").unwrap().with_demo("offline-sync").unwrap();
    let set = accepted(&project);
    let mut expected: Vec<String> = project.environments.iter().map(|e| e.name.clone()).collect();
    expected.extend(["map-export".to_string(), "offline-sync".to_string()]);
    assert_eq!(set.environments, expected, "the demos come after every permanent environment");
    let demo = project.find("map-export").unwrap();
    assert_eq!(demo.tier, Tier::Demo);
    assert!(demo.allows_ref("feature-demo/map-export"));
    assert!(!demo.allows_ref("feature-demo/offline-sync"));
    assert!(matches!(demo.compose_target().unwrap().host, ComposeHost::Server(ref h) if h.starts_with("map-export.")));
}
