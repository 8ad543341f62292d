//! Every refusal of `slipway check`, with the message a user reads: it names the environment and the
//! field, and says what to do.

use slipway::model::{
    AccountId, Approvals, Definitions, Environment, Group, Problem, Project, RefPattern, Region, Repository, Tier,
    check,
};

const ACCOUNT: AccountId = AccountId::new("123456789012");

fn env(name: &str) -> Environment {
    Environment::new(name, Tier::Development).aws(ACCOUNT, Region::UsEast1).deploys_from(["main"])
}

fn project(envs: Vec<Environment>) -> Definitions {
    envs.into_iter().fold(Project::new("shop", Repository::new("acme", "shop")), Project::environment).into()
}

fn messages(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn the_reference_definitions_pass() {
    assert_eq!(check(&webapp::project()), vec![]);
}

#[test]
fn refuses_duplicate_names() {
    let p = project(vec![env("dev"), env("prod"), env("dev")]);
    assert_eq!(
        messages(&check(&p)),
        ["environment `dev`, name: is defined more than once; give each environment its own name"]
    );
}

#[test]
fn refuses_a_name_project_wide_artifacts_use() {
    let p = project(vec![env("dev"), env("github")]);
    assert_eq!(
        messages(&check(&p)),
        ["environment `github`, name: `github` is reserved: synth writes the project-wide GitHub settings under \
          `github/`; choose another name"]
    );
}

#[test]
fn refuses_promotion_from_an_unknown_environment_with_a_suggestion() {
    let p = project(vec![env("staging"), env("prod").promoted_from(["stagign"])]);
    assert_eq!(
        messages(&check(&p)),
        ["environment `prod`, promoted_from: names `stagign`, which is not an environment; did you mean `staging`?"]
    );
}

#[test]
fn refuses_a_promotion_cycle_once_in_promotion_order() {
    let p = project(vec![
        env("dev").promoted_from(["prod"]),
        env("staging").promoted_from(["dev"]),
        env("prod").promoted_from(["staging"]),
    ]);
    assert_eq!(
        messages(&check(&p)),
        ["environment `dev`, promoted_from: forms a promotion cycle dev -> staging -> prod -> dev; a release \
             must flow one way, so drop one of these links"]
    );
}

#[test]
fn refuses_promotion_from_itself() {
    let p = project(vec![env("dev").promoted_from(["dev"])]);
    assert_eq!(messages(&check(&p)), ["environment `dev`, promoted_from: names the environment itself"]);
}

#[test]
fn refuses_names_that_cannot_be_stack_or_app_names() {
    let p = project(vec![env("Prod"), env("qa_1"), env("uat-"), env("9lives")]);
    let got = messages(&check(&p));
    assert_eq!(
        got,
        [
            "environment `9lives`, name: `9lives` must start with a lowercase letter (it is part of stack and app \
             names)",
            "environment `Prod`, name: `Prod` must start with a lowercase letter (it is part of stack and app names)",
            "environment `qa_1`, name: `qa_1` may hold only lowercase letters, digits and hyphens (it is part of \
             CloudFormation stack names and cloud.gov app names)",
            "environment `uat-`, name: `uat-` may not end with a hyphen or hold two in a row",
        ]
    );
}

#[test]
fn refuses_a_name_whose_app_name_is_too_long_for_a_route() {
    let long = "a".repeat(50);
    // Only a service that runs on cloud.gov makes an app name there.
    let p: Definitions = Project::new("shop", Repository::new("acme", "shop"))
        .service(slipway::model::Service::web("frontend", 8080))
        .environment(Environment::new(&long, Tier::Development).cloud_gov("org", "dev").deploys_from(["main"]))
        .into();
    let got = messages(&check(&p));
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with(&format!("environment `{long}`, name: makes the cloud.gov app name `shop-frontend-{long}`")),
        "{got:?}"
    );
    assert!(got[0].ends_with("longer than the 63 a route's host name may have; shorten the environment name"));
}

#[test]
fn refuses_invalid_ref_globs() {
    let p = project(vec![
        env("dev").deploys_from(["release/[0-9"]),
        env("qa").deploys_from(["feature..x"]),
        env("uat").deploys_from(["has space"]),
    ]);
    let got = messages(&check(&p));
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[0].starts_with("environment `dev`, refs: the ref pattern `release/[0-9` is not a valid glob:"));
    assert_eq!(
        got[1],
        "environment `qa`, refs: the ref pattern `feature..x` contains `..` or `@{`, which git does not allow in a \
         ref name"
    );
    assert_eq!(
        got[2],
        "environment `uat`, refs: the ref pattern `has space` contains ' ', which git does not allow in a ref name"
    );
}

#[test]
fn refuses_approvals_from_an_empty_group() {
    let p = project(vec![env("prod").approvals(Approvals::new(1).from(Group::new("release", Vec::<String>::new())))]);
    assert_eq!(
        messages(&check(&p)),
        [
            "environment `prod`, approvals: asks approval from group `release`, which has no members; add members or drop it"
        ]
    );
}

