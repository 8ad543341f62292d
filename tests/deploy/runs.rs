//! `slipway deploy` of the small environment of [`super::stacks`] as a run goes on around the stacks: smoke
//! checks, the approval gate, templates too large to send inline, synth directories deployed byte for byte,
//! the order of stacks, the binary's clear lines for what is wrong before it starts, and Ctrl-C.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;

use slipway::apply::cloudformation::{ApprovalMode, Approver, Ending, Options, Plan, StackResult};
use slipway::cfn::{Expr, Output, Resource, Stack, Template};
use slipway::diff::StackDiff;
use slipway::model::{Environment, Project};

use super::stacks::*;
use crate::faults::Failure;
use crate::moto::{Moto, block_on};

/// A one-route HTTP server on loopback answering `status` to every request.
fn http_server(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let _ = write!(conn, "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    url
}

#[test]
fn a_passing_smoke_check_completes_the_deploy() {
    let (_moto, faults) = setup();
    let server = http_server(200);
    SMOKE_URL.with(|u| *u.borrow_mut() = Some(server));
    let d = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(d.outcome.ending, Ending::Deployed, "{}", d.log);
    assert!(d.log.contains("smoke check `health` passed (200)"), "{}", d.log);
}

#[test]
fn a_failing_smoke_check_rolls_the_environment_back() {
    let (moto, faults) = setup();
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let server = http_server(503);
    SMOKE_URL.with(|u| *u.borrow_mut() = Some(server.clone()));
    let d = deploy(&faults.endpoint, "r2", &options());
    assert_eq!(d.code, 4, "{}", d.log);
    assert_eq!(
        d.outcome.ending,
        Ending::RolledBack {
            cause: format!(
                "smoke check `health` failed: GET {server}/health answered 503, expected 200 (after 2 attempt(s))"
            )
        }
    );
    let now = stacks_in(&moto);
    assert_eq!(
        (now["base"].clone(), now["app"].clone(), now["side"].clone()),
        (deployed("r1"), deployed("r1"), deployed("r1"))
    );
}

#[test]
fn a_change_needing_approval_without_a_terminal_is_refused_before_anything_changes() {
    let (moto, faults) = setup();
    let gated = Options { approval: ApprovalMode::AnyChange, concurrency: 1, ..options() };
    let d = deploy(&faults.endpoint, "r1", &gated);
    assert_eq!(d.code, 1, "{}", d.log);
    assert_eq!(
        d.summary.last().unwrap(),
        "not deployed, nothing was changed: shop-dev-base, shop-dev-app, shop-dev-side change and need approval, but \
         there is no terminal to ask on; review the changes above and rerun with --yes (or with --require-approval \
         never)"
    );
    assert!(d.outcome.stacks.iter().all(|(_, r)| *r == StackResult::NotStarted), "{:?}", d.outcome.stacks);
    // What needs approval is shown: every stack's diff, property by property.
    assert!(d.log.contains("shop-dev-base:   [+] stack base (added, worst impact create)"), "{}", d.log);
    assert!(d.log.contains("shop-dev-base:       [+] Topic AWS::SNS::Topic: create"), "{}", d.log);
    assert_eq!(faults.calls("CreateChangeSet"), 0);
    assert_eq!(faults.calls("ExecuteChangeSet"), 0);
    assert_eq!(stacks_in(&moto), BTreeMap::from([("base", None), ("app", None), ("side", None)]));
    let approved = deploy(&faults.endpoint, "r1", &Options { yes: true, ..gated });
    assert_eq!(approved.code, 0, "{}", approved.log);
}

#[test]
fn a_template_over_51200_bytes_goes_through_the_artifacts_bucket() {
    let (moto, faults) = setup();
    LARGE.with(|l| l.set(true));
    let without = deploy(&faults.endpoint, "r1", &options());
    assert_eq!(without.code, 1);
    assert!(without.summary.last().unwrap().contains("pass --artifacts-bucket NAME"), "{:?}", without.summary);
    block_on(async {
        let s3 = moto.s3();
        s3.create_bucket().bucket("artifacts").send().await.unwrap();
    });
    let with = deploy(&faults.endpoint, "r1", &Options { artifacts_bucket: Some("artifacts".into()), ..options() });
    assert_eq!(with.code, 0, "{}", with.log);
    assert!(with.log.contains("uploading the "), "{}", with.log);
    assert!(template_of(&moto, "side").len() > 51_200);
}

/// Approves everything, remembering what it was shown.
#[derive(Default)]
struct Recorder(Vec<(String, String)>);

impl Approver for Recorder {
    fn approve(&mut self, stack: &str, diff: &StackDiff) -> bool {
        self.0.push((stack.to_string(), slipway::diff::render::stack_text(diff, false)));
        true
    }
}

#[test]
fn the_gate_asks_when_an_iam_statement_broadens_access_and_not_when_one_narrows_it() {
    let (moto, faults) = setup();
    GRANTS.with(|g| *g.borrow_mut() = vec!["sqs:SendMessage"]);
    assert_eq!(deploy(&faults.endpoint, "r1", &options()).code, 0);
    let gated = Options { approval: ApprovalMode::Broadening, interactive: true, ..options() };

    // A second statement: access broadens, so a person is asked, and shown the property-level diff.
    GRANTS.with(|g| *g.borrow_mut() = vec!["sqs:SendMessage", "sqs:DeleteQueue"]);
    let mut asked = Recorder::default();
    let d = deploy_with(&faults.endpoint, "r2", &gated, &mut asked);
    assert_eq!(d.code, 0, "{}", d.log);
    assert_eq!(asked.0.len(), 1, "only the stack whose access broadens asks: {:?}", asked.0);
    let (stack, shown) = &asked.0[0];
    assert_eq!(stack, "shop-dev-side");
    assert!(shown.contains("    security\n      [+] BROADENS Worker Properties/Policies["), "{shown}");
    assert!(shown.contains("sqs:DeleteQueue"), "{shown}");
    assert!(shown.contains("[~] Worker AWS::IAM::Role: update"), "{shown}");
    assert!(shown.contains("└─ Properties/Policies/"), "the changed property paths: {shown}");
    assert!(d.log.contains("shop-dev-side:       [~] Worker AWS::IAM::Role: update"), "{}", d.log);

    // One statement fewer: access narrows, nobody is asked, and the change still shows in the log.
    GRANTS.with(|g| *g.borrow_mut() = vec!["sqs:DeleteQueue"]);
    let mut asked = Recorder::default();
    let d = deploy_with(&faults.endpoint, "r3", &gated, &mut asked);
    assert_eq!(d.code, 0, "{}", d.log);
    assert!(asked.0.is_empty(), "narrowing asked: {:?}", asked.0);
    assert!(d.log.contains("shop-dev-side:       [-] Worker Properties/Policies["), "{}", d.log);
    let role = template_of(&moto, "side");
    assert!(role.contains("sqs:DeleteQueue") && !role.contains("sqs:SendMessage"), "{role}");
}

#[test]
fn a_synth_directory_deploys_exactly_the_bytes_it_holds() {
    let (moto, faults) = setup();
    let project = project();
    let set = crate::support::synth(&project, &[]).unwrap();
    let dir = crate::support::tempdir();
    let out = dir.path().join("out");
    slipway::synth::write(&set, &out).unwrap();
    // The definitions move on after the synth; the directory is what was reviewed.
    REVISION.with(|r| r.set(7));
    let read = slipway::synth::read_dir(&out, &[]).unwrap();
    assert!(read.changed.is_empty() && read.unlisted.is_empty());
    let plan = Plan::new(&project.name, project.find("dev").unwrap(), "r1", &read.artifacts).unwrap();
    let d = deploy_plan(&faults.endpoint, &plan, &options(), &mut Refuse);
    assert_eq!(d.code, 0, "{}", d.log);
    for stack in ["base", "app", "side"] {
        let on_disk = std::fs::read_to_string(out.join(format!("dev/cloudformation/{stack}.template.json"))).unwrap();
        assert_eq!(template_of(&moto, stack), on_disk, "{stack}");
    }
}

#[test]
fn deploy_from_a_directory_refuses_a_file_changed_missing_or_unlisted_naming_it() {
    let dir = crate::support::tempdir();
    let run = |args: &[&str]| crate::support::slipway(dir.path(), args);
    assert_eq!(run(&["synth", "--out", "out"]).status, 0);
    let deploy = ["deploy", "--env", "dev", "--from", "out", "--release", "r1", "--yes", "--target", "aws"];

    let app = dir.path().join("out/dev/cloudformation/app.template.json");
    let original = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, original.replace("\"Description\"", "\"Description \"")).unwrap();
    let edited = run(&deploy);
    assert_eq!(edited.status, 1, "{}", edited.stderr);
    assert_eq!(
        edited.stderr.lines().next().unwrap(),
        "error: `out/dev/cloudformation/app.template.json` changed after `slipway synth` wrote it (its SHA-256 \
         differs from the one in manifest.json); refusing to deploy what was not reviewed"
    );
    std::fs::write(&app, &original).unwrap();

    let data = dir.path().join("out/dev/cloudformation/data.template.json");
    let kept = std::fs::read(&data).unwrap();
    std::fs::remove_file(&data).unwrap();
    let missing = run(&deploy);
    assert_eq!(missing.status, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.starts_with(
            "error: `out/dev/cloudformation/data.template.json`, which manifest.json lists, cannot be read: "
        ),
        "{}",
        missing.stderr
    );
    std::fs::write(&data, kept).unwrap();

    std::fs::write(dir.path().join("out/dev/cloudformation/extra.template.json"), "{}").unwrap();
    let unlisted = run(&deploy);
    assert_eq!(unlisted.status, 1, "{}", unlisted.stderr);
    assert!(
        unlisted.stderr.starts_with(
            "error: `out/dev/cloudformation/extra.template.json` is not listed in manifest.json: slipway did not \
             write it"
        ),
        "{}",
        unlisted.stderr
    );
}

