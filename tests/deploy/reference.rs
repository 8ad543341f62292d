//! The repository's own environments, deployed the way CI deploys them: the real `slipway deploy` binary
//! against moto on loopback, through the fault proxy. moto runs patched where it differs from
//! CloudFormation (tests/moto/server.py, listed in tests/README.md), so the reference `dev` environment, the
//! one every team copies, must deploy, deploy again with nothing to do, and roll back as a whole when a
//! stack or the smoke check fails, leaving moto as it was.
//!
//! On moto the app's `ApiUrl` output points nowhere, so the proxy reports the URL of an HTTP server on
//! loopback instead: a test double for the deployed API, which the smoke check then reaches.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::faults::{Failure, Faults};
use crate::moto::{Moto, block_on};
use crate::support::{Run, tempdir};

/// The reference `dev` environment's stacks, in dependency order.
/// The reference `dev` environment's stacks (CloudFormation names) in the order a deploy takes them, as
/// the plan works it out from the synthesized templates: the tests follow the definitions, whatever stacks
/// they hold. `monitoring` reads every other stack, so it comes last.
pub(crate) fn stacks() -> Vec<String> {
    let project = webapp::project();
    let env = project.find("dev").unwrap();
    let set = crate::support::synth(&project, &["dev".into()]).unwrap();
    let plan = slipway::apply::cloudformation::Plan::new(&project.name, env, "r1", &set.artifacts).unwrap();
    let names: Vec<String> = plan.stacks.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names.last().map(String::as_str), Some("webapp-dev-monitoring"), "{names:?}");
    names
}

