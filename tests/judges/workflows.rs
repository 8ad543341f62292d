//! actionlint and zizmor, the judges of GitHub Actions workflows, find nothing in any workflow any
//! reference flow synthesizes; and each of them does find what is wrong in a workflow made up to be bad,
//! so that a judge that silently checks nothing cannot pass.
//!
//! actionlint runs every `run:` script through shellcheck (its `-shellcheck` flag names the binary
//! installed beside it); zizmor runs offline (`--offline`: no audit that asks GitHub's API) with its
//! default persona. One finding is configured away, in the synthesized file itself and only on its line:
//! zizmor's `dangerous-triggers` on the status-page workflow's `workflow_run`. That audit warns of a
//! privileged run started by an untrusted one (a pull request's) that then uses what the untrusted run
//! left; here the workflows that start it run only on pushes, tags and dispatches, never on a pull
//! request, and it checks out its own commit and uses nothing of their runs, so the warning does not apply.
//! [`every_ignore_is_the_one_stated`] holds the synthesized files to that one ignore.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use slipway::synth::ArtifactKind;

use crate::model::reference_flows;
use crate::support::{python_tool_in, tempdir};
use crate::synth::artifacts::synth;

const VENV: &str = "target/py-actions";
const REQUIREMENTS: &str = "tests/workflow-judges-requirements.txt";

fn tool(var: &str, name: &str) -> PathBuf {
    python_tool_in(var, VENV, REQUIREMENTS, name)
}

fn actionlint(files: &[PathBuf]) -> Output {
    let shellcheck = tool("SLIPWAY_SHELLCHECK", "shellcheck");
    Command::new(tool("SLIPWAY_ACTIONLINT", "actionlint"))
        .args(["-no-color", "-oneline", "-shellcheck"])
        .arg(&shellcheck)
        .args(files)
        .output()
        .expect("actionlint runs")
}

fn zizmor(files: &[PathBuf]) -> Output {
    Command::new(tool("SLIPWAY_ZIZMOR", "zizmor"))
        .args(["--offline", "--no-progress", "--format", "plain"])
        .args(files)
        .env("NO_COLOR", "1")
        .output()
        .expect("zizmor runs")
}

/// Every workflow of every reference flow, written under `dir` (a folder per flow).
fn every_workflow(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (flow, project) in reference_flows::all() {
        let set = synth(&project);
        let flow_dir = dir.join(flow).join(".github").join("workflows");
        std::fs::create_dir_all(&flow_dir).unwrap();
        for (key, bytes) in set.artifacts.iter().filter(|(k, _)| k.kind == ArtifactKind::Workflow) {
            let path = flow_dir.join(&key.name);
            std::fs::write(&path, bytes).unwrap();
            files.push(path);
        }
    }
    files
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn actionlint_finds_nothing_in_any_workflow_of_any_flow() {
    let dir = tempdir();
    let files = every_workflow(dir.path());
    assert!(files.len() >= 25, "every flow's workflows: {}", files.len());
    let out = actionlint(&files);
    assert!(out.status.success(), "actionlint found:\n{}", said(&out));
}

#[test]
fn zizmor_finds_nothing_in_any_workflow_of_any_flow() {
    let dir = tempdir();
    let files = every_workflow(dir.path());
    let out = zizmor(&files);
    assert!(out.status.success(), "zizmor found:\n{}", said(&out));
}

/// The compose-servers flow: its deploy, promote and rollback workflows reach each server over SSH with
/// the environment's secrets, and both judges find nothing in them.
#[test]
fn compose_servers_are_deployed_from_ci_over_ssh_and_the_judges_find_nothing() {
    judge_compose_servers(&reference_flows::compose_servers(), true);
}

/// The same flow with servers that are compose hosts and nothing else: the same SSH, no AWS credentials.
#[test]
fn compose_only_servers_are_deployed_from_ci_over_ssh_without_aws_and_the_judges_find_nothing() {
    judge_compose_servers(&reference_flows::compose_servers_only(), false);
}

/// Compose hosts only, with a store role: each deploy and rollback job, and the status page, assume it (OIDC, `id-token:
/// write`) to reach the store, and nothing else of AWS; the judges find nothing.
#[test]
fn compose_only_servers_reach_the_store_through_the_store_role_and_the_judges_find_nothing() {
    use slipway::model::{AccountId, Region, StoreRole};
    let mut project = reference_flows::compose_servers_only();
    let role = StoreRole::new(AccountId::new("555555555555"), Region::UsWest2, "fmtm-slipway-store");
    project.project.github.store_role = Some(role.clone());
    judge_compose_servers(&project, true);
    let set = synth(&project);
    for (key, bytes) in set.artifacts.iter().filter(|(k, _)| k.kind == ArtifactKind::Workflow) {
        let workflow: serde_json::Value = serde_yaml_ng::from_slice(bytes).unwrap();
        for (id, job) in workflow["jobs"].as_object().unwrap() {
            let assumed: Vec<&str> = job["steps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials@")))
                .map(|s| s["with"]["role-to-assume"].as_str().unwrap())
                .collect();
            if assumed.is_empty() {
                continue;
            }
            assert_eq!(assumed, ["arn:aws:iam::555555555555:role/fmtm-slipway-store"], "{} `{id}`", key.name);
            assert_eq!(job["permissions"]["id-token"], "write", "{} `{id}`", key.name);
        }
    }
    for name in [
        "slipway-deploy-development.yml",
        "slipway-deploy-production.yml",
        "slipway-rollback.yml",
        "slipway-status.yml",
    ] {
        let text = String::from_utf8_lossy(&set.artifacts.iter().find(|(k, _)| k.name == name).unwrap().1.clone())
            .into_owned();
        assert!(text.contains(&role.arn()), "{name} assumes the store role:\n{text}");
    }
}