#[test]
fn ordering_follows_imports_and_declarations() {
    fn importing(_: &Project, _: &Environment) -> Vec<Stack> {
        let mut base = Template::new("base");
        base.resource("Topic", Resource::new("AWS::SNS::Topic"));
        base.output("TopicArn", Output::new("the topic", Expr::r#ref("Topic")).export("shop-dev-base-TopicArn"));
        let mut app = Template::new("app");
        app.resource(
            "Queue",
            Resource::new("AWS::SQS::Queue").prop("QueueName", Expr::import("shop-dev-base-TopicArn")),
        );
        let mut late = Template::new("late");
        late.resource("Topic", Resource::new("AWS::SNS::Topic"));
        // Defined first, but imports and declarations put it last.
        vec![Stack::new("late", late).after("app"), Stack::new("app", app), Stack::new("base", base)]
    }
    let project = project().stacks_from(importing);
    let set = crate::support::synth(&project, &[]).unwrap();
    let plan = Plan::new(&project.name, project.find("dev").unwrap(), "r1", &set.artifacts).unwrap();
    let order: Vec<(&str, Vec<&str>)> =
        plan.stacks.iter().map(|s| (s.short.as_str(), s.depends_on.iter().map(String::as_str).collect())).collect();
    assert_eq!(order, [("base", vec![]), ("app", vec!["base"]), ("late", vec!["app"])]);
}

/// `slipway deploy --env dev --release r1 --progress events EXTRA…` in `dir`, with no AWS settings but those
/// in `env` (none inherited from this machine: no profile, no config files, no instance metadata).
fn deploy_command(dir: &std::path::Path, env: &[(&str, String)], extra: &[&str]) -> std::process::Command {
    let mut cmd = crate::support::engine();
    cmd.args(["deploy", "--env", "dev", "--release", "r1", "--progress", "events", "--target", "aws"])
        .args(extra)
        .current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k == "GITHUB_SHA" {
            cmd.env_remove(k);
        }
    }
    cmd.env("GITHUB_REF", "refs/heads/main")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/slipway-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/slipway-test-credentials");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the deploy of [`deploy_command`] to the end.
fn deploy_binary(env: &[(&str, String)]) -> crate::support::Run {
    let dir = crate::support::tempdir();
    let out = deploy_command(dir.path(), env, &[]).output().unwrap();
    crate::support::Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn missing_credentials_wrong_region_unreachable_endpoint_and_wrong_account_are_one_clear_line() {
    let keys = || vec![("AWS_ACCESS_KEY_ID", "testing".to_string()), ("AWS_SECRET_ACCESS_KEY", "testing".into())];

    let run = deploy_binary(&[("AWS_REGION", "us-east-1".into())]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "cloud error: no usable AWS credentials: the credential provider was not enabled: no providers in chain \
         provided credentials\nhint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or AWS_ROLE_ARN \
         with AWS_WEB_IDENTITY_TOKEN_FILE (GitHub OIDC)\nhint: nothing was read or changed\n"
    );

    // No credentials, and instance metadata that answers 403: still one line, no SDK dump.
    let imds = http_server(403);
    let here = crate::support::tempdir();
    let mut cmd = deploy_command(here.path(), &[("AWS_REGION", "us-east-1".into())], &[]);
    cmd.env_remove("AWS_EC2_METADATA_DISABLED").env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let first = stderr.lines().next().unwrap();
    assert!(first.starts_with("cloud error: no usable AWS credentials: "), "{stderr}");
    assert!(!stderr.contains("Response {") && !stderr.contains("raw:"), "a debug dump: {stderr}");
    assert_eq!(stderr.lines().filter(|l| !l.starts_with("hint: ")).count(), 1, "{stderr}");

    let mut wrong_region = keys();
    wrong_region.push(("AWS_REGION", "eu-west-1".into()));
    let run = deploy_binary(&wrong_region);
    assert_eq!(run.status, 3);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "cloud error: the AWS region configured here is eu-west-1 but environment `dev` deploys to us-east-1; unset \
         AWS_REGION/AWS_DEFAULT_REGION or correct the environment's definition"
    );

    let mut unreachable = keys();
    unreachable.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()));
    let run = deploy_binary(&unreachable);
    assert_eq!(run.status, 3);
    assert!(run.stderr.starts_with("cloud error: cannot reach AWS at http://127.0.0.1:9: "), "{}", run.stderr);

    let other = Moto::start_bare("999999999999");
    let mut wrong_account = keys();
    wrong_account.push(("AWS_ENDPOINT_URL", other.endpoint.clone()));
    let run = deploy_binary(&wrong_account);
    assert_eq!(run.status, 3);
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "cloud error: the AWS credentials belong to account 999999999999 but environment `dev` deploys to account \
         111111111111; refusing to touch the wrong account"
    );
    let stacks = block_on(async { other.client().describe_stacks().send().await.unwrap().stacks().len() });
    assert_eq!(stacks, 0, "nothing was created");
}

