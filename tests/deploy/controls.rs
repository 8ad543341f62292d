//! The controls a person puts around deploys, through the real binary as they type them: `freeze` and
//! `unfreeze` (with `--until` as a time and as a duration), `rollback --to/--dry-run/--break-freeze`,
//! `--approved-by`, `--require-approval`, and the environment's lock (`--wait-lock`, `--lock-ttl`, and the
//! lock given back after a deploy that failed). The reference `dev` environment on moto, through the fault
//! proxy, as CI user `ci-bot` on `main`.

use std::path::Path;

use serde_json::{Value, json};

use crate::deploy::reference::{Api, start};
use crate::faults::{Failure, Faults};
use crate::ledger::cli::slipway_with;
use crate::moto::Moto;
use crate::support::{Run, tempdir};

/// `slipway ARGS` in `dir` against moto through the proxy, as `ci-bot`.
fn slipway(dir: &Path, moto: &Moto, faults: &Faults, args: &[&str]) -> Run {
    slipway_with(dir, moto, &[("GITHUB_ACTOR", "ci-bot"), ("AWS_ENDPOINT_URL", &faults.endpoint)], args)
}

// The reference environments also have a cloud.gov target; these runs are about the stacks.
const EVENTS: [&str; 6] = ["--progress", "events", "--poll-ms", "20", "--target", "aws"];

/// `slipway deploy --env dev --release RELEASE --yes` with `extra`.
fn deploy(dir: &Path, moto: &Moto, faults: &Faults, release: &str, extra: &[&str]) -> Run {
    let mut args = vec!["deploy", "--env", "dev", "--release", release, "--yes"];
    args.extend(EVENTS);
    args.extend(extra);
    slipway(dir, moto, faults, &args)
}

fn ok(run: &Run) {
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
}

/// The ledger's records, newest first.
fn history(dir: &Path, moto: &Moto, faults: &Faults) -> Vec<Value> {
    let run = slipway(dir, moto, faults, &["history", "--format", "json"]);
    ok(&run);
    serde_json::from_str(&run.stdout).unwrap()
}

/// The environment's lock as `status` shows it (`null` when nobody holds it).
fn lock_of(dir: &Path, moto: &Moto, faults: &Faults) -> Value {
    let run = slipway(dir, moto, faults, &["status", "--env", "dev", "--format", "json", "--no-drift"]);
    ok(&run);
    serde_json::from_str::<Value>(&run.stdout).unwrap()[0]["lock"].clone()
}

/// moto and the proxy with `dev` on r1 and then r2, both healthy.
fn dev_on_r2() -> (Moto, Faults, Api, tempfile::TempDir) {
    let (moto, faults) = start();
    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);
    let dir = tempdir();
    ok(&deploy(dir.path(), &moto, &faults, "r1", &[]));
    ok(&deploy(dir.path(), &moto, &faults, "r2", &[]));
    (moto, faults, api, dir)
}

/// The instant an RFC 3339 text names.
fn at(text: &str) -> slipway::clock::Timestamp {
    slipway::clock::Timestamp::parse(text).unwrap_or_else(|| panic!("`{text}` is no RFC 3339 time"))
}

