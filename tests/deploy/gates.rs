//! The holes in the gates, each walked through the binary as a new team found it: a rollback that brings
//! a release where the policy never let it go, a deploy whose skipped checks counted as evidence, a
//! refusal the policy could give hidden behind a cloud error, and a release made from an unclean tree.

use std::path::Path;
use std::process::Command;

use crate::deploy::reference::Api;
use crate::faults::Faults;
use crate::ledger::cli::slipway_with;
use crate::moto::Moto;
use crate::support::{Run, tempdir};

/// `slipway ARGS` in `dir` against moto through the proxy, as CI user `ci-bot` on `main`.
fn slipway(dir: &Path, moto: &Moto, faults: &Faults, args: &[&str]) -> Run {
    slipway_with(dir, moto, &[("GITHUB_ACTOR", "ci-bot"), ("AWS_ENDPOINT_URL", &faults.endpoint)], args)
}

// The reference project's environments also have a cloud.gov target; these tests are about the stacks.
const APPLY: [&str; 7] = ["--yes", "--progress", "events", "--poll-ms", "20", "--target", "aws"];

fn deploy_dev(dir: &Path, moto: &Moto, faults: &Faults, release: &str, extra: &[&str]) -> Run {
    let mut args = vec!["deploy", "--env", "dev", "--release", release];
    args.extend(APPLY);
    args.extend(extra);
    slipway(dir, moto, faults, &args)
}

fn ok(run: &Run) {
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn a_rollback_brings_back_only_a_release_that_ran_there_healthy() {
    let moto = Moto::start_as("111111111111");
    let faults = Faults::start(&moto.endpoint);
    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);
    let dir = tempdir();
    let dir = dir.path();
    ok(&deploy_dev(dir, &moto, &faults, "r1", &[]));
    ok(&deploy_dev(dir, &moto, &faults, "r2", &["--no-smoke"]));
    ok(&deploy_dev(dir, &moto, &faults, "r3", &[]));
    ok(&slipway(dir, &moto, &faults, &["release", "create", "--id", "r4"]));

    let rollback = |env: &str, to: &str, more: &[&str]| {
        let mut args = vec!["rollback", "--env", env, "--to", to, "--reason", "bad", "--dry-run"];
        args.extend(more);
        slipway(dir, &moto, &faults, &args)
    };
    // prod never ran r3: a rollback is no side door past staging, the wait and the source's evidence.
    let prod = rollback("prod", "r3", &["--approved-by", "priya", "--approved-by", "mateo"]);
    assert_eq!(prod.status, 1, "{}", prod.stderr);
    assert_eq!(
        prod.stdout,
        "refused: roll prod back to release r3 (approvals counted: priya, mateo):\n  [history] `prod` never ran \
         release r3: a rollback brings back only a release that ran there healthy (it ran no release that finished \
         healthy); to bring r3 to `prod`, promote it (`slipway promote --release r3 --to prod`)\n"
    );
    // dev never ran r4, and r2 ran there without its checks: neither counts as healthy there.
    let never = rollback("dev", "r4", &[]);
    assert_eq!(never.status, 1, "{}", never.stderr);
    assert!(never.stdout.contains("[history] `dev` never ran release r4: "), "{}", never.stdout);
    assert!(never.stdout.contains("(it may go back to r1)"), "{}", never.stdout);
    assert!(never.stdout.contains("deploy it (`slipway deploy --env dev --release r4`)"), "{}", never.stdout);
    let unchecked = rollback("dev", "r2", &[]);
    assert_eq!(unchecked.status, 1, "{}", unchecked.stderr);
    assert!(
        unchecked
            .stdout
            .contains("[history] release r2 never finished healthy in `dev` (its smoke checks failed or were skipped)"),
        "{}",
        unchecked.stdout
    );
    // Without --to, the rollback goes to the last release before the current one that ran healthy: r1.
    let mut args = vec!["rollback", "--env", "dev", "--reason", "r3 breaks logins"];
    args.extend(APPLY);
    let back = slipway(dir, &moto, &faults, &args);
    ok(&back);
    assert_eq!(back.stdout.lines().last(), Some("deployed: dev is on release r1"), "{}", back.stderr);
}

#[test]
fn a_refusal_the_policy_can_give_without_the_cloud_comes_before_the_account_check() {
    // The run's credentials are for dev's account; prod is another. The policy refuses a direct deploy to
    // prod from the definitions and the ledger alone, so that is what the person sees (exit 1), not the
    // account check (exit 3) it would come to later.
    let moto = Moto::start_as("111111111111");
    let faults = Faults::start(&moto.endpoint);
    let dir = tempdir();
    let mut args = vec!["deploy", "--env", "prod", "--release", "r1"];
    args.extend(APPLY);
    let refused = slipway(dir.path(), &moto, &faults, &args);
    assert_eq!(refused.status, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("[path] `prod` is reached only by promotion from staging"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("credentials belong to account"), "{}", refused.stderr);
    assert_eq!(faults.calls("DescribeStacks"), 0, "nothing was asked of the cloud");
    assert!(!dir.path().join(".slipway/releases/r1").exists(), "no release was written");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=ana", "-c", "user.email=ana@example.org", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_release_of_a_tree_with_uncommitted_changes_is_refused_unless_allowed_and_then_says_so() {
    let dir = tempdir();
    let dir = dir.path();
    std::fs::write(dir.join(".gitignore"), ".slipway/\n").unwrap();
    std::fs::write(dir.join("definitions.txt"), "one\n").unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "one"]);
    let run = |args: &[&str]| crate::support::slipway(dir, args);
    ok(&run(&["release", "create", "--id", "clean"]));

    std::fs::write(dir.join("definitions.txt"), "two\n").unwrap();
    std::fs::write(dir.join("new-stack.txt"), "three\n").unwrap();
    let dirty = run(&["release", "create", "--id", "dirty"]);
    assert_eq!(dirty.status, 1, "{}", dirty.stderr);
    assert!(
        dirty.stderr.starts_with(
            "error: the working tree has uncommitted changes (`definitions.txt`, `new-stack.txt`), so a release of it \
             would not be commit "
        ),
        "{}",
        dirty.stderr
    );
    assert!(dirty.stderr.contains("--allow-dirty"), "{}", dirty.stderr);
    assert!(!dir.join(".slipway/releases/dirty").exists(), "nothing was written");

    let allowed = run(&["release", "create", "--id", "dirty", "--allow-dirty"]);
    ok(&allowed);
    let shown = run(&["release", "show", "dirty"]);
    ok(&shown);
    assert!(shown.stdout.contains("  uncommitted   definitions.txt, new-stack.txt\n"), "{}", shown.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&run(&["release", "show", "dirty", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["release"]["dirty"], serde_json::json!(["definitions.txt", "new-stack.txt"]));
    let clean: serde_json::Value =
        serde_json::from_str(&run(&["release", "show", "clean", "--format", "json"]).stdout).unwrap();
    assert!(clean["release"].get("dirty").is_none(), "a clean release says nothing of it: {clean}");
}