/// A stand-in for the deployed API: answers `status` to every request and records each request line.
pub(crate) struct Api {
    pub(crate) url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Api {
    pub(crate) fn start(status: u16) -> Api {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut buf = [0u8; 4096];
                let n = conn.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                seen.lock().unwrap().push(head.lines().next().unwrap_or_default().to_string());
                let _ = write!(conn, "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            }
        });
        Api { url, requests }
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// moto as the `dev` account (111111111111), and the fault proxy in front of it.
pub(crate) fn start() -> (Moto, Faults) {
    let moto = Moto::start_as("111111111111");
    let faults = Faults::start(&moto.endpoint);
    (moto, faults)
}

/// `slipway deploy --env dev --release RELEASE --yes` through the proxy, as CI runs it (no AWS settings
/// inherited from this machine).
pub(crate) fn deploy(moto: &Moto, faults: &Faults, release: &str) -> Run {
    let dir = tempdir();
    deploy_in(dir.path(), moto, faults, release, &[])
}

/// [`deploy`] in `dir`, with `extra` arguments.
pub(crate) fn deploy_in(dir: &std::path::Path, moto: &Moto, faults: &Faults, release: &str, extra: &[&str]) -> Run {
    let mut cmd = crate::support::engine();
    cmd.args(["deploy", "--env", "dev", "--release", release, "--yes", "--commit", "abc123", "--target", "aws"])
        .args(["--progress", "events", "--poll-ms", "20"])
        .args(extra)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key == "GITHUB_SHA" {
            cmd.env_remove(key);
        }
    }
    for (key, value) in moto.env() {
        cmd.env(key, value);
    }
    // CI says which ref it runs on; the policy deploys `dev` from `main` only.
    cmd.env("AWS_ENDPOINT_URL", &faults.endpoint).env("GITHUB_REF", "refs/heads/main");
    let out = cmd.output().expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A stack as moto holds it.
#[derive(Debug, PartialEq)]
pub(crate) struct Deployed {
    pub(crate) status: String,
    pub(crate) parameters: BTreeMap<String, String>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) template: String,
}

/// Every stack moto holds (deleted ones are not listed), by name, but the account's bootstrap stack, made
/// before the test deployed anything (`Moto::start_as`).
pub(crate) fn stacks_in(moto: &Moto) -> BTreeMap<String, Deployed> {
    let client = moto.client();
    block_on(async {
        let mut out = BTreeMap::new();
        for s in client.describe_stacks().send().await.unwrap().stacks() {
            let name = s.stack_name().unwrap().to_string();
            if name == slipway::model::bootstrap::STACK_NAME {
                continue;
            }
            let template = client.get_template().stack_name(&name).send().await.unwrap();
            let pairs = |p: Option<&str>, v: Option<&str>| (p.unwrap().to_string(), v.unwrap_or_default().to_string());
            out.insert(
                name,
                Deployed {
                    status: s.stack_status().unwrap().as_str().to_string(),
                    parameters: s.parameters().iter().map(|p| pairs(p.parameter_key(), p.parameter_value())).collect(),
                    tags: s.tags().iter().map(|t| pairs(t.key(), t.value())).collect(),
                    template: template.template_body().unwrap_or_default().to_string(),
                },
            );
        }
        out
    })
}

/// The region's exports as moto lists them: name -> value.
pub(crate) fn exports_in(moto: &Moto) -> BTreeMap<String, String> {
    let client = moto.client();
    block_on(async {
        let out = client.list_exports().send().await.unwrap();
        out.exports().iter().map(|e| (e.name().unwrap().to_string(), e.value().unwrap().to_string())).collect()
    })
}

/// The names every `dev` template exports, from what `slipway synth` writes.
fn exports_synthesized() -> BTreeSet<String> {
    let dir = tempdir();
    let run = crate::support::slipway(dir.path(), &["synth", "--env", "dev", "--out", "out"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir.path().join("out/dev/cloudformation")).unwrap() {
        let template: Value = serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        for output in template["Outputs"].as_object().into_iter().flat_map(|o| o.values()) {
            if let Some(name) = output["Export"]["Name"].as_str() {
                names.insert(name.to_string());
            }
        }
    }
    names
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn dev_deploys_on_a_fresh_account_and_again_with_nothing_to_do() {
    let (moto, faults) = start();
    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);

    let first = deploy(&moto, &faults, "r1");
    let log = format!("{}\n{}\n--- moto\n{}", first.stdout, first.stderr, moto.log());
    assert_eq!(first.status, 0, "{log}");
    let all = stacks();
    let created: Vec<String> = all.iter().map(|s| format!("{s}: created")).collect();
    assert_eq!(lines(&first.stdout), [created.clone(), vec!["deployed: dev is on release r1".into()]].concat());
    assert!(first.stderr.contains("smoke check `api-health` passed (200)"), "{log}");
    assert_eq!(api.requests(), ["GET /health HTTP/1.1"]);

    let stacks = stacks_in(&moto);
    assert_eq!(stacks.keys().map(String::as_str).collect::<BTreeSet<_>>(), all.iter().map(String::as_str).collect());
    for (name, stack) in &stacks {
        assert_eq!(stack.status, "CREATE_COMPLETE", "{name}");
        // What is constant stays constant: a stack's tags never name the release (the ledger does), or
        // every release would re-tag, and update, every resource of every stack.
        assert_eq!(
            stack.tags.keys().map(String::as_str).collect::<Vec<_>>(),
            ["slipway:environment", "slipway:project"],
            "{name}"
        );
    }
    assert_eq!(stacks["webapp-dev-app"].parameters, BTreeMap::from([("Release".into(), "r1".into())]));
    // Every export the templates declare is registered, with the value of the exporting stack's output.
    let exports = exports_in(&moto);
    assert_eq!(exports.keys().cloned().collect::<BTreeSet<_>>(), exports_synthesized());
    assert!(exports.values().all(|v| !v.is_empty()), "{exports:#?}");
    assert!(exports["webapp-dev-network-VpcId"].starts_with("vpc-"), "{exports:#?}");

    let executed = faults.calls("ExecuteChangeSet");
    assert_eq!(executed, all.len());
    let again = deploy(&moto, &faults, "r1");
    assert_eq!(again.status, 0, "{}\n{}", again.stdout, again.stderr);
    let unchanged: Vec<String> = all.iter().map(|s| format!("{s}: unchanged")).collect();
    assert_eq!(lines(&again.stdout), [unchanged, vec!["deployed: dev is on release r1".into()]].concat());
    assert_eq!(faults.calls("ExecuteChangeSet"), executed, "nothing was executed the second time");
    assert_eq!(faults.calls("DeleteStack"), 0);
    assert_eq!(stacks_in(&moto), stacks, "moto holds exactly what it held");
}

#[test]
fn a_failed_first_deploy_deletes_every_stack_it_created_in_reverse_dependency_order() {
    let (moto, faults) = start();
    faults.fail("webapp-dev-monitoring", Failure::CreateRollsBack);
    let run = deploy(&moto, &faults, "r1");
    assert_eq!(run.status, 4, "{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    let cause = "Broken (AWS::S3::BucketPolicy) CREATE_FAILED: Resource handler returned message: \"Access Denied \
                 (Service: S3, Status Code: 403)\"";
    let all = stacks();
    let (before, last) = all.split_at(all.len() - 1);
    let mut expected: Vec<String> = before.iter().map(|s| format!("{s}: created")).collect();
    expected.push(format!("{}: FAILED: {cause}; create failed; the empty stack was deleted", last[0]));
    for stack in before.iter().rev() {
        expected.push(format!("{stack}: rollback: deleted: it did not exist before this deploy"));
    }
    expected.push(format!(
        "rolled back: dev is back where it was before this deploy, because webapp-dev-monitoring: {cause}"
    ));
    assert_eq!(lines(&run.stdout), expected);
    // The failed create first, then every other stack, each before the stacks whose exports it imports.
    let deleted: Vec<String> = all.iter().rev().cloned().collect();
    assert_eq!(faults.stacks_called("DeleteStack"), deleted);
    assert_eq!(stacks_in(&moto), BTreeMap::new(), "moto holds no stack");
    assert_eq!(exports_in(&moto), BTreeMap::new(), "and no export");
}

#[test]
fn a_failed_update_returns_every_stack_to_the_release_it_had() {
    let (moto, faults) = start();
    let healthy = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &healthy.url);
    let first = deploy(&moto, &faults, "r1");
    assert_eq!(first.status, 0, "{}\n{}\n--- moto\n{}", first.stdout, first.stderr, moto.log());
    let r1 = stacks_in(&moto);
    let exports = exports_in(&moto);

    // r2 updates the app stack (its `Release` parameter), whose API then fails its smoke check: slipway
    // restores the app stack's r1 template and parameters through a change set of its own.
    let failing = Api::start(503);
    faults.output("webapp-dev-app", "ApiUrl", &failing.url);
    let run = deploy(&moto, &faults, "r2");
    assert_eq!(run.status, 4, "{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    let cause = format!(
        "smoke check `api-health` failed: GET {}/health answered 503, expected 200 (after 3 attempt(s))",
        failing.url
    );
    let mut expected: Vec<String> = stacks()
        .iter()
        .map(|s| format!("{s}: {}", if s == "webapp-dev-app" { "updated" } else { "unchanged" }))
        .collect();
    expected.push("webapp-dev-app: rollback: restored to its previous template and parameters".into());
    expected.push(format!("rolled back: dev is back where it was before this deploy, because {cause}"));
    assert_eq!(lines(&run.stdout), expected);
    let now = stacks_in(&moto);
    for (name, stack) in &now {
        let was = &r1[name];
        assert_eq!(stack.template, was.template, "{name}: r1's template, byte for byte");
        assert_eq!((&stack.parameters, &stack.tags), (&was.parameters, &was.tags), "{name}");
    }
    assert_eq!(now["webapp-dev-app"].status, "UPDATE_COMPLETE", "restored by an update");
    assert_eq!(now.keys().collect::<Vec<_>>(), r1.keys().collect::<Vec<_>>());
    assert_eq!(exports_in(&moto), exports);

    // r2 again, with a healthy API, but the app stack's update fails and CloudFormation rolls it back.
    faults.output("webapp-dev-app", "ApiUrl", &healthy.url);
    faults.fail("webapp-dev-app", Failure::UpdateRollsBack);
    let run = deploy(&moto, &faults, "r2");
    assert_eq!(run.status, 4, "{}\n{}", run.stdout, run.stderr);
    let cause = "Broken (AWS::S3::BucketPolicy) UPDATE_FAILED: Resource handler returned message: \"Access Denied \
                 (Service: S3, Status Code: 403)\"";
    let mut expected: Vec<String> = stacks()
        .iter()
        .map(|s| match s.as_str() {
            "webapp-dev-app" => format!("{s}: FAILED: {cause}; CloudFormation rolled the update back"),
            "webapp-dev-monitoring" => format!("{s}: not started"),
            _ => format!("{s}: unchanged"),
        })
        .collect();
    expected.push(format!("rolled back: dev is back where it was before this deploy, because webapp-dev-app: {cause}"));
    assert_eq!(lines(&run.stdout), expected);
    let after = stacks_in(&moto);
    for (name, stack) in &after {
        assert_eq!((&stack.template, &stack.parameters), (&r1[name].template, &r1[name].parameters), "{name}");
    }
    assert_eq!(exports_in(&moto), exports);
}

#[test]
fn dev_deploys_from_a_synth_directory_byte_for_byte() {
    let (moto, faults) = start();
    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);
    let dir = tempdir();
    let synth = crate::support::slipway(dir.path(), &["synth", "--out", "reviewed"]);
    assert_eq!(synth.status, 0, "{}", synth.stderr);
    let run = deploy_in(dir.path(), &moto, &faults, "r1", &["--from", "reviewed"]);
    assert_eq!(run.status, 0, "{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    for (name, stack) in stacks_in(&moto) {
        let short = name.trim_start_matches("webapp-dev-");
        let file = dir.path().join(format!("reviewed/dev/cloudformation/{short}.template.json"));
        assert_eq!(stack.template, std::fs::read_to_string(file).unwrap(), "{name}");
    }
}

/// Starts `slipway deploy --env dev --release RELEASE --concurrency 1` through the proxy, waits until the
/// first stack's change set was created (its DescribeChangeSet answers slowly), and kills the process:
/// what a lost CI runner leaves between CreateChangeSet and ExecuteChangeSet.
pub(crate) fn killed_after_create_change_set(moto: &Moto, faults: &Faults, release: &str) {
    let dir = tempdir();
    let calls_before = faults.calls("DescribeChangeSet");
    faults.inject("DescribeChangeSet", crate::faults::Fault::Slow(std::time::Duration::from_secs(20)), 1);
    let mut cmd = crate::support::engine();
    cmd.args(["deploy", "--env", "dev", "--release", release, "--yes", "--concurrency", "1", "--no-smoke"])
        .args(["--target", "aws"])
        .args(["--progress", "events", "--poll-ms", "20"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    for (key, value) in moto.env() {
        cmd.env(key, value);
    }
    // CI says which ref it runs on; the policy deploys `dev` from `main` only.
    cmd.env("AWS_ENDPOINT_URL", &faults.endpoint).env("GITHUB_REF", "refs/heads/main");
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while faults.calls("DescribeChangeSet") == calls_before {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "the deploy never created a change set");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_deploy_killed_between_creating_and_executing_a_change_set_blocks_nothing() {
    let (moto, faults) = start();
    // Killed during the first deploy: the first stack is an empty REVIEW_IN_PROGRESS stack.
    killed_after_create_change_set(&moto, &faults, "r1");
    let first = stacks()[0].clone();
    let review: Vec<String> =
        stacks_in_review(&moto).into_iter().filter(|(_, s)| s == "REVIEW_IN_PROGRESS").map(|(n, _)| n).collect();
    assert_eq!(review, std::slice::from_ref(&first));
    let run = deploy_no_smoke(&moto, &faults, "r1");
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("{first}: found the stack REVIEW_IN_PROGRESS with no resources")),
        "{}",
        run.stderr
    );
    assert!(stacks_in(&moto).values().all(|s| s.status == "CREATE_COMPLETE"));

    // Killed during an update: the first stack keeps an unexecuted change set, which the next deploy deletes.
    killed_after_create_change_set(&moto, &faults, "r2");
    let run = deploy_no_smoke(&moto, &faults, "r2");
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(&format!("{first}: deleting change set slipway-deploy-r2-")), "{}", run.stderr);
    assert!(run.stderr.contains("which an earlier deploy left unexecuted"), "{}", run.stderr);
}

/// [`deploy`] without the smoke check (these tests are about leftovers, not the app).
fn deploy_no_smoke(moto: &Moto, faults: &Faults, release: &str) -> Run {
    let dir = tempdir();
    deploy_in(dir.path(), moto, faults, release, &["--no-smoke"])
}

/// Every stack moto holds with its status, REVIEW_IN_PROGRESS ones included.
fn stacks_in_review(moto: &Moto) -> Vec<(String, String)> {
    let client = moto.client();
    block_on(async {
        let out = client.describe_stacks().send().await.unwrap();
        out.stacks()
            .iter()
            .map(|s| (s.stack_name().unwrap().to_string(), s.stack_status().unwrap().as_str().to_string()))
            .collect()
    })
}

#[test]
fn diff_with_change_sets_of_an_unchanged_environment_finds_no_changes() {
    let (moto, faults) = start();
    assert_eq!(deploy_no_smoke(&moto, &faults, "r1").status, 0);
    let dir = tempdir();
    let mut cmd = crate::support::engine();
    cmd.args(["diff", "--against", "deployed", "--change-set", "--env", "dev", "--exit-code"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1");
    for (key, value) in moto.env() {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout, "no differences (dev)\n");
    // Every change set it made to ask is gone again.
    let names = stacks_in_review(&moto);
    block_on(async {
        for (name, _) in names {
            let sets = moto.client().list_change_sets().stack_name(&name).send().await.unwrap();
            let waiting = sets
                .summaries()
                .iter()
                .filter(|c| c.execution_status().map(|s| s.as_str()) != Some("EXECUTE_COMPLETE"))
                .count();
            assert_eq!(waiting, 0, "{name}");
        }
    });
}
