//! Every deployment flow that `shared/design.md` lists can be written down as slipway definitions that
//! pass `check` and synthesize: the model is expressive enough for the teams it serves.

use std::time::Duration;

use slipway::model::{ComposeHost, Definitions, Project, Tier, check};

fn accepted(project: &Definitions) -> slipway::synth::ArtifactSet {
    assert_eq!(check(project), vec![], "check refused the flow");
    crate::support::synth(project, &[]).expect("the flow synthesizes")
}

fn promoted_from<'a>(project: &'a Project, env: &str) -> Vec<&'a str> {
    project.find(env).unwrap().promoted_from.iter().map(String::as_str).collect()
}

/// dev -> test -> staging -> prod; prod needs 2 approvals and a 30-minute wait and deploys only from `main`
/// or `release/*`. This is the repository's own reference project.
#[test]
fn a_line_of_four_with_a_guarded_production() {
    let project = crate::model::reference_flows::line_of_four();
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
    assert_eq!(set.stacks["prod"], ["logging", "network", "data", "app", "monitoring", "deploy-role"]);
}

/// Several deploy environments inside one cloud.gov space, each a frontend + backend app pair:
/// `experiment` and `development` in space `dev`, `staging` in `staging`, `production` in `prod`.
#[test]
fn four_cloud_gov_environments_in_three_spaces() {
    let project = crate::model::reference_flows::cloud_gov_four();
    accepted(&project);
    let spaces: Vec<_> = project.environments.iter().map(|e| e.cloud_gov_target().unwrap().space.as_str()).collect();
    assert_eq!(spaces, ["dev", "dev", "staging", "prod"]);
}

/// A graph, not a line: dev-int -> future -> active -> staging -> prod, active -> uat -> staging, and
/// dev-int -> active directly; approvals 0 / 1 / 1 / 2+.
#[test]
fn a_promotion_graph_with_rising_approvals() {
    let project = crate::model::reference_flows::promotion_graph();
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
    let project = crate::model::reference_flows::git_flow_six();
    accepted(&project);
    let dev = project.find("dev").unwrap();
    assert!(dev.allows_ref("feature/map-layers") && dev.allows_ref("develop") && !dev.allows_ref("master"));
    assert!(project.find("release").unwrap().allows_ref("hotfix/crash-on-start"));
}

/// Throwaway feature-demo instances from branches named `feature-demo/<name>`, made at run time.
#[test]
fn feature_demo_instances_from_branch_names() {
    let project = crate::model::reference_flows::feature_demos();
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
