//! The team whose releases advance on evidence (`tests/projects/watched`), through the engine binary on
//! moto: dev's deploy watches its alarm for the bake; an alarm that goes to ALARM during the next release's
//! bake puts every stack of dev back on the release before, names the alarm in the ledger, and exits 4;
//! that release then refuses to promote (soak), a release deployed with `--no-bake` refuses as no evidence,
//! and one that baked and soaked is kept out of staging by a deny window until `--break-window --reason`
//! passes it with the approval, recorded.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde_json::Value;

use super::{command, engine, ok};
use crate::evidence::walk::{clients, release_of};
use crate::moto::{Moto, block_on};
use crate::support::{Run, tempdir};

const ALARM: &str = "watched-dev-errors";
const STACKS: [&str; 2] = ["watched-dev-service", "watched-dev-events"];

fn set_alarm(cw: &aws_sdk_cloudwatch::Client, state: &str, reason: &str) {
    block_on(cw.set_alarm_state().alarm_name(ALARM).state_value(state.into()).state_reason(reason).send()).unwrap();
}

/// The ledger's records of `env`, newest first, as `slipway history` prints them for a script.
fn history(run: &dyn Fn(&[&str]) -> Run, env: &str) -> Vec<Value> {
    let out = run(&["history", "--env", env, "--format", "json"]);
    ok(&out);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", out.stdout))
}