#[test]
fn refuses_more_approvals_than_there_are_approvers() {
    let p = project(vec![env("prod").approvals(Approvals::new(3).from(Group::new("release", ["ana", "bo"])))]);
    assert_eq!(
        messages(&check(&p)),
        ["environment `prod`, approvals: needs 3 approvals but its groups have only 2 distinct member(s), so no \
             deploy could ever be approved"]
    );
}

#[test]
fn refuses_a_feature_demo_named_like_a_permanent_environment() {
    let p = webapp::project().with_demo("prod").unwrap();
    assert_eq!(
        messages(&check(&p)),
        ["environment `prod`, name: the feature-demo name `prod` collides with the permanent environment of that \
             name; choose another demo name"]
    );
}

#[test]
fn refuses_an_environment_with_nowhere_to_deploy_and_no_refs() {
    let p = project(vec![Environment::new("dev", Tier::Development)]);
    assert_eq!(
        messages(&check(&p)),
        [
            "environment `dev`, refs: allows no git ref to deploy; add `.deploys_from([\"main\"])` or a glob such as \
             `release/*`",
            "environment `dev`, targets: has no target; add `.aws(..)`, `.cloud_gov(..)` or `.compose(..)`",
        ]
    );
}

#[test]
fn lists_every_problem_not_only_the_first() {
    let p = project(vec![env("dev"), env("dev"), env("prod").promoted_from(["nowhere"])]);
    assert_eq!(check(&p).len(), 2);
}

#[test]
fn ref_patterns_match_as_branch_filters_do() {
    let release = RefPattern::new("release/*");
    assert!(release.matches("release/1.4"));
    assert!(!release.matches("release/1.4/hotfix"), "`*` stays inside one path component");
    assert!(!release.matches("main"));
    assert!(RefPattern::new("main").matches("main"));
    assert!(!RefPattern::new("main").matches("maintenance"));
}

#[test]
fn refuses_an_account_id_that_is_not_twelve_digits_naming_the_environment() {
    let written_inline = Environment::new("dev", Tier::Development)
        .aws(AccountId::new("5555-5555-5555"), Region::UsEast1)
        .deploys_from(["main"]);
    assert_eq!(
        messages(&check(&project(vec![written_inline]))),
        ["environment `dev`, targets: the AWS account ID `5555-5555-5555` is not twelve digits; write it as \
          `account_id!(\"123456789012\")` so that the compiler checks it"]
    );
}

#[test]
fn refuses_production_and_staging_without_approvals_or_with_any_ref_unless_it_says_why() {
    let unguarded =
        |name: &str, tier| Environment::new(name, tier).aws(ACCOUNT, Region::UsEast1).deploys_from(["main", "**"]);
    assert_eq!(
        messages(&check(&project(vec![unguarded("prod", Tier::Production), unguarded("stage", Tier::Staging)]))),
        [
            "environment `prod`, approvals: a production environment deploys with no approval; add \
             `.approvals(Approvals::new(1).from(..))`, or, if that is deliberate, say why with \
             `.unprotected_because(\"...\")`",
            "environment `prod`, refs: a production environment deploys from any ref (`**`); name the branches \
             (`main`, `release/*`), or, if that is deliberate, say why with `.unprotected_because(\"...\")`",
            "environment `stage`, approvals: a staging environment deploys with no approval; add \
             `.approvals(Approvals::new(1).from(..))`, or, if that is deliberate, say why with \
             `.unprotected_because(\"...\")`",
            "environment `stage`, refs: a staging environment deploys from any ref (`**`); name the branches \
             (`main`, `release/*`), or, if that is deliberate, say why with `.unprotected_because(\"...\")`",
        ]
    );
    let said = unguarded("prod", Tier::Production).unprotected_because("a sandbox that looks like production");
    assert_eq!(messages(&check(&project(vec![said]))), Vec::<String>::new());
    let blank = unguarded("prod", Tier::Production).unprotected_because("  ");
    assert_eq!(
        messages(&check(&project(vec![blank]))),
        ["environment `prod`, unprotected_because: gives no reason; say why this environment needs no approvals \
          or may deploy from any ref"]
    );
    // A test environment may deploy from anything without approvals.
    let test = Environment::new("qa", Tier::Test).aws(ACCOUNT, Region::UsEast1).deploys_from(["*"]);
    assert_eq!(messages(&check(&project(vec![test]))), Vec::<String>::new());
}

#[test]
fn refuses_protection_github_cannot_hold() {
    let many = |name: &str| Group::new(name, (0..2).map(|i| format!("{name}{i}")));
    let mut approvals = Approvals::new(1).wait_minutes(43_201);
    for g in ["a", "b", "c", "d", "e", "f", "g"] {
        approvals = approvals.from(many(g));
    }
    let p = project(vec![env("dev").approvals(approvals)]);
    assert_eq!(
        messages(&check(&p)),
        ["environment `dev`, approvals: names 7 groups of 14 people; a GitHub environment lists at most 6 \
             reviewers (people, or teams when there are more people), so merge some groups",],
        "a wait of more than 30 days is slipway's to count, not GitHub's wait timer's, so it is no problem"
    );
}
