//! The deployment flows of `shared/design.md`, walked end to end on moto: releases go from the first
//! environment to the last through the same code the commands run (`slipway::ops`), each environment in
//! its own AWS account reached by assuming its role through STS (moto's many-account mode), every gate
//! is tried and its refusal's message asserted, and the ledger then holds exactly the expected records.
//! A clock the test moves stands in for the wait timers.

use slipway::apply::cloudformation::Ending;

pub(crate) use super::world::World;

/// The full ledger line of a promotion or deploy that ran to the end.
fn done(kind: &str, release: &str, by: &str, approvals: &[&str]) -> [String; 2] {
    let a = if approvals.is_empty() { String::new() } else { format!(" [{}]", approvals.join(", ")) };
    [format!("{kind} {release} started by {by}{a}"), format!("{kind} {release} finished deployed by {by}{a}")]
}

fn lines(parts: &[&[String]]) -> Vec<String> {
    parts.iter().flat_map(|p| p.iter().cloned()).collect()
}

fn deployed(v: Result<Ending, Vec<String>>) {
    assert_eq!(v, Ok(Ending::Deployed));
}

/// dev -> test -> staging -> prod, the repository's own definitions: prod needs two release managers and
/// a 30-minute wait, and deploys only from `main` or `release/*`; each environment is its own account.

#[test]
fn the_line_of_four_walked_through_every_gate() {
    line_of_four_walked();
}

/// The walk of the test above, whose world the status page's tests look at.
pub(crate) fn line_of_four_walked() -> World {
    let w = World::new(crate::model::reference_flows::line_of_four());
    w.release("r1", "refs/heads/main", "ana");
    w.release("r2", "refs/heads/feature/login", "ana");
    w.release("r3", "refs/heads/main", "ana");

    deployed(w.deploy("r1", "dev", "ci", &[]));
    // A wrong ref.
    assert_eq!(
        w.deploy("r2", "dev", "ci", &[]),
        Err(vec!["[ref] release r2 was made on `feature/login`, but `dev` deploys only from main".to_string()])
    );
    // test takes a release by hand or by promotion, either way with a QA approval.
    assert_eq!(
        w.promote("r1", "dev", "test", "ana", &[]),
        Err(vec![
            "[approvals] `test` needs 1 approval from qa, by people other than the one running this and the \
                  release's author (ana); none counted"
                .to_string()
        ])
    );
    assert_eq!(
        w.promote("r1", "dev", "test", "amara", &["amara"]),
        Err(vec![
            "[approvals] `test` needs 1 approval from qa, by people other than the one running this and the \
                  release's author (ana); none counted; not counted: amara is the person running this"
                .to_string()
        ])
    );
    deployed(w.promote("r1", "dev", "test", "ci", &["amara"]));
    deployed(w.promote("r1", "test", "staging", "ci", &["jonas"]));

    // Into prod: every approval rule, the wait, a path not in the graph, a freeze.
    let prod_needs = "[approvals] `prod` needs 2 approvals from release-managers, by people other than the one \
                      running this and the release's author (ana); ";
    w.advance(10);
    let early = w.promote("r1", "staging", "prod", "ci", &["priya", "priya", "ana", "jonas"]).unwrap_err();
    assert_eq!(early.len(), 2, "{early:?}");
    assert_eq!(
        early[0],
        format!(
            "{prod_needs}counted priya; not counted: priya approved twice, counted once; ana is the release's author; \
             jonas is in none of the approving groups"
        )
    );
    assert!(
        early[1].starts_with("[wait] `prod` waits 30m after a release reaches `staging`: release r1 reached it at "),
        "{}",
        early[1]
    );
    assert!(early[1].ends_with("(in 20m)"), "{}", early[1]);
    assert_eq!(
        w.promote("r1", "dev", "prod", "ci", &["priya", "mateo"]).unwrap_err()[0],
        "[path] `prod` is not promoted from `dev`: it is promoted from staging"
    );
    assert_eq!(
        w.deploy("r1", "prod", "ci", &["priya", "mateo"]).unwrap_err()[0],
        "[path] `prod` is reached only by promotion from staging, not deployed directly; use `slipway promote \
         --release r1 --to prod`"
    );
    w.advance(21);
    w.freeze("prod", "ines", true);
    let frozen = w.promote("r1", "staging", "prod", "ci", &["priya", "mateo"]).unwrap_err();
    assert_eq!(frozen.len(), 1, "{frozen:?}");
    assert!(frozen[0].starts_with("[freeze] `prod` is frozen by ines ("), "{frozen:?}");
    assert!(frozen[0].ends_with("): incident 42: stop the line; `slipway unfreeze` lifts it"), "{frozen:?}");
    w.advance(1);
    w.freeze("prod", "ines", false);
    w.advance(1);
    deployed(w.promote("r1", "staging", "prod", "ci", &["priya", "mateo"]));
    assert_eq!(w.running("prod").as_deref(), Some("r1"));

    // A source whose smoke check failed: r3 fails in dev, so dev still runs r1 and its last change failed.
    w.app_answers("dev", 503);
    let failed = w.deploy("r3", "dev", "ci", &[]).unwrap();
    assert!(matches!(failed, Ending::RolledBack { .. }), "{failed:?}");
    w.app_answers("dev", 200);
    assert_eq!(
        w.promote("r3", "dev", "test", "ci", &["amara"]).unwrap_err(),
        [
            "[source] `dev` runs release r1, not r3; promote what the source runs now".to_string(),
            "[source] the last change to `dev` (deploy of release r3 by ci) ended rolled-back; it must succeed before \
             a promotion from it"
                .into()
        ]
    );
    assert_eq!(w.running("dev").as_deref(), Some("r1"));

    // The ledger holds exactly what happened: the refusals changed nothing.
    assert_eq!(
        w.ledger("dev"),
        lines(&[
            &done("deploy", "r1", "ci", &[]),
            &["deploy r3 started by ci".into(), "deploy r3 finished rolled-back by ci".into()],
        ])
    );
    assert_eq!(w.ledger("test"), done("promote", "r1", "ci", &["amara"]));
    assert_eq!(w.ledger("staging"), done("promote", "r1", "ci", &["jonas"]));
    assert_eq!(
        w.ledger("prod"),
        lines(&[
            &["freeze by ines".into(), "unfreeze by ines".into()],
            &done("promote", "r1", "ci", &["priya", "mateo"]),
        ])
    );
    w
}