#[test]
fn a_freeze_until_a_time_or_for_a_while_stops_deploys_and_rollbacks_until_it_is_lifted() {
    let (moto, faults, _api, dir) = dev_on_r2();
    let dir = dir.path();
    let run = |args: &[&str]| slipway(dir, &moto, &faults, args);
    let records = history(dir, &moto, &faults).len();

    // Bad input is refused, naming what it takes, and records nothing.
    let bad = run(&["freeze", "--env", "dev", "--reason", "incident 42", "--until", "tomorrow"]);
    assert_eq!(bad.status, 1, "{}", bad.stderr);
    assert_eq!(
        bad.stderr.lines().next(),
        Some("error: --until `tomorrow` is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a duration (48h)")
    );
    let past = run(&["freeze", "--env", "dev", "--reason", "incident 42", "--until", "2020-01-01T00:00:00Z"]);
    assert_eq!(past.status, 1, "{}", past.stderr);
    assert!(past.stderr.contains("2020-01-01T00:00:00.000Z"), "{}", past.stderr);
    assert_eq!(history(dir, &moto, &faults).len(), records, "nothing recorded");

    // A duration counts from now.
    let before = slipway::clock::Timestamp::parse(&now_rfc3339()).unwrap();
    let froze = run(&["freeze", "--env", "dev", "--reason", "incident 42", "--until", "48h"]);
    let after = slipway::clock::Timestamp::parse(&now_rfc3339()).unwrap();
    ok(&froze);
    let until = froze.stdout.strip_prefix("froze dev until ").and_then(|s| s.strip_suffix(": incident 42\n"));
    let until = at(until.unwrap_or_else(|| panic!("{}", froze.stdout)));
    let two_days = std::time::Duration::from_secs(48 * 3600);
    assert!(before.plus(two_days) <= until && until <= after.plus(two_days), "{until} is not 48h after the freeze");

    // Frozen: a deploy is refused and says who froze it, until when and why; a rollback is told it may break it.
    let refused = deploy(dir, &moto, &faults, "r3", &[]);
    assert_eq!(refused.status, 1, "{}\n{}", refused.stdout, refused.stderr);
    let frozen = format!("`dev` is frozen until {until} by ci-bot (");
    assert!(refused.stderr.contains(&frozen), "{}", refused.stderr);
    assert!(refused.stderr.contains("): incident 42; `slipway unfreeze` lifts it"), "{}", refused.stderr);
    let executed = faults.calls("ExecuteChangeSet");
    let dry = run(&["rollback", "--env", "dev", "--to", "r1", "--reason", "r2 breaks logins", "--dry-run"]);
    assert_eq!(dry.status, 1, "{}", dry.stderr);
    assert!(dry.stdout.starts_with("refused: roll dev back to release r1"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains("): incident 42; a rollback may pass with --break-freeze, which is recorded"),
        "{}",
        dry.stdout
    );
    let rollback = ["rollback", "--env", "dev", "--to", "r1", "--reason", "r2 breaks logins", "--break-freeze"];
    let dry = run(&[&rollback[..], &["--dry-run"]].concat());
    assert_eq!(dry.status, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(dry.stdout.starts_with("allowed: roll dev back to release r1"), "{}", dry.stdout);
    assert_eq!(faults.calls("ExecuteChangeSet"), executed, "a dry run changes nothing");

    // --break-freeze rolls back through the freeze, and the ledger says so.
    let back = run(&[&rollback[..], &["--yes"], &EVENTS[..]].concat());
    ok(&back);
    assert_eq!(back.stdout.lines().last(), Some("deployed: dev is on release r1"), "{}", back.stderr);
    let newest = &history(dir, &moto, &faults)[0];
    assert_eq!(
        (&newest["kind"], &newest["release"], &newest["broke_freeze"]),
        (&json!("rollback"), &json!("r1"), &json!(true))
    );

    // unfreeze lifts it (once); a freeze until an RFC 3339 time in another offset is kept in UTC.
    let lifted = run(&["unfreeze", "--env", "dev"]);
    ok(&lifted);
    assert_eq!(lifted.stdout, "unfroze dev\n");
    assert_eq!(run(&["unfreeze", "--env", "dev"]).stdout, "dev is not frozen; nothing was changed\n");
    let froze = run(&["freeze", "--env", "dev", "--reason", "release party", "--until", "2099-01-01T09:00:00+02:00"]);
    ok(&froze);
    assert_eq!(froze.stdout, "froze dev until 2099-01-01T07:00:00.000Z: release party\n");
    ok(&run(&["unfreeze", "--env", "dev"]));
    ok(&run(&["unhold", "--env", "dev"]));
    ok(&deploy(dir, &moto, &faults, "r3", &[]));
}

/// Now, in RFC 3339, from the system clock the binary reads too.
fn now_rfc3339() -> String {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    slipway::clock::Timestamp::from_unix_millis(millis as i64).to_string()
}

#[test]
fn require_approval_decides_which_changes_a_deploy_without_a_terminal_refuses() {
    let (moto, faults) = start();
    let dir = tempdir();
    let dir = dir.path();
    let unattended = |release: &str, extra: &[&str]| {
        let mut args = vec!["deploy", "--env", "dev", "--release", release, "--no-smoke"];
        args.extend(EVENTS);
        args.extend(extra);
        slipway(dir, &moto, &faults, &args)
    };
    // The first deploy makes roles and policies: it broadens access, which the default asks about.
    let first = unattended("r1", &[]);
    assert_eq!(first.status, 1, "{}\n{}", first.stdout, first.stderr);
    let last = first.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("not deployed, nothing was changed: "), "{}", first.stdout);
    assert!(last.ends_with("rerun with --yes (or with --require-approval never)"), "{last}");
    assert_eq!(faults.calls("ExecuteChangeSet"), 0);
    ok(&unattended("r1", &["--require-approval", "never"]));
    let executed = faults.calls("ExecuteChangeSet");

    // r2 changes the app's `Release` parameter only, which broadens nothing: no question by default ...
    ok(&unattended("r2", &[]));
    assert_eq!(faults.calls("ExecuteChangeSet"), executed + 1);
    // ... but `any-change` asks about every change, and with no terminal nothing changes.
    let asked = unattended("r3", &["--require-approval", "any-change"]);
    assert_eq!(asked.status, 1, "{}\n{}", asked.stdout, asked.stderr);
    assert_eq!(
        asked.stdout.lines().last(),
        Some(
            "not deployed, nothing was changed: webapp-dev-app changes and needs approval, but there is no terminal to \
             ask on; review the changes above and rerun with --yes (or with --require-approval never)"
        )
    );
    assert_eq!(faults.calls("ExecuteChangeSet"), executed + 1);
    ok(&unattended("r3", &["--require-approval", "any-change", "--yes"]));
}

#[test]
fn approvals_given_on_the_command_line_are_counted_and_recorded() {
    let (moto, faults, _api, dir) = dev_on_r2();
    let dir = dir.path();
    let rollback = ["rollback", "--env", "dev", "--to", "r1", "--reason", "r2 breaks logins"];
    let dry = slipway(dir, &moto, &faults, &[&rollback[..], &["--dry-run", "--approved-by", "amara"]].concat());
    assert_eq!(dry.status, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.starts_with("allowed: roll dev back to release r1 (approvals counted: amara)"),
        "{}",
        dry.stdout
    );
    let args = [&rollback[..], &["--approved-by", "amara", "--approved-by", "jonas", "--yes"], &EVENTS[..]].concat();
    ok(&slipway(dir, &moto, &faults, &args));
    let newest = &history(dir, &moto, &faults)[0];
    let by: Vec<&str> = newest["approvals"].as_array().unwrap().iter().map(|a| a["by"].as_str().unwrap()).collect();
    assert_eq!(by, ["amara", "jonas"], "{newest:#}");
    assert_eq!(newest["approvals"][0]["source"], "command line");
}

#[test]
fn a_failed_deploy_gives_the_lock_back() {
    let (moto, faults, api, dir) = dev_on_r2();
    let dir = dir.path();
    faults.fail("webapp-dev-app", Failure::UpdateRollsBack);
    let failed = deploy(dir, &moto, &faults, "r3", &[]);
    assert_eq!(failed.status, 4, "{}\n{}", failed.stdout, failed.stderr);
    assert_eq!(lock_of(dir, &moto, &faults), Value::Null);
    assert!(!moto.store.path().join("locks/dev.json").exists());
    // The next run (through a proxy that fails nothing) takes the lock as if none had been held.
    let healthy = Faults::start(&moto.endpoint);
    healthy.output("webapp-dev-app", "ApiUrl", &api.url);
    let next = deploy(dir, &moto, &healthy, "r3", &[]);
    ok(&next);
    assert!(!next.stderr.contains("took over the lock"), "{}", next.stderr);
}

/// A lock another machine's run holds on `dev` until `expires_at`.
fn foreign_lock(moto: &Moto, started_at: &str, expires_at: &str) {
    let lock = json!({
        "environment": "dev",
        "run": "20260101T000000000Z-elsewhere",
        "holder": {"name": "runner-b"},
        "reason": "deploy release r9",
        "started_at": started_at,
        "expires_at": expires_at,
        "host": "another-machine",
        "pid": 1
    });
    let path = moto.store.path().join("locks/dev.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(&lock).unwrap()).unwrap();
}

#[test]
fn a_held_lock_is_waited_for_with_wait_lock_and_taken_over_once_its_ttl_is_past() {
    let (moto, faults) = start();
    let dir = tempdir();
    let dir = dir.path();
    // Held by a run on another machine until 2099: refused at once, or after waiting as long as asked.
    foreign_lock(&moto, "2026-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z");
    let refused = deploy(dir, &moto, &faults, "r1", &["--no-smoke"]);
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("error: environment `dev` is locked: held by runner-b on another-machine for "),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains(", to deploy release r9; it expires at 2099-01-01T00:00:00.000Z"),
        "{}",
        refused.stderr
    );
    let waited = deploy(dir, &moto, &faults, "r1", &["--no-smoke", "--wait-lock", "1s"]);
    assert_eq!(waited.status, 1, "{}", waited.stderr);
    assert!(
        waited.stderr.contains("error: environment `dev` was still locked after waiting 1s: held by runner-b"),
        "{}",
        waited.stderr
    );
    assert_eq!(faults.calls("ExecuteChangeSet"), 0);

    // Its time past, the lock is taken over, and the run says whose it was.
    foreign_lock(&moto, "2026-01-01T00:00:00.000Z", "2026-01-01T02:00:00.000Z");
    let took = deploy(dir, &moto, &faults, "r1", &["--no-smoke"]);
    ok(&took);
    assert!(
        took.stderr.contains("note: took over the lock of dev, which was stale: held by runner-b on another-machine"),
        "{}",
        took.stderr
    );

    // --lock-ttl is how long this run's own lock holds: seen while the run holds it, stopped in a hook.
    let (entered, leave) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let store = moto.store.path().to_path_buf();
    faults.before("CreateChangeSet", "webapp-dev-app", move || {
        let lock: Value = serde_json::from_slice(&std::fs::read(store.join("locks/dev.json")).unwrap()).unwrap();
        entered.0.send(lock).unwrap();
        leave.1.recv().unwrap();
    });
    let holding = std::thread::scope(|scope| {
        let run = scope.spawn(|| deploy(dir, &moto, &faults, "r2", &["--no-smoke", "--lock-ttl", "90m"]));
        let lock = entered.1.recv().unwrap();
        // Meanwhile another run is refused, or waits for it with --wait-lock.
        let second = scope.spawn(|| deploy(dir, &moto, &faults, "r2", &["--no-smoke", "--wait-lock", "10m"]));
        let refused = deploy(dir, &moto, &faults, "r2", &["--no-smoke"]);
        leave.0.send(()).unwrap();
        (lock, run.join().unwrap(), refused, second.join().unwrap())
    });
    let (lock, first, refused, second) = holding;
    ok(&first);
    let (started, expires) = (at(lock["started_at"].as_str().unwrap()), at(lock["expires_at"].as_str().unwrap()));
    assert_eq!(expires.since(started), std::time::Duration::from_secs(90 * 60), "{lock:#}");
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains(&format!("; it expires at {expires}")), "{}", refused.stderr);
    ok(&second);
    assert_eq!(lock_of(dir, &moto, &faults), Value::Null);
}
