//! Releases, the ledger, the lock and status through the real binary, as CI and people use them: on a
//! local store and on an S3 store on the moto server, with the reference `dev` environment deployed to
//! moto through the fault proxy.

use std::time::Duration;

use serde_json::Value;

use crate::deploy::reference::{Api, deploy_in, killed_after_create_change_set, stacks, start};
use crate::faults::Fault;
use crate::moto::{Moto, block_on};
use crate::support::{Run, tempdir};

/// `slipway ARGS` in `dir` with moto's settings (its store included) and `extra` variables.
pub(crate) fn slipway_with(dir: &std::path::Path, moto: &Moto, extra: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = crate::support::engine();
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key.starts_with("GITHUB_") || key == "SLIPWAY_STORE" {
            cmd.env_remove(key);
        }
    }
    for (key, value) in moto.env() {
        cmd.env(key, value);
    }
    cmd.env("GITHUB_REF", "refs/heads/main");
    for (key, value) in extra {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn create_bucket(moto: &Moto, bucket: &str) {
    let s3 = moto.s3();
    block_on(async { s3.create_bucket().bucket(bucket).send().await.unwrap() });
}

/// The ledger's records as `history --format json` prints them, newest first.
fn history(dir: &std::path::Path, moto: &Moto, extra: &[(&str, &str)]) -> Vec<Value> {
    let run = slipway_with(dir, moto, extra, &["history", "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    serde_json::from_str::<Vec<Value>>(&run.stdout).unwrap()
}

#[test]
fn releases_on_an_s3_store_are_created_once_listed_shown_and_never_changed() {
    let moto = Moto::start();
    create_bucket(&moto, "team-store");
    let dir = tempdir();
    let store = [("SLIPWAY_STORE", "s3://team-store/slipway")];
    let created = slipway_with(
        dir.path(),
        &moto,
        &store,
        &["release", "create", "--id", "r1", "--commit", "abc123", "--ref", "main"],
    );
    assert_eq!(created.status, 0, "{}", created.stderr);
    assert_eq!(created.stdout, "created release r1 in s3://team-store/slipway/\n");
    let again = slipway_with(dir.path(), &moto, &store, &["release", "create", "--id", "r1", "--commit", "abc123"]);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(
        again.stdout.starts_with("release r1 already exists in s3://team-store/slipway/ with the same artifacts"),
        "{}",
        again.stdout
    );

    // The same id from a directory whose app template differs: refused, naming the file.
    assert_eq!(crate::support::slipway(dir.path(), &["synth", "--out", "other"]).status, 0);
    let app = dir.path().join("other/dev/cloudformation/app.template.json");
    let text = std::fs::read_to_string(&app).unwrap().replace("\"Description\": \"", "\"Description\": \"changed ");
    std::fs::write(&app, &text).unwrap();
    let manifest_path = dir.path().join("other/manifest.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["path"] == "dev/cloudformation/app.template.json" {
            f["sha256"] = slipway::synth::sha256_hex(text.as_bytes()).into();
            f["bytes"] = text.len().into();
        }
    }
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let changed = slipway_with(dir.path(), &moto, &store, &["release", "create", "--id", "r1", "--from", "other"]);
    assert_eq!(changed.status, 1, "{}", changed.stderr);
    assert_eq!(
        changed.stderr.lines().next().unwrap(),
        "error: release `r1` already exists with other artifacts (dev/cloudformation/app.template.json); a \
         release is never changed, so give this one another id"
    );
    let from_dir = slipway_with(dir.path(), &moto, &store, &["release", "create", "--id", "r2", "--from", "other"]);
    assert_eq!(from_dir.status, 0, "{}", from_dir.stderr);

    let ls = slipway_with(dir.path(), &moto, &store, &["release", "ls", "--format", "json"]);
    let ids: Vec<String> = serde_json::from_str::<Vec<Value>>(&ls.stdout)
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["r2", "r1"]);
    let show = slipway_with(dir.path(), &moto, &store, &["release", "show", "r1", "--format", "json"]);
    let shown: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(shown["release"]["commit"], "abc123");
    assert_eq!(shown["release"]["ref"], "main");
    assert_eq!(shown["release"]["environments"], serde_json::json!(["dev", "test", "staging", "prod"]));
    assert!(shown["files"].as_array().unwrap().iter().any(|f| f["path"] == "prod/cloudformation/app.template.json"));
    let missing = slipway_with(dir.path(), &moto, &store, &["release", "show", "r9"]);
    assert_eq!(missing.status, 1);
    assert!(
        missing.stderr.starts_with("error: there is no release `r9` in the store at s3://team-store/slipway/"),
        "{}",
        missing.stderr
    );
}

#[test]
fn two_deploys_of_one_environment_at_once_one_proceeds_the_other_is_refused_naming_the_holder() {
    let (moto, faults) = start();
    create_bucket(&moto, "team-store");
    // The first run's reads of its stacks (made only under the lock, all at once) slow, so that it still
    // holds the lock when the second run, whose steps before the lock make no such call, asks for it.
    faults.inject("DescribeStacks", Fault::Slow(Duration::from_secs(2)), 12);
    let store = "s3://team-store/ci";
    let spawn = |name: &'static str| {
        let dir = tempdir();
        let mut cmd = crate::support::engine();
        cmd.args([
            "deploy",
            "--env",
            "dev",
            "--release",
            "r1",
            "--yes",
            "--no-smoke",
            "--progress",
            "events",
            "--poll-ms",
            "20",
            "--target",
            "aws",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        for (key, value) in moto.env() {
            cmd.env(key, value);
        }
        cmd.env("AWS_ENDPOINT_URL", &faults.endpoint)
            .env("SLIPWAY_STORE", store)
            .env("GITHUB_ACTOR", name)
            .env("GITHUB_REF", "refs/heads/main");
        (dir, cmd.spawn().unwrap())
    };
    let runs: Vec<_> = ["runner-a", "runner-b"].into_iter().map(spawn).collect();
    let outs: Vec<_> = runs.into_iter().map(|(_dir, child)| child.wait_with_output().unwrap()).collect();
    let codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [0, 1],
        "{codes:?}\n{}",
        outs.iter().map(|o| String::from_utf8_lossy(&o.stderr).into_owned()).collect::<Vec<_>>().join("\n---\n")
    );
    let loser = outs.iter().find(|o| o.status.code() == Some(1)).unwrap();
    let winner_name = if codes[0] == 0 { "runner-a" } else { "runner-b" };
    let stderr = String::from_utf8_lossy(&loser.stderr);
    assert!(stderr.contains(&format!("error: environment `dev` is locked: held by {winner_name} on ")), "{stderr}");
    assert!(stderr.contains("hint: wait for it with --wait-lock 10m"), "{stderr}");
    // The ledger holds the winner's run, whole, and nothing of the refused one.
    let dir = tempdir();
    let records = history(dir.path(), &moto, &[("SLIPWAY_STORE", store)]);
    let summary: Vec<(String, String)> = records
        .iter()
        .map(|r| (r["phase"].as_str().unwrap().to_string(), r["actor"]["name"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(summary, [("finished".to_string(), winner_name.to_string()), ("started".into(), winner_name.into())]);
    // The lock was given back.
    let status = slipway_with(
        dir.path(),
        &moto,
        &[("SLIPWAY_STORE", store)],
        &["status", "--env", "dev", "--format", "json", "--no-drift"],
    );
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status[0]["lock"], Value::Null);
}

#[test]
fn a_killed_deploy_is_reconciled_by_the_next_one_which_records_what_it_found_and_goes_on() {
    let (moto, faults) = start();
    killed_after_create_change_set(&moto, &faults, "r1");
    let dir = tempdir();
    let run = deploy_in(dir.path(), &moto, &faults, "r1", &["--no-smoke"]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("note: took over the lock of dev, which was stale: held by "), "{}", run.stderr);
    let first = &stacks()[0];
    let reconciled =
        run.stderr.lines().find(|l| l.starts_with("reconciled: run ")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(reconciled.contains("(deploy of release r1 by "), "{reconciled}");
    assert!(
        reconciled.contains(&format!("ended without a record of its end; found: {first} REVIEW_IN_PROGRESS")),
        "{reconciled}"
    );
    let records = history(dir.path(), &moto, &[]);
    let phases: Vec<&str> = records.iter().rev().map(|r| r["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["started", "reconciled", "started", "finished"], "{records:#?}");
    let dead = records.last().unwrap()["run"].clone();
    assert_eq!(records[2]["run"], dead, "the reconciled record closes the dead run");
    assert_eq!(records[2]["outcome"], "lost");
    assert_eq!(records[0]["outcome"], "deployed");
}

#[test]
fn status_on_a_fresh_account_after_deploys_and_after_a_stack_is_changed_behind_slipways_back() {
    let (moto, faults) = start();
    let dir = tempdir();
    let fresh = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev"]);
    assert_eq!(fresh.status, 0, "{}", fresh.stderr);
    assert_eq!(fresh.stdout, "dev\n  release     none deployed\n  drift       not checked: nothing deployed yet\n");

    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);
    let ci = [
        ("GITHUB_ACTOR", "octocat"),
        ("GITHUB_SERVER_URL", "https://github.example"),
        ("GITHUB_REPOSITORY", "slipway-examples/webapp"),
        ("GITHUB_RUN_ID", "4242"),
    ];
    let mut cmd_env: Vec<(&str, &str)> = ci.to_vec();
    cmd_env.push(("AWS_ENDPOINT_URL", &faults.endpoint));
    let deployed = slipway_with(
        dir.path(),
        &moto,
        &cmd_env,
        &[
            "deploy",
            "--env",
            "dev",
            "--release",
            "r1",
            "--yes",
            "--progress",
            "events",
            "--poll-ms",
            "20",
            "--target",
            "aws",
        ],
    );
    assert_eq!(deployed.status, 0, "{}", deployed.stderr);

    // What the ledger recorded about it.
    let records = history(dir.path(), &moto, &[]);
    let finished = &records[0];
    assert_eq!(finished["phase"], "finished");
    assert_eq!(finished["outcome"], "deployed");
    assert_eq!(finished["release"], "r1");
    assert_eq!(
        finished["actor"],
        serde_json::json!({ "name": "octocat", "ci_run": "https://github.example/slipway-examples/webapp/actions/runs/4242" })
    );
    let manifest: Value = serde_json::from_str(
        &slipway_with(dir.path(), &moto, &[], &["release", "show", "r1", "--format", "json"]).stdout,
    )
    .unwrap();
    let mut dev_files: serde_json::Map<String, Value> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().starts_with("dev/"))
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["sha256"].clone()))
        .collect();
    // And the code dev's templates name: the backend's (the frontend's is cloud.gov's alone).
    let backend = manifest["assets"].as_array().unwrap().iter().find(|a| a["name"] == "backend").unwrap();
    dev_files.insert(backend["key"].as_str().unwrap().to_string(), backend["sha256"].clone());
    assert_eq!(finished["artifacts"], Value::Object(dev_files), "every artifact applied, with its SHA-256");
    assert_eq!(finished["stacks"].as_array().unwrap().len(), stacks().len());
    assert_eq!(finished["smoke"][0]["name"], "api-health");
    assert_eq!(finished["smoke"][0]["passed"], true);
    assert!(finished["started_at"].as_str().unwrap() <= finished["at"].as_str().unwrap());

    let after = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev"]);
    assert_eq!(after.status, 0, "{}", after.stderr);
    assert!(after.stdout.starts_with("dev\n  release     r1\n"), "{}", after.stdout);
    assert!(after.stdout.contains("  deployed    "), "{}", after.stdout);
    assert!(
        after
            .stdout
            .contains(" by octocat (https://github.example/slipway-examples/webapp/actions/runs/4242) with deploy\n"),
        "{}",
        after.stdout
    );
    assert!(after.stdout.contains("  drift       none: every stack holds the template applied\n"), "{}", after.stdout);
    let clean = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev", "--exit-code"]);
    assert_eq!(clean.status, 0, "no drift: exit 0\n{}", clean.stderr);

    // Somebody changes the monitoring stack in the console.
    block_on(async {
        let client = moto.client();
        let body = client
            .get_template()
            .stack_name("webapp-dev-monitoring")
            .send()
            .await
            .unwrap()
            .template_body()
            .unwrap()
            .to_string();
        let mut template: Value = serde_json::from_str(&body).unwrap();
        template["Description"] = "changed by hand".into();
        client
            .update_stack()
            .stack_name("webapp-dev-monitoring")
            .template_body(template.to_string())
            .send()
            .await
            .unwrap();
    });
    let drifted = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev", "--format", "json"]);
    let status: Value = serde_json::from_str(&drifted.stdout).unwrap();
    assert_eq!(
        status[0]["drift"],
        serde_json::json!({ "checked": true, "drifted": [{ "stack": "webapp-dev-monitoring", "why": "its template was changed outside slipway: section Description modified" }] })
    );
    let markdown = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev", "--format", "markdown"]);
    assert!(
        markdown.stdout.starts_with(
            "| environment | release | deployed | last change | drift |\n|---|---|---|---|---|\n| dev | r1 |"
        ),
        "{}",
        markdown.stdout
    );
    assert!(markdown.stdout.contains("DRIFTED: webapp-dev-monitoring"), "{}", markdown.stdout);
    // A scheduled check exits 2 on drift, as `diff --exit-code` does on a difference.
    let scheduled = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev", "--exit-code", "--no-drift"]);
    assert_eq!(scheduled.status, 1, "--exit-code needs the stacks read\n{}", scheduled.stderr);
    let scheduled = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev", "--exit-code"]);
    assert_eq!(scheduled.status, 2, "{}", scheduled.stderr);
    assert!(scheduled.stdout.contains("DRIFTED: webapp-dev-monitoring"), "{}", scheduled.stdout);

    // Without credentials it says what it could not check, and still shows the ledger.
    let no_keys = slipway_with(
        dir.path(),
        &moto,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        &["status", "--env", "dev"],
    );
    assert_eq!(no_keys.status, 0, "{}", no_keys.stderr);
    assert!(no_keys.stdout.contains("  release     r1\n"), "{}", no_keys.stdout);
    assert!(
        no_keys.stdout.contains("  drift       not checked: could not read the stacks: no usable AWS credentials"),
        "{}",
        no_keys.stdout
    );
    // A scheduled check that cannot read the stacks does not pass as "no drift".
    let unread = slipway_with(
        dir.path(),
        &moto,
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
        &["status", "--env", "dev", "--exit-code"],
    );
    assert_eq!(unread.status, 3, "{}", unread.stderr);
    assert!(
        unread.stderr.contains("the stacks of dev could not be read, so their drift is unknown"),
        "{}",
        unread.stderr
    );

    // Putting back what the ledger says runs there clears the drift, and is recorded as a deploy of it.
    // (The reference dev also has a cloud.gov target, which this test has no API for.)
    let revert = [
        "deploy",
        "--env",
        "dev",
        "--revert-drift",
        "--yes",
        "--progress",
        "events",
        "--poll-ms",
        "20",
        "--target",
        "aws",
    ];
    let reverted = slipway_with(dir.path(), &moto, &cmd_env, &revert);
    assert_eq!(reverted.status, 0, "{}", reverted.stderr);
    assert!(reverted.stderr.contains("reverting drift: deploying release r1 again"), "{}", reverted.stderr);
    let records = history(dir.path(), &moto, &[]);
    assert_eq!(records[0]["outcome"], "deployed");
    assert_eq!(records[0]["reason"], "revert drift: release r1 deployed again over what was changed outside slipway");
    let clean = slipway_with(dir.path(), &moto, &[], &["status", "--env", "dev", "--exit-code"]);
    assert_eq!(clean.status, 0, "{}\n{}", clean.stdout, clean.stderr);
}

#[test]
fn unlock_removes_a_lock_and_records_who_did_it() {
    let moto = Moto::start();
    let dir = tempdir();
    let lock = serde_json::json!({
        "environment": "staging", "run": "gone", "holder": { "name": "runner-7", "ci_run": null },
        "reason": "deploy release r3", "started_at": "2026-11-24T10:00:00.000Z", "expires_at": "2099-01-01T00:00:00.000Z",
        "host": "another-runner", "pid": 42,
    });
    std::fs::create_dir_all(moto.store.path().join("locks")).unwrap();
    std::fs::write(moto.store.path().join("locks/staging.json"), serde_json::to_vec(&lock).unwrap()).unwrap();
    let run = slipway_with(dir.path(), &moto, &[("GITHUB_ACTOR", "priya")], &["unlock", "--env", "staging"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("unlocked staging: the lock was held by runner-7 on another-runner for "),
        "{}",
        run.stdout
    );
    assert!(!moto.store.path().join("locks/staging.json").exists());
    let records = history(dir.path(), &moto, &[]);
    assert_eq!(records[0]["kind"], "unlock");
    assert_eq!(records[0]["actor"]["name"], "priya");
    assert!(records[0]["reason"].as_str().unwrap().starts_with("removed the lock of run gone, held by runner-7"));
    let again = slipway_with(dir.path(), &moto, &[], &["unlock", "--env", "staging"]);
    assert_eq!(again.stdout, "environment staging was not locked; nothing was changed\n");
}