/// A graph rather than a line: dev-int -> future -> active -> staging -> prod, and active -> uat ->
/// staging; approvals 0 / 1 / 1 / 2 with a 15-minute wait into prod; release branches deployed into
/// future by hand; who approved what, audited from the ledger.
#[test]
fn the_promotion_graph_walked_through_every_gate() {
    promotion_graph_walked();
}

/// The walk of the test above, whose world the status page's tests look at.
pub(crate) fn promotion_graph_walked() -> World {
    let w = World::new(crate::model::reference_flows::promotion_graph());
    w.release("r1", "refs/heads/main", "dev1");
    w.release("r2", "refs/heads/release/v2", "dev2");
    w.release("r3", "refs/heads/release/v3", "dev2");

    // main reaches dev-int, future and active.
    deployed(w.deploy("r1", "dev-int", "ci", &[]));
    deployed(w.promote("r1", "dev-int", "future", "dev1", &[]));
    deployed(w.promote("r1", "future", "active", "dev1", &["kim"]));
    // A wrong ref: uat takes release branches only.
    assert_eq!(
        w.promote("r1", "active", "uat", "dev1", &["kim"]).unwrap_err(),
        ["[ref] release r1 was made on `main`, but `uat` deploys only from release/*"]
    );
    // A release branch enters by hand at future (it may not enter at dev-int), then moves along.
    assert_eq!(
        w.deploy("r2", "dev-int", "ci", &[]).unwrap_err(),
        ["[ref] release r2 was made on `release/v2`, but `dev-int` deploys only from main"]
    );
    deployed(w.deploy("r2", "future", "dev2", &[]));
    // A path not in the graph.
    assert_eq!(
        w.promote("r2", "future", "staging", "dev2", &["ada"]).unwrap_err(),
        ["[path] `staging` is not promoted from `future`: it is promoted from active, uat"]
    );
    deployed(w.promote("r2", "future", "active", "dev2", &["lee"]));
    deployed(w.promote("r2", "active", "uat", "lee", &["kim"]));
    // A wrong group, the author approving.
    let staging_needs = "[approvals] `staging` needs 1 approval from operations, by people other than the one \
                         running this and the release's author (dev2); none counted; not counted: ";
    assert_eq!(
        w.promote("r2", "uat", "staging", "kim", &["lee"]).unwrap_err(),
        [format!("{staging_needs}lee is in none of the approving groups")]
    );
    assert_eq!(
        w.promote("r2", "uat", "staging", "kim", &["dev2"]).unwrap_err(),
        [format!("{staging_needs}dev2 is the release's author")]
    );
    deployed(w.promote("r2", "uat", "staging", "kim", &["ada"]));
    // The same person twice, the wait, a freeze.
    w.advance(5);
    let twice = w.promote("r2", "staging", "prod", "kim", &["ada", "ada"]).unwrap_err();
    assert_eq!(twice.len(), 2, "{twice:?}");
    assert_eq!(
        twice[0],
        "[approvals] `prod` needs 2 approvals from operations, by people other than the one running this and the \
         release's author (dev2); counted ada; not counted: ada approved twice, counted once"
    );
    assert!(twice[1].starts_with("[wait] `prod` waits 15m after a release reaches `staging`"), "{}", twice[1]);
    assert!(twice[1].ends_with("(in 10m)"), "{}", twice[1]);
    w.advance(10);
    w.freeze("prod", "cy", true);
    let frozen = w.promote("r2", "staging", "prod", "kim", &["ada", "bo"]).unwrap_err();
    assert!(frozen.len() == 1 && frozen[0].starts_with("[freeze] `prod` is frozen by cy"), "{frozen:?}");
    w.advance(1);
    w.freeze("prod", "cy", false);
    w.advance(1);
    deployed(w.promote("r2", "staging", "prod", "kim", &["ada", "bo"]));
    assert_eq!(w.running("prod").as_deref(), Some("r2"));

    // A source whose smoke check failed.
    deployed(w.deploy("r3", "future", "dev2", &[]));
    w.app_answers("active", 503);
    assert!(matches!(w.promote("r3", "future", "active", "dev2", &["kim"]), Ok(Ending::RolledBack { .. })));
    w.app_answers("active", 200);
    assert_eq!(
        w.promote("r3", "active", "uat", "dev2", &["kim"]).unwrap_err(),
        [
            "[source] `active` runs release r2, not r3; promote what the source runs now".to_string(),
            "[source] the last change to `active` (promote of release r3 by dev2) ended rolled-back; it must succeed \
             before a promotion from it"
                .into()
        ]
    );

    // The audit: who approved what, environment by environment.
    assert_eq!(w.ledger("dev-int"), done("deploy", "r1", "ci", &[]));
    assert_eq!(
        w.ledger("future"),
        lines(&[
            &done("promote", "r1", "dev1", &[]),
            &done("deploy", "r2", "dev2", &[]),
            &done("deploy", "r3", "dev2", &[])
        ])
    );
    assert_eq!(
        w.ledger("active"),
        lines(&[
            &done("promote", "r1", "dev1", &["kim"]),
            &done("promote", "r2", "dev2", &["lee"]),
            &["promote r3 started by dev2 [kim]".into(), "promote r3 finished rolled-back by dev2 [kim]".into()],
        ])
    );
    assert_eq!(w.ledger("uat"), done("promote", "r2", "lee", &["kim"]));
    assert_eq!(w.ledger("staging"), done("promote", "r2", "kim", &["ada"]));
    assert_eq!(
        w.ledger("prod"),
        lines(&[&["freeze by cy".into(), "unfreeze by cy".into()], &done("promote", "r2", "kim", &["ada", "bo"])])
    );
    w
}