fn judge_compose_servers(project: &slipway::model::Definitions, aws: bool) {
    let dir = tempdir();
    let set = synth(project);
    let mut files = Vec::new();
    for (key, bytes) in set.artifacts.iter().filter(|(k, _)| k.kind == ArtifactKind::Workflow) {
        let path = dir.path().join(&key.name);
        std::fs::write(&path, bytes).unwrap();
        files.push(path);
    }
    for env in ["development", "staging", "production"] {
        let name = format!("slipway-deploy-{env}.yml");
        let text = std::fs::read_to_string(dir.path().join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(&format!("\"DOCKER_HOST\": \"ssh://deploy@{env}.fmtm.example\"")), "{name}:\n{text}");
        assert!(text.contains("${{ secrets.SLIPWAY_SSH_KNOWN_HOSTS }}"), "{name}:\n{text}");
        assert!(text.contains("Reach the compose host's Docker engine"), "{name}");
        assert_eq!(text.contains("aws-actions/configure-aws-credentials"), aws, "{name}:\n{text}");
    }
    let out = actionlint(&files);
    assert!(out.status.success(), "actionlint found:\n{}", said(&out));
    let out = zizmor(&files);
    assert!(out.status.success(), "zizmor found:\n{}", said(&out));
}

#[test]
fn every_ignore_is_the_one_stated() {
    let dir = tempdir();
    for file in every_workflow(dir.path()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| l.contains("zizmor: ignore")) {
            assert!(
                file.ends_with("slipway-status.yml") && line == "  workflow_run: # zizmor: ignore[dangerous-triggers]",
                "{}: an ignore nobody stated: {line}",
                file.display()
            );
        }
        assert!(!text.contains("actionlint"), "{}: actionlint is told to ignore something", file.display());
    }
}

/// A workflow that gets most things wrong: a branch name pasted into a script, an unpinned action, a
/// script shellcheck refuses, a misspelled expression.
const BAD: &str = r#"name: bad
on:
  pull_request_target: {}
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: |
          echo "${{ github.head_ref }}"
          cd $HOME/x
          echo ${{ github.evnt.number }}
"#;

#[test]
fn each_judge_can_fail() {
    let dir = tempdir();
    let bad = dir.path().join(".github").join("workflows").join("bad.yml");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, BAD).unwrap();
    let out = actionlint(std::slice::from_ref(&bad));
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[shellcheck]"), "shellcheck ran on the script: {text}");
    assert!(text.contains("[expression]"), "{text}");
    let out = zizmor(std::slice::from_ref(&bad));
    let text = said(&out);
    assert!(!out.status.success(), "{text}");
    for audit in ["template-injection", "unpinned-uses", "dangerous-triggers", "artipacked"] {
        assert!(text.contains(audit), "zizmor's {audit} audit: {text}");
    }
}

/// Feature demos that run on a compose host only (the reference demo) reach the store in CI through the
/// project's store role: every demo job assumes it, and the judges find nothing.
#[test]
fn compose_demos_reach_the_store_through_the_store_role_and_the_judges_find_nothing() {
    use slipway::model::{AccountId, Region, StoreRole};
    let mut project = webapp::project();
    let role = StoreRole::new(AccountId::new("555555555555"), Region::UsEast1, "webapp-slipway-store");
    project.project.github.store_role = Some(role.clone());
    let set = synth(&project);
    let (key, bytes) = set.artifacts.iter().find(|(k, _)| k.name == "slipway-demos.yml").expect("a demos workflow");
    let workflow: serde_json::Value = serde_yaml_ng::from_slice(bytes).unwrap();
    let mut assuming = Vec::new();
    for (id, job) in workflow["jobs"].as_object().unwrap() {
        let roles: Vec<&str> =
            job["steps"].as_array().unwrap().iter().filter_map(|s| s["with"]["role-to-assume"].as_str()).collect();
        if !roles.is_empty() {
            assert_eq!(roles, [role.arn().as_str()], "{id}");
            assert_eq!(job["permissions"]["id-token"], "write", "{id}");
            assuming.push(id.as_str());
        }
    }
    assert_eq!(assuming, ["down", "gc", "up"], "every job that reads or writes the store");
    let dir = tempdir();
    let path = dir.path().join(&key.name);
    std::fs::write(&path, bytes).unwrap();
    let out = actionlint(std::slice::from_ref(&path));
    assert!(out.status.success(), "actionlint found:\n{}", said(&out));
    let out = zizmor(std::slice::from_ref(&path));
    assert!(out.status.success(), "zizmor found:\n{}", said(&out));
}
