//! The command line as a user runs it: the real binary, its stdout, stderr and exit status together.

use crate::support::{slipway, snapshots, tempdir};

fn transcript(args: &[&str]) -> String {
    let dir = tempdir();
    slipway(dir.path(), args).transcript(dir.path())
}

#[test]
fn envs_lists_tier_targets_refs_promotion_and_approvals() {
    snapshots(|| insta::assert_snapshot!("cli_envs", transcript(&["envs"])));
}

#[test]
fn envs_as_json() {
    let run = slipway(tempdir().path(), &["envs", "--format", "json"]);
    assert_eq!(run.status, 0);
    let envs: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let prod = envs.as_array().unwrap().iter().find(|e| e["name"] == "prod").unwrap();
    assert_eq!(prod["approvals"]["required"], 2);
    assert_eq!(prod["approvals"]["wait_minutes"], 30);
    assert_eq!(prod["refs"], serde_json::json!(["main", "release/*"]));
    assert_eq!(prod["promoted_from"], serde_json::json!(["staging"]));
}

#[test]
fn synth_reports_what_it_wrote() {
    snapshots(|| insta::assert_snapshot!("cli_synth", transcript(&["synth"])));
}

#[test]
fn check_passes_the_reference_definitions() {
    snapshots(|| insta::assert_snapshot!("cli_check", transcript(&["check"])));
}

#[test]
fn check_refuses_a_demo_named_like_a_permanent_environment() {
    snapshots(|| insta::assert_snapshot!("cli_check_demo_collision", transcript(&["check", "--demo", "prod"])));
}

#[test]
fn an_unknown_environment_gets_a_suggestion() {
    snapshots(|| insta::assert_snapshot!("cli_unknown_env", transcript(&["synth", "--env", "stagign"])));
}

#[test]
fn a_usage_error_exits_1() {
    let run = slipway(tempdir().path(), &["synth", "--bogus"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("unexpected argument '--bogus'"), "{}", run.stderr);
}

#[test]
fn help_documents_the_exit_codes() {
    let run = slipway(tempdir().path(), &["--help"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("Exit status:"), "{}", run.stdout);
    assert!(run.stdout.contains("70  an internal error"));
}

#[test]
fn a_closed_stdout_is_a_clean_exit() {
    use std::process::Stdio;
    let mut child =
        crate::support::engine().args(["envs"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn envs_refuses_definitions_that_check_refuses() {
    use slipway::model::{Environment, Project, Repository, Tier};
    let twice = || Environment::new("dev", Tier::Development).cloud_gov("org", "dev").deploys_from(["main"]);
    let project: slipway::model::Definitions =
        Project::new("shop", Repository::new("acme", "shop")).environment(twice()).environment(twice()).into();
    let (ui, captured) = slipway::cli::Ui::captured("");
    let code = slipway::cli::run_with(&project, ["slipway", "envs"], &ui);
    assert_eq!(code, std::process::ExitCode::from(1));
    assert_eq!(captured.out(), "", "nothing is listed");
    assert_eq!(
        captured.err(),
        "error: the definitions have 1 problem:\n  - environment `dev`, name: is defined more than once; give each \
         environment its own name\nhint: fix them in the definitions, then run `slipway check` again\n"
    );
}