/// Rollback, on the line of four: to the release before the current one and to a named one, each
/// redeploying that release's template byte for byte; the hold refuses the next automatic deploy,
/// naming the rollback, until it is lifted; a rollback needs the approvals of a promotion into the
/// environment, and passes a freeze only by breaking it, which is recorded.
#[test]
fn rollbacks_to_the_previous_and_to_a_named_release() {
    let w = World::new(webapp::project());
    for id in ["r1", "r2", "r3"] {
        w.release(id, "refs/heads/main", "ana");
    }
    deployed(w.deploy("r1", "dev", "ci", &[]));
    deployed(w.promote("r1", "dev", "test", "ci", &["amara"]));
    deployed(w.deploy("r2", "dev", "ci", &[]));
    deployed(w.deploy("r3", "dev", "ci", &[]));

    // To the release before the current one: r2, its template byte for byte.
    deployed(w.rollback("dev", None, "ines", &[], false));
    assert_eq!(w.running("dev").as_deref(), Some("r2"));
    let (running, made) = w.templates("dev", "r2");
    assert!(made.contains("app of release r2"), "{made}");
    assert_eq!(running, made);
    // The hold refuses the next automatic deploy, naming the rollback.
    let held = w.deploy("r3", "dev", "ci", &[]).unwrap_err();
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(held[0].starts_with("[hold] `dev` is held since ines rolled it back to r2 at "), "{held:?}");
    assert!(
        held[0].ends_with(
            " (r3 breaks logins), so its automatic deploys are refused; `slipway unhold --env dev` lifts the hold"
        ),
        "{held:?}"
    );
    // To a named release: r1, byte for byte; then the hold lifts and the line moves again.
    deployed(w.rollback("dev", Some("r1"), "ines", &[], false));
    let (running, made) = w.templates("dev", "r1");
    assert!(made.contains("app of release r1"), "{made}");
    assert_eq!(running, made);
    w.unhold("dev", "ines");
    deployed(w.deploy("r3", "dev", "ci", &[]));
    assert_eq!(w.running("dev").as_deref(), Some("r3"));

    // Into test, a rollback needs what a promotion into test needs: a QA approval.
    deployed(w.promote("r3", "dev", "test", "ci", &["amara"]));
    assert_eq!(
        w.rollback("test", None, "ines", &[], false).unwrap_err(),
        ["[approvals] `test` needs 1 approval from qa, by people other than the one running this and the release's \
          author (ana); none counted"]
    );
    // A freeze stops it, unless it is broken, which the ledger records.
    w.freeze("test", "ines", true);
    let frozen = w.rollback("test", None, "ines", &["amara"], false).unwrap_err();
    assert!(
        frozen.len() == 1
            && frozen[0]
                .ends_with(": incident 42: stop the line; a rollback may pass with --break-freeze, which is recorded"),
        "{frozen:?}"
    );
    deployed(w.rollback("test", None, "ines", &["amara"], true));
    let (running, made) = w.templates("test", "r1");
    assert_eq!(running, made);
    // staging has run nothing: there is nothing to go back to.
    assert_eq!(
        w.rollback("staging", None, "ines", &["jonas"], false).unwrap_err(),
        ["the ledger knows of no release on `staging`, so none to go back to; name one with --to"]
    );

    let rollback = |release: &str, approvals: &[&str], tail: &str| -> [String; 2] {
        let a = if approvals.is_empty() { String::new() } else { format!(" [{}]", approvals.join(", ")) };
        [
            format!("rollback {release} started by ines{a} (r3 breaks logins){tail}"),
            format!("rollback {release} finished deployed by ines{a} (r3 breaks logins){tail}"),
        ]
    };
    assert_eq!(
        w.ledger("dev"),
        lines(&[
            &done("deploy", "r1", "ci", &[]),
            &done("deploy", "r2", "ci", &[]),
            &done("deploy", "r3", "ci", &[]),
            &rollback("r2", &[], ""),
            &rollback("r1", &[], ""),
            &["unhold by ines".into()],
            &done("deploy", "r3", "ci", &[]),
        ])
    );
    assert_eq!(
        w.ledger("test"),
        lines(&[
            &done("promote", "r1", "ci", &["amara"]),
            &done("promote", "r3", "ci", &["amara"]),
            &["freeze by ines".into()],
            &rollback("r1", &["amara"], " breaking the freeze"),
        ])
    );
}