/// A deploy of the reference `dev` through the real binary, interrupted (SIGINT, as a terminal's Ctrl-C)
/// while it waits for stacks busy with operations it did not start. Asserts what it says.
pub fn interrupted_deploy() -> crate::support::Run {
    use std::io::BufRead;
    let (moto, faults) = setup();
    // Every stack of the reference `dev` environment exists and is busy with an operation slipway did not
    // start, so the first one the deploy looks at holds it.
    let stacks = ["network", "data", "app", "monitoring", "deploy-role"].map(|s| format!("webapp-dev-{s}"));
    block_on(async {
        let body = r#"{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}"#;
        for name in &stacks {
            moto.client().create_stack().stack_name(name).template_body(body).send().await.unwrap();
        }
    });
    for name in &stacks {
        faults.fail(name, Failure::Busy);
    }
    let dir = crate::support::tempdir();
    let env = [
        ("AWS_ENDPOINT_URL", faults.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ];
    let mut child = deploy_command(dir.path(), &env, &["--poll-ms", "50"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read its progress until it is waiting for the busy stack, then interrupt it.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("(started elsewhere) to finish") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "slipway ended before it waited:\n{seen}");
        seen.push_str(&line);
    }
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let code = child.wait().unwrap().code();
    let stderr = seen + &rest;
    assert!(stderr.contains(": waiting for UPDATE_IN_PROGRESS (started elsewhere) to finish"), "{stderr}");
    assert!(
        stderr.ends_with(
            "interrupted: slipway stopped waiting; CloudFormation carries on with what was started\n  no change set \
             was executed\n"
        ),
        "{stderr}"
    );
    assert_eq!(faults.calls("ExecuteChangeSet"), 0);
    // The run gave its lock back and the ledger says how it ended.
    let store = dir.path().join(".slipway");
    let locks: Vec<_> = std::fs::read_dir(store.join("locks")).unwrap().collect();
    assert!(locks.is_empty(), "the lock was given back: {locks:?}");
    let mut records: Vec<std::path::PathBuf> =
        std::fs::read_dir(store.join("ledger/dev")).unwrap().map(|e| e.unwrap().path()).collect();
    records.sort();
    assert_eq!(records.len(), 2, "{records:?}");
    let finished: serde_json::Value = serde_json::from_slice(&std::fs::read(&records[1]).unwrap()).unwrap();
    assert_eq!((finished["phase"].as_str(), finished["outcome"].as_str()), (Some("finished"), Some("interrupted")));
    crate::support::Run { status: code.unwrap_or(-1), stdout, stderr }
}

#[test]
fn ctrl_c_while_waiting_stops_and_says_what_was_executed() {
    let run = interrupted_deploy();
    assert_eq!(run.status, 130, "{}", run.stderr);
}
