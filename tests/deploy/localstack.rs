//! The reference `dev` environment on a second, independent CloudFormation implementation: LocalStack
//! (tests/localstack/), through the real `slipway` binary as CI runs it. What one emulator hides, the other
//! may not: LocalStack evaluates templates with an engine of its own, keeps resources in its own service
//! models, reports progress through events and `*_IN_PROGRESS` states, and refuses a function whose code is
//! not in its bucket.
//!
//! Two test doubles, as on moto (tests/README.md): the fault proxy reports the URL of an HTTP server on
//! loopback as the app's `ApiUrl` (LocalStack's `AWS::ApiGatewayV2::Api` is a placeholder whose endpoint is
//! `unknown`). The backend's code is slipway's to publish: the account is bootstrapped, and the deploy puts
//! the release's code into the bootstrap bucket before any stack changes; LocalStack, as Lambda, refuses a
//! function whose code is not there.

use std::collections::{BTreeMap, BTreeSet};

use crate::deploy::reference::{Api, stacks};
use crate::faults::Faults;
use crate::localstack::LocalStack;
use crate::moto::block_on;
use crate::support::{Run, tempdir};

/// The reference `dev` environment's account.
const DEV: &str = "111111111111";

/// `slipway ARGS…` in `dir`, against `endpoint` as account `DEV`, with the store in `store`.
fn slipway(ls: &LocalStack, endpoint: &str, dir: &std::path::Path, store: &std::path::Path, args: &[&str]) -> Run {
    let mut cmd = crate::support::engine();
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key == "GITHUB_SHA" {
            cmd.env_remove(key);
        }
    }
    for (key, value) in ls.env(DEV, store) {
        cmd.env(key, value);
    }
    cmd.env("AWS_ENDPOINT_URL", endpoint).env("GITHUB_REF", "refs/heads/main");
    let out = cmd.output().expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A stack of the environment as LocalStack holds it: status, when it was last changed (a stack made by a change set has that
/// time too), tags, parameters.
#[derive(Debug, PartialEq)]
struct Held {
    status: String,
    last_updated: Option<String>,
    tags: BTreeMap<String, String>,
    parameters: BTreeMap<String, String>,
}

fn stacks_in(ls: &LocalStack) -> BTreeMap<String, Held> {
    let client = ls.client(DEV);
    block_on(async {
        let out = client.describe_stacks().send().await.unwrap();
        let pairs = |k: Option<&str>, v: Option<&str>| (k.unwrap().to_string(), v.unwrap_or_default().to_string());
        out.stacks()
            .iter()
            // The account's bootstrap stack is not the environment's.
            .filter(|s| s.stack_name() != Some(slipway::model::bootstrap::STACK_NAME))
            .map(|s| {
                let held = Held {
                    status: s.stack_status().unwrap().as_str().to_string(),
                    last_updated: s.last_updated_time().map(|t| t.to_string()),
                    tags: s.tags().iter().map(|t| pairs(t.key(), t.value())).collect(),
                    parameters: s.parameters().iter().map(|p| pairs(p.parameter_key(), p.parameter_value())).collect(),
                };
                (s.stack_name().unwrap().to_string(), held)
            })
            .collect()
    })
}

fn exports_in(ls: &LocalStack) -> BTreeMap<String, String> {
    let client = ls.client(DEV);
    block_on(async {
        let out = client.list_exports().send().await.unwrap();
        out.exports().iter().map(|e| (e.name().unwrap().to_string(), e.value().unwrap().to_string())).collect()
    })
}

#[test]
fn dev_deploys_on_localstack_then_again_with_nothing_to_do_and_diffs_clean() {
    let ls = LocalStack::shared();
    let faults = Faults::start(&ls.endpoint);
    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);
    let (dir, store) = (tempdir(), tempdir());
    // The account is bootstrapped first, as on AWS (`slipway bootstrap`; again is no change).
    let boot = ["bootstrap", "--env", "dev", "--progress", "events", "--poll-ms", "50"];
    let boot = slipway(ls, &ls.endpoint, dir.path(), store.path(), &boot);
    assert_eq!(boot.status, 0, "{}\n{}\n--- localstack\n{}", boot.stdout, boot.stderr, ls.log());
    let deploy = ["deploy", "--env", "dev", "--release", "r1", "--yes", "--commit", "abc123"];
    let deploy = [&deploy[..], &["--progress", "events", "--poll-ms", "50", "--target", "aws"]].concat();

    let first = slipway(ls, &faults.endpoint, dir.path(), store.path(), &deploy);
    let log = || format!("{}\n{}\n--- localstack\n{}", first.stdout, first.stderr, ls.log());
    assert_eq!(first.status, 0, "{}", log());
    let all = stacks();
    let created: Vec<String> = all.iter().map(|s| format!("{s}: created")).collect();
    let lines: Vec<&str> = first.stdout.lines().collect();
    assert_eq!(lines, [created, vec!["deployed: dev is on release r1".into()]].concat(), "{}", log());
    assert!(first.stderr.contains("smoke check `api-health` passed (200)"), "{}", log());
    // The backend's code: kept in the store, published by the deploy to the bootstrap bucket (nobody else
    // put it there), where the function's template points.
    assert!(first.stderr.contains("assets: 1 published to s3://slipway-assets-111111111111-us-east-1"), "{}", log());
    let listed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path().join("releases/r1/assets.json")).unwrap()).unwrap();
    let key = listed.as_array().unwrap().iter().find(|a| a["name"] == "backend").unwrap()["key"].as_str().unwrap();
    let held = block_on(ls.s3(DEV).head_object().bucket("slipway-assets-111111111111-us-east-1").key(key).send());
    assert!(held.is_ok(), "{key}: {held:?}");
    // LocalStack reports each resource's progress as CloudFormation does, which moto never does.
    assert!(first.stderr.contains("CREATE_IN_PROGRESS Backend (AWS::Lambda::Function)"), "{}", log());

    let held = stacks_in(ls);
    assert_eq!(held.keys().map(String::as_str).collect::<BTreeSet<_>>(), all.iter().map(String::as_str).collect());
    for (name, stack) in &held {
        assert_eq!(stack.status, "CREATE_COMPLETE", "{name}");
        assert_eq!(
            stack.tags.keys().map(String::as_str).collect::<Vec<_>>(),
            ["slipway:environment", "slipway:project"]
        );
    }
    assert_eq!(held["webapp-dev-app"].parameters, BTreeMap::from([("Release".into(), "r1".into())]));
    let exports = exports_in(ls);
    assert!(exports["webapp-dev-network-VpcId"].starts_with("vpc-"), "{exports:#?}");
    // Fn::Cidr (patched in) carved the private subnets out of the VPC's block.
    assert_eq!(exports["webapp-dev-network-PrivateSubnetIds"].matches("subnet-").count(), 2, "{exports:#?}");

    let executed = faults.calls("ExecuteChangeSet");
    assert_eq!(executed, all.len());
    let again = slipway(ls, &faults.endpoint, dir.path(), store.path(), &deploy);
    assert_eq!(again.status, 0, "{}\n{}", again.stdout, again.stderr);
    let unchanged: Vec<String> = all.iter().map(|s| format!("{s}: unchanged")).collect();
    let lines: Vec<&str> = again.stdout.lines().collect();
    assert_eq!(lines, [unchanged, vec!["deployed: dev is on release r1".into()]].concat());
    assert_eq!(faults.calls("ExecuteChangeSet"), executed, "no stack was updated");
    assert_eq!(stacks_in(ls), held, "LocalStack holds what it held, no stack updated");

    let diff = ["diff", "--against", "deployed", "--env", "dev", "--exit-code"];
    let run = slipway(ls, &ls.endpoint, dir.path(), store.path(), &diff);
    assert_eq!((run.status, run.stdout.as_str()), (0, "no differences (dev)\n"), "{}", run.stderr);
}