/// git-flow: dev (feature branches and develop), stage, release (hotfix and release branches), qa,
/// pre-prod, prod; pre-prod and prod take release tags; one SRE approves into stage, QA into qa, two
/// SREs into prod. Several releases travel at once: develop's, a release branch's, a tag's.
#[test]
fn git_flow_walked_through_every_gate() {
    git_flow_six_walked();
}

/// The walk of the test above, whose world the status page's tests look at.
pub(crate) fn git_flow_six_walked() -> World {
    let w = World::new(crate::model::reference_flows::git_flow_six());
    w.release("r1", "refs/heads/develop", "dev1");
    w.release("r2", "refs/heads/release/1.0", "dev2");
    w.release("r3", "refs/tags/v1.0.0", "dev2");
    w.release("r4", "refs/tags/v1.0.1", "dev2");
    w.release("r5", "refs/heads/hotfix/1.0.2", "dev1");

    // develop reaches dev on push, and stage with an SRE's approval.
    deployed(w.deploy("r1", "dev", "ci", &[]));
    assert_eq!(
        w.promote("r1", "dev", "stage", "ci", &[]).unwrap_err(),
        ["[approvals] `stage` needs 1 approval from sre, by people other than the one running this and the \
          release's author (dev1); none counted"]
    );
    deployed(w.promote("r1", "dev", "stage", "ci", &["noor"]));
    // develop may not go on to release, nor skip to qa.
    assert_eq!(
        w.promote("r1", "stage", "release", "ci", &[]).unwrap_err(),
        ["[ref] release r1 was made on `develop`, but `release` deploys only from hotfix/*, release/*"]
    );
    assert_eq!(
        w.promote("r1", "dev", "qa", "ci", &["tess"]).unwrap_err(),
        [
            "[path] `qa` is not promoted from `dev`: it is promoted from release",
            "[ref] release r1 was made on `develop`, but `qa` deploys only from release/*",
        ]
    );

    // A release branch deploys to release on push, then goes to qa with QA's approval, not an SRE's.
    deployed(w.deploy("r2", "release", "ci", &[]));
    assert_eq!(
        w.promote("r2", "release", "qa", "ci", &["noor"]).unwrap_err(),
        ["[approvals] `qa` needs 1 approval from qa, by people other than the one running this and the release's \
          author (dev2); none counted; not counted: noor is in none of the approving groups"]
    );
    deployed(w.promote("r2", "release", "qa", "ci", &["tess"]));
    // pre-prod takes master or a release tag, not a release branch.
    assert_eq!(
        w.promote("r2", "qa", "pre-prod", "ci", &[]).unwrap_err(),
        ["[ref] release r2 was made on `release/1.0`, but `pre-prod` deploys only from master, or a tag matching v*"]
    );

    // The tag deploys pre-prod, then goes to prod with two SREs, neither of them the one running it.
    deployed(w.deploy("r3", "pre-prod", "ci", &[]));
    let prod_needs = "[approvals] `prod` needs 2 approvals from sre, by people other than the one running this and \
                      the release's author (dev2); ";
    assert_eq!(
        w.promote("r3", "pre-prod", "prod", "sam", &["noor", "sam"]).unwrap_err(),
        [format!("{prod_needs}counted noor; not counted: sam is the person running this")]
    );
    assert_eq!(
        w.promote("r3", "pre-prod", "prod", "ci", &["noor", "tess"]).unwrap_err(),
        [format!("{prod_needs}counted noor; not counted: tess is in none of the approving groups")]
    );
    w.freeze("prod", "sam", true);
    let frozen = w.promote("r3", "pre-prod", "prod", "ci", &["noor", "sam"]).unwrap_err();
    assert!(frozen.len() == 1 && frozen[0].starts_with("[freeze] `prod` is frozen by sam"), "{frozen:?}");
    w.freeze("prod", "sam", false);
    deployed(w.promote("r3", "pre-prod", "prod", "ci", &["noor", "sam"]));
    assert_eq!(w.running("prod").as_deref(), Some("r3"));

    // The next tag fails its smoke check in pre-prod, which keeps r3, and so it cannot reach prod.
    w.app_answers("pre-prod", 503);
    assert!(matches!(w.deploy("r4", "pre-prod", "ci", &[]), Ok(Ending::RolledBack { .. })));
    w.app_answers("pre-prod", 200);
    assert_eq!(
        w.promote("r4", "pre-prod", "prod", "ci", &["noor", "sam"]).unwrap_err(),
        [
            "[source] `pre-prod` runs release r3, not r4; promote what the source runs now".to_string(),
            "[source] the last change to `pre-prod` (deploy of release r4 by ci) ended rolled-back; it must succeed \
             before a promotion from it"
                .into(),
        ]
    );
    assert_eq!(w.running("pre-prod").as_deref(), Some("r3"));
    // A hotfix branch deploys to release on push, beside the release branch.
    deployed(w.deploy("r5", "release", "ci", &[]));
    assert_eq!(w.running("release").as_deref(), Some("r5"));

    assert_eq!(w.ledger("dev"), done("deploy", "r1", "ci", &[]));
    assert_eq!(w.ledger("stage"), done("promote", "r1", "ci", &["noor"]));
    assert_eq!(w.ledger("release"), lines(&[&done("deploy", "r2", "ci", &[]), &done("deploy", "r5", "ci", &[])]));
    assert_eq!(w.ledger("qa"), done("promote", "r2", "ci", &["tess"]));
    assert_eq!(
        w.ledger("pre-prod"),
        lines(&[
            &done("deploy", "r3", "ci", &[]),
            &["deploy r4 started by ci".into(), "deploy r4 finished rolled-back by ci".into()],
        ])
    );
    assert_eq!(
        w.ledger("prod"),
        lines(&[&["freeze by sam".into(), "unfreeze by sam".into()], &done("promote", "r3", "ci", &["noor", "sam"])])
    );
    w
}