#[test]
fn an_alarm_during_the_bake_rolls_dev_back_exits_4_and_the_release_never_soaks() {
    let moto = Moto::start_accounts();
    moto.bootstrap_envs(
        [("dev", "300000000001"), ("staging", "300000000002")]
            .iter()
            .map(|(name, account)| {
                slipway::model::Environment::new(*name, slipway::model::Tier::Development)
                    .aws(slipway::model::AccountId::owned(*account), slipway::model::Region::UsEast1)
                    .assume_role(format!("arn:aws:iam::{account}:role/watched-deploy"))
            })
            .collect(),
    );
    let dir = tempdir();
    let run = |args: &[&str]| engine("watched", dir.path(), Some(&moto), &[], args);
    let apply = ["--yes", "--progress", "events", "--poll-ms", "20"];
    let deploy = |release: &str, extra: &[&str]| {
        run(&[&["deploy", "--env", "dev", "--release", release, "--commit", "abc123"][..], extra, &apply].concat())
    };

    // The team's alarm, kept in dev's CloudWatch by name.
    let (cfn, cw) = clients(&moto.endpoint, "arn:aws:iam::300000000001:role/watched-deploy");
    block_on(
        cw.put_metric_alarm()
            .alarm_name(ALARM)
            .namespace("AWS/SNS")
            .metric_name("NumberOfNotificationsFailed")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
            .send(),
    )
    .unwrap();
    set_alarm(&cw, "OK", "quiet");

    let first = deploy("r1", &[]);
    ok(&first);
    assert!(first.stderr.contains(&format!("bake: watching 1 alarm(s) for 8s: {ALARM}")), "{}", first.stderr);
    assert!(first.stderr.contains("bake passed: 1 alarm(s) stayed out of ALARM for 8s"), "{}", first.stderr);
    for stack in STACKS {
        assert_eq!(release_of(&cfn, stack), ("r1".to_string(), "CREATE_COMPLETE".to_string()), "{stack}");
    }

    // r2: the alarm goes off once the bake has begun (the engine says so in its log).
    let args = [&["deploy", "--env", "dev", "--release", "r2", "--commit", "def456"][..], &apply].concat();
    let mut child = command("watched", dir.path(), Some(&moto), &[], &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the slipway binary runs");
    let stdout = child.stdout.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let mut stderr = String::new();
    let mut set = false;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if !set && line.contains("bake: watching") {
            set_alarm(&cw, "ALARM", "Threshold Crossed: 3 failed notifications");
            set = true;
        }
        stderr.push_str(&line);
        stderr.push('\n');
    }
    let status = child.wait().unwrap().code();
    let stdout = out.join().unwrap();
    assert!(set, "the bake never began:\n{stderr}");
    assert_eq!(status, Some(4), "rolled back: exit 4\n{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("alarm `{ALARM}` went to ALARM: Threshold Crossed: 3 failed notifications")),
        "{stderr}"
    );
    for stack in STACKS {
        assert_eq!(release_of(&cfn, stack), ("r1".to_string(), "UPDATE_COMPLETE".to_string()), "{stack}");
    }
    let records = history(&run, "dev");
    let alarm = &records[0]["bake"]["alarm"];
    assert_eq!(records[0]["outcome"], "rolled-back", "{:#}", records[0]);
    assert_eq!(records[0]["release"], "r2");
    assert_eq!(alarm["name"], ALARM, "{:#}", records[0]);
    assert_eq!(alarm["reason"], "Threshold Crossed: 3 failed notifications");
    assert!(alarm["at"].is_string(), "{:#}", records[0]);

    // r2 never soaked in dev: it may not go to staging, whoever approves.
    let promote = |release: &str, extra: &[(&str, &str)], more: &[&str]| {
        let args = [&["promote", "--release", release, "--to", "staging", "--from", "dev"][..], more].concat();
        engine("watched", dir.path(), Some(&moto), extra, &args)
    };
    let refused = promote("r2", &[], &["--approved-by", "kim", "--dry-run"]);
    assert_eq!(refused.status, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains(
            "[soak] `staging` takes a release from `dev` only after it has run there for 5s with no rollback and no \
             alarm: in `dev` release r2 had a setback at "
        ) && refused.stdout.contains(&format!("alarm `{ALARM}` went to ALARM at ")),
        "{}",
        refused.stdout
    );

    // The alarm quiet again, r1 deployed once more with --no-bake: recorded as skipped, and no evidence.
    set_alarm(&cw, "OK", "quiet again");
    let unbaked = deploy("r1", &["--no-bake"]);
    ok(&unbaked);
    assert!(!unbaked.stderr.contains("bake: watching"), "{}", unbaked.stderr);
    let records = history(&run, "dev");
    assert_eq!(records[0]["bake"]["skipped"], true, "{:#}", records[0]);
    assert_eq!(records[0]["bake"]["passed"], false, "{:#}", records[0]);
    let refused = promote("r1", &[], &["--approved-by", "kim", "--dry-run"]);
    assert_eq!(refused.status, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(refused.stdout.contains("[source] release r1's bake was not passed in `dev`"), "{}", refused.stdout);

    // Baked, it soaks from when it reached dev healthy: refused until the time the refusal names, then
    // allowed (the binary runs on the real clock; the soak is 5 seconds).
    ok(&deploy("r1", &[]));
    let early = promote("r1", &[], &["--approved-by", "kim", "--dry-run"]);
    assert_eq!(early.status, 1, "{}\n{}", early.stdout, early.stderr);
    let at = early.stdout.split_once("so it may go at ").and_then(|(_, rest)| rest.split_once(' '));
    let at = at.unwrap_or_else(|| panic!("the soak says when it may go:\n{}", early.stdout)).0;
    let at: jiff::Timestamp = at.parse().unwrap();
    let left = at.duration_since(jiff::Timestamp::now());
    std::thread::sleep(std::time::Duration::try_from(left).unwrap_or_default() + std::time::Duration::from_millis(50));
    let allowed = promote("r1", &[], &["--approved-by", "kim", "--dry-run"]);
    assert_eq!(allowed.status, 0, "{}\n{}", allowed.stdout, allowed.stderr);

    // The team keeps today free of changes in staging (yesterday to tomorrow, Berlin time): refused, with
    // when it opens; broken with a reason and the approval, it goes, and the ledger says which and why.
    let today = jiff::Timestamp::now().in_tz("Europe/Berlin").unwrap().date();
    let days = format!("{} to {}", today.yesterday().unwrap(), today.tomorrow().unwrap());
    let deny = [("WATCHED_DENY", days.as_str())];
    let denied = promote("r1", &deny, &["--approved-by", "kim", "--dry-run"]);
    assert_eq!(denied.status, 1, "{}\n{}", denied.stdout, denied.stderr);
    let opens = format!("{} 00:00 ", today.tomorrow().unwrap().tomorrow().unwrap().strftime("%a %Y-%m-%d"));
    assert!(
        denied
            .stdout
            .contains(&format!("[window] `staging` takes no promotion in its window `deny {days} Europe/Berlin`"))
            && denied.stdout.contains("the next window opens at ")
            && denied.stdout.contains(&opens),
        "{}",
        denied.stdout
    );
    let no_reason = promote("r1", &deny, &["--approved-by", "kim", "--break-window", "--yes"]);
    assert_eq!(no_reason.status, 1, "--break-window needs --reason\n{}", no_reason.stderr);
    assert!(no_reason.stderr.contains("--reason"), "{}", no_reason.stderr);
    let unapproved = promote("r1", &deny, &["--break-window", "--reason", "hotfix: logins fail", "--dry-run"]);
    assert_eq!(unapproved.status, 1, "{}", unapproved.stdout);
    assert!(
        unapproved.stdout.contains("[approvals]") && !unapproved.stdout.contains("[window]"),
        "{}",
        unapproved.stdout
    );
    let broken = promote(
        "r1",
        &deny,
        &[&["--approved-by", "kim", "--break-window", "--reason", "hotfix: logins fail"][..], &apply].concat(),
    );
    ok(&broken);
    let records = history(&run, "staging");
    assert_eq!(records[0]["outcome"], "deployed", "{:#}", records[0]);
    assert_eq!(records[0]["broke_window"], format!("deny {days} Europe/Berlin"), "{:#}", records[0]);
    assert_eq!(records[0]["reason"], "hotfix: logins fail", "{:#}", records[0]);
}
