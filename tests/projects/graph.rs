//! The promotion-graph team (`tests/projects/ledger`): six environments, approvals 0, 0, optional 1, 1, 1,
//! 2 with a 30-minute wait, walked through the engine with the team's program as its app, on moto: a
//! release goes from dev-int to staging along the graph (active's optional approval recorded when given,
//! never asked for), prod refuses it until its wait is over, saying when; a second release that reaches
//! active is rolled back there by release id.

use serde_json::{Value, json};

use super::{engine, ok};
use crate::deploy::reference::stacks_in;
use crate::moto::Moto;
use crate::support::tempdir;

#[test]
fn a_release_walks_the_graph_with_its_approvals_and_a_rollback_by_release_id() {
    let moto = Moto::start_as("111111111111");
    let dir = tempdir();
    let run = |args: &[&str]| engine("ledger", dir.path(), Some(&moto), &[], args);
    let apply = ["--yes", "--progress", "events", "--poll-ms", "20"];
    let release_of = |env: &str| stacks_in(&moto)[&format!("ledger-{env}-service")].parameters["Release"].clone();
    let promote_from = |release: &str, from: Option<&str>, to: &str, by: &[&str]| {
        let mut args = vec!["promote", "--release", release, "--to", to];
        if let Some(from) = from {
            args.extend(["--from", from]);
        }
        for who in by {
            args.extend(["--approved-by", who]);
        }
        run(&[&args[..], &apply].concat())
    };
    let promote = |release: &str, to: &str, by: &[&str]| promote_from(release, None, to, by);

    ok(&run(&[&["deploy", "--env", "dev-int", "--release", "r1", "--commit", "c1"][..], &apply].concat()));
    ok(&promote("r1", "future", &[]));
    // active asks one optional approval: without it the promotion goes; given, it is recorded.
    ok(&promote_from("r1", Some("future"), "active", &[]));
    let uat_without = promote("r1", "uat", &[]);
    assert_eq!(uat_without.status, 1, "{}", uat_without.stdout);
    assert!(uat_without.stderr.contains("`uat` needs 1 approval from qa"), "{}", uat_without.stderr);
    ok(&promote("r1", "uat", &["kim"]));
    ok(&promote_from("r1", Some("uat"), "staging", &["ada"]));
    for env in ["dev-int", "future", "active", "uat", "staging"] {
        assert_eq!(release_of(env), "r1", "{env}");
    }
    let early = promote("r1", "prod", &["ada", "bo"]);
    assert_eq!(early.status, 1, "{}", early.stdout);
    assert!(early.stderr.contains("[wait] `prod` waits 30m after a release reaches `staging`"), "{}", early.stderr);
    assert!(!stacks_in(&moto).contains_key("ledger-prod-service"), "nothing reached prod");

    // r2 reaches active, recorded with its optional approval; a rollback by id brings r1 back there.
    ok(&run(&[&["deploy", "--env", "dev-int", "--release", "r2", "--commit", "c2"][..], &apply].concat()));
    ok(&promote_from("r2", Some("dev-int"), "active", &["lee"]));
    assert_eq!(release_of("active"), "r2");
    let history = run(&["history", "--env", "active", "--format", "json"]);
    ok(&history);
    let records: Vec<Value> = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(records[0]["release"], "r2");
    assert_eq!(records[0]["approvals"], json!([{ "by": "lee", "source": "command line" }]));
    let back =
        run(&[&["rollback", "--env", "active", "--to", "r1", "--reason", "r2 loses entries"][..], &apply].concat());
    ok(&back);
    assert_eq!(back.stdout.lines().last(), Some("deployed: active is on release r1"));
    assert_eq!(release_of("active"), "r1");
    assert_eq!(release_of("dev-int"), "r2", "a rollback of active touches nothing else");
}