/// Four cloud.gov environments in three spaces, `experiment` and `development` side by side in space `dev`
/// (here, side by side in one AWS account too: the walk gives each environment an AWS target as well, which
/// slipway applies): any branch to the first two by hand, `staging` from the staging branch, `production`
/// from main; the government's review of the merge is the approval.
#[test]
fn cloud_gov_four_walked_through_every_gate() {
    cloud_gov_four_walked();
}

/// The walk of the test above, whose world the status page's tests look at.
pub(crate) fn cloud_gov_four_walked() -> World {
    use slipway::model::{AccountId, Region};
    let mut project = crate::model::reference_flows::cloud_gov_four();
    project.environments = std::mem::take(&mut project.environments)
        .into_iter()
        .map(|e| {
            let account = match e.cloud_gov_target().unwrap().space.as_str() {
                "dev" => AccountId::new("300000000001"),
                "staging" => AccountId::new("300000000002"),
                _ => AccountId::new("300000000003"),
            };
            e.aws(account, Region::UsEast1)
        })
        .collect();
    let w = World::new(project);
    w.release("r1", "refs/heads/feature/upload", "vendor1");
    w.release("r2", "refs/heads/staging", "vendor1");
    w.release("r3", "refs/heads/main", "vendor1");
    w.release("r4", "refs/heads/staging", "vendor2");

    // Any branch, by hand, to either environment of the dev space; they do not crowd each other.
    deployed(w.deploy("r1", "experiment", "vendor1", &[]));
    deployed(w.deploy("r2", "development", "vendor1", &[]));
    assert_eq!(w.running("experiment").as_deref(), Some("r1"));
    assert_eq!(w.running("development").as_deref(), Some("r2"));
    // A feature branch may not reach staging; the staging branch does.
    assert_eq!(
        w.deploy("r1", "staging", "ci", &[]).unwrap_err(),
        ["[ref] release r1 was made on `feature/upload`, but `staging` deploys only from staging"]
    );
    deployed(w.deploy("r2", "staging", "ci", &[]));
    // Production takes main; what the staging branch made must be merged to main first.
    assert_eq!(
        w.promote("r2", "staging", "production", "ci", &[]).unwrap_err(),
        ["[ref] release r2 was made on `staging`, but `production` deploys only from main"]
    );
    assert_eq!(
        w.promote("r2", "development", "production", "ci", &[]).unwrap_err(),
        [
            "[path] `production` is not promoted from `development`: it is promoted from staging",
            "[ref] release r2 was made on `staging`, but `production` deploys only from main",
        ]
    );
    w.freeze("production", "gov", true);
    let frozen = w.deploy("r3", "production", "ci", &[]).unwrap_err();
    assert!(frozen.len() == 1 && frozen[0].starts_with("[freeze] `production` is frozen by gov"), "{frozen:?}");
    w.freeze("production", "gov", false);
    deployed(w.deploy("r3", "production", "ci", &[]));
    // A staging deploy whose smoke check fails is rolled back: staging keeps r2.
    w.app_answers("staging", 503);
    assert!(matches!(w.deploy("r4", "staging", "ci", &[]), Ok(Ending::RolledBack { .. })));
    w.app_answers("staging", 200);
    assert_eq!(w.running("staging").as_deref(), Some("r2"));

    assert_eq!(w.ledger("experiment"), done("deploy", "r1", "vendor1", &[]));
    assert_eq!(w.ledger("development"), done("deploy", "r2", "vendor1", &[]));
    assert_eq!(
        w.ledger("staging"),
        lines(&[
            &done("deploy", "r2", "ci", &[]),
            &["deploy r4 started by ci".into(), "deploy r4 finished rolled-back by ci".into()],
        ])
    );
    assert_eq!(
        w.ledger("production"),
        lines(&[&["freeze by gov".into(), "unfreeze by gov".into()], &done("deploy", "r3", "ci", &[])])
    );
    w
}
