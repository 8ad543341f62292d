//! The GitHub Actions workflows and GitHub environments `slipway synth` writes, for each of the five
//! reference flows: check-jsonschema's vendored workflow schema accepts every workflow, the environments
//! file fits the schema written from GitHub's documented limits, every file is snapshotted, and, read
//! back as GitHub would run them, every job in an environment is reachable only from the refs and
//! promotion edges the definitions allow (and from all of them).

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use slipway::model::{Project, Trigger};
use slipway::synth::github::{DEMO_ENVIRONMENT, ENVIRONMENTS_SCHEMA, EnvironmentsFile, PAGES_ENVIRONMENT};
use slipway::synth::{ArtifactKind, ArtifactSet};

use crate::model::reference_flows;
use crate::support::{python_tool, snapshots, tempdir};
use crate::synth::artifacts::{assert_valid, synth};
use crate::synth::github_run::{allowed, events, job_runs, policy_admits, triggers};

fn workflow_files(set: &ArtifactSet) -> Vec<(String, String)> {
    set.artifacts
        .iter()
        .filter(|(k, _)| k.kind == ArtifactKind::Workflow)
        .map(|(k, v)| (k.name.clone(), String::from_utf8(v.clone()).unwrap()))
        .collect()
}

fn environments_file(set: &ArtifactSet) -> (Value, EnvironmentsFile) {
    let text = set.file("github/environments.json").expect("synth writes github/environments.json");
    (serde_json::from_slice(text).unwrap(), serde_json::from_slice(text).unwrap())
}

fn check_jsonschema() -> std::path::PathBuf {
    python_tool("SLIPWAY_CHECK_JSONSCHEMA", "check-jsonschema")
}

#[test]
fn check_jsonschema_accepts_every_workflow_of_every_flow() {
    let dir = tempdir();
    let mut files = Vec::new();
    let mut flows = reference_flows::all();
    flows.push(("compose-servers", reference_flows::compose_servers()));
    flows.push(("compose-servers-only", reference_flows::compose_servers_only()));
    for (flow, project) in flows {
        let set = synth(&project);
        let workflows = workflow_files(&set);
        assert!(workflows.len() >= 3, "{flow} has its workflows");
        std::fs::create_dir_all(dir.path().join(flow)).unwrap();
        for (name, text) in workflows {
            let path = dir.path().join(flow).join(name);
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
    }
    let out = Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files)
        .output()
        .expect("check-jsonschema runs");
    assert!(
        out.status.success(),
        "check-jsonschema refused a workflow:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_jsonschema_is_a_judge_that_can_fail() {
    let dir = tempdir();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    concurrency: {cancel-in-progress: maybe}\n    steps: []\n").unwrap();
    let out = Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn snapshots_of_every_flows_workflows_and_environments() {
    for (flow, project) in reference_flows::all() {
        let set = synth(&project);
        snapshots(|| {
            for (path, bytes) in
                set.files().iter().filter(|(p, _)| p.starts_with(".github/") || p.starts_with("github/"))
            {
                let name = format!("workflows@{flow}__{}", path.replace('/', "__"));
                insta::assert_snapshot!(name, String::from_utf8(bytes.clone()).unwrap());
            }
        });
    }
}

fn environments_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(ENVIRONMENTS_SCHEMA).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("a usable schema")
}

#[test]
fn the_environments_file_of_every_flow_fits_githubs_documented_limits() {
    let validator = environments_validator();
    for (flow, project) in reference_flows::all() {
        let set = synth(&project);
        let (json, file) = environments_file(&set);
        assert_valid(&validator, &format!("{flow}: github/environments.json"), &json);
        let names: Vec<&str> = file.environments.iter().map(|e| e.name.as_str()).collect();
        let mut expected: Vec<&str> = project.environments.iter().map(|e| e.name.as_str()).collect();
        if project.demo_factory.is_some() {
            // One for all demos' deployments, which only the demo branches may deploy to, reviewed by nobody.
            expected.push(DEMO_ENVIRONMENT);
            let demos = file.environments.last().unwrap();
            assert!(demos.reviewers.is_empty() && demos.wait_timer == 0, "{flow}: {demos:?}");
            let policies: Vec<&str> = demos.branch_policies.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(policies, ["feature-demo/**/*"], "{flow}");
        }
        assert_eq!(names, expected, "{flow}: one GitHub environment per permanent environment, one for all demos");
    }
}

#[test]
fn the_environments_schema_refuses_what_github_refuses() {
    let validator = environments_validator();
    let (good, _) = environments_file(&synth(&reference_flows::line_of_four()));
    assert!(validator.is_valid(&good));
    let reviewer = |i: usize| serde_json::json!({"type": "User", "login": format!("person{i}")});
    type Break = fn(&mut Value);
    let cases: [(&str, Break); 4] = [
        ("a wait timer over 30 days", |v| v["environments"][0]["wait_timer"] = 43_201.into()),
        ("a negative wait timer", |v| v["environments"][0]["wait_timer"] = (-1).into()),
        ("both branch policy kinds", |v| {
            v["environments"][0]["deployment_branch_policy"]["protected_branches"] = true.into()
        }),
        ("a policy of no kind", |v| v["environments"][0]["branch_policies"][0]["type"] = "commit".into()),
    ];
    for (what, break_it) in cases {
        let mut bad = good.clone();
        break_it(&mut bad);
        assert!(!validator.is_valid(&bad), "the schema accepts {what}");
    }
    let mut seven = good.clone();
    seven["environments"][0]["reviewers"] = (0..7).map(reviewer).collect();
    assert!(!validator.is_valid(&seven), "the schema accepts seven reviewers");
    seven["environments"][0]["reviewers"] = (0..6).map(reviewer).collect();
    assert!(validator.is_valid(&seven), "six reviewers are fine");
}

#[test]
fn every_environment_job_is_reachable_only_from_the_refs_and_edges_the_definitions_allow() {
    for (flow, project) in reference_flows::all() {
        let set = synth(&project);
        let (_, envs) = environments_file(&set);
        let mut checked = 0;
        let mut wrong = Vec::new();
        let mut reached: BTreeSet<(String, String)> = BTreeSet::new();
        for (file, text) in workflow_files(&set) {
            let workflow: Value = serde_yaml_ng::from_str(&text).unwrap();
            let on = &workflow["on"];
            // The environments that are not the definitions' carry no protection to get round: the demos'
            // (a deployment record with the demo's URL) and GitHub Pages' (GitHub's own).
            let named = |j: &Value| -> Option<String> {
                j.get("environment").map(|e| e.as_str().or_else(|| e["name"].as_str()).unwrap().to_string())
            };
            for (id, job) in workflow["jobs"].as_object().unwrap() {
                match named(job).as_deref() {
                    Some(DEMO_ENVIRONMENT) => {
                        assert_eq!(job["if"], "github.event_name == 'push' && needs.up.result == 'success'", "{id}");
                        assert_eq!(job["permissions"], serde_json::json!({}), "{flow}/{file} `{id}` holds nothing");
                    }
                    Some(PAGES_ENVIRONMENT) => {
                        assert_eq!(file, "slipway-status.yml");
                        let p = serde_json::json!({"id-token": "write", "pages": "write"});
                        assert_eq!(job["permissions"], p, "{flow}/{file} `{id}`");
                        assert!(job["steps"].as_array().unwrap().iter().all(|s| s.get("run").is_none()), "no script");
                    }
                    _ => {}
                }
            }
            let has_env_jobs = workflow["jobs"]
                .as_object()
                .unwrap()
                .values()
                .any(|j| named(j).is_some_and(|n| project.find(&n).is_some()));
            if has_env_jobs {
                for event in ["pull_request", "pull_request_target", "delete", "schedule", "workflow_run"] {
                    assert!(on.get(event).is_none(), "{flow}/{file}: jobs in environments run on `{event}`");
                }
            }
            let events = events(&workflow);
            for (id, job) in workflow["jobs"].as_object().unwrap() {
                let Some(env_name) = job["environment"].as_str().filter(|n| project.find(n).is_some()) else {
                    continue;
                };
                let env =
                    project.find(env_name).unwrap_or_else(|| panic!("{flow}/{file}: no environment `{env_name}`"));
                for event in &events {
                    let runs = triggers(&workflow, event)
                        && job_runs(&workflow, id, event)
                        && policy_admits(&envs, env_name, event);
                    let may = allowed(&project, &file, env, event);
                    checked += 1;
                    if runs != may {
                        wrong.push(format!("{flow}/{file} job `{id}` on {event:?}: runs {runs}, allowed {may}"));
                    }
                    if runs {
                        reached.insert((file.clone(), env_name.to_string()));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{} jobs disagree with the definitions:\n{}", wrong.len(), wrong.join("\n"));
        assert!(checked > 1000, "{flow}: only {checked} (job, event) pairs were tried");
        // Every promotion edge is walkable, every environment can be rolled back, and every environment that
        // is deployed other than by promotion has its deploy workflow.
        for env in &project.environments {
            let rollback = ("slipway-rollback.yml".to_string(), env.name.clone());
            assert!(reached.contains(&rollback), "{flow}: {} cannot be rolled back", env.name);
            if !env.promoted_from.is_empty() {
                assert!(reached.contains(&("slipway-promote.yml".into(), env.name.clone())), "{flow}: {}", env.name);
            }
            let deployed_directly =
                !matches!(env.trigger, Trigger::Manual | Trigger::Promotion) || env.promoted_from.is_empty();
            let deploy = (format!("slipway-deploy-{}.yml", env.name), env.name.clone());
            assert_eq!(reached.contains(&deploy), deployed_directly, "{flow}: deploy workflow of {}", env.name);
        }
    }
}

#[test]
fn every_job_that_touches_aws_assumes_its_environments_role_with_oidc_one_run_at_a_time() {
    for (flow, project) in reference_flows::all() {
        let set = synth(&project);
        for (file, text) in workflow_files(&set) {
            let workflow: Value = serde_yaml_ng::from_str(&text).unwrap();
            for (id, job) in workflow["jobs"].as_object().unwrap() {
                let steps = job["steps"].as_array().unwrap();
                let aws: Vec<&Value> = steps
                    .iter()
                    .filter(|s| {
                        s["uses"].as_str().is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials@"))
                    })
                    .collect();
                if (file == "slipway-status.yml" && id == "page") || (file == "slipway-drift.yml" && id == "drift") {
                    // The status page and the drift check read each AWS environment through its read-only diff
                    // role, one after the other, and publish nothing.
                    let roles: Vec<String> =
                        aws.iter().map(|s| s["with"]["role-to-assume"].as_str().unwrap().to_string()).collect();
                    let expected: Vec<String> = project
                        .environments
                        .iter()
                        .filter_map(|e| Some(Project::role_arn(e.aws_target()?, &project.diff_role_name(&e.name))))
                        .collect();
                    assert_eq!(roles, expected, "{flow}/{file} `{id}`");
                    assert!(job["permissions"].get("pages").is_none(), "{flow}: the {id} job cannot publish");
                    assert_eq!(job["permissions"]["contents"], "read", "{flow}: the {id} job changes no code");
                    continue;
                }
                let env_name = job["environment"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| id.strip_prefix("diff-").map(str::to_string));
                let runs_slipway_on_env =
                    steps.iter().any(|s| s["run"].as_str().is_some_and(|r| r.contains("--env") || r.contains("--to")));
                let Some(env_name) = env_name else {
                    assert!(aws.is_empty(), "{flow}/{file} job `{id}` touches AWS outside any environment");
                    continue;
                };
                let env = project.find(&env_name).unwrap();
                let Some(target) = env.aws_target() else {
                    assert!(aws.is_empty(), "{flow}/{file} job `{id}`: {env_name} is not on AWS");
                    continue;
                };
                if !runs_slipway_on_env {
                    assert!(aws.is_empty(), "{flow}/{file} job `{id}` (a gate) needs no credentials");
                    continue;
                }
                assert_eq!(aws.len(), 1, "{flow}/{file} job `{id}` assumes one role");
                let role = if id.starts_with("diff-") {
                    project.diff_role_name(&env_name)
                } else {
                    project.deploy_role_name(&env_name)
                };
                let with = &aws[0]["with"];
                assert_eq!(with["role-to-assume"], Project::role_arn(target, &role), "{flow}/{file} `{id}`");
                assert_eq!(with["aws-region"], target.region.code(), "{flow}/{file} `{id}`");
                assert_eq!(job["permissions"]["id-token"], "write", "{flow}/{file} `{id}`");
                let group = job["concurrency"]["group"].as_str().unwrap();
                if id.starts_with("diff-") {
                    assert!(group.starts_with(&format!("slipway-diff-{env_name}-")), "{group}");
                    assert!(job.get("environment").is_none(), "a pull request's diff runs in no environment");
                } else {
                    assert_eq!(group, format!("slipway-{env_name}"), "{flow}/{file} `{id}`");
                    assert_eq!(job["concurrency"]["cancel-in-progress"], false);
                }
                if file == "slipway-promote.yml" {
                    assert_eq!(job["permissions"]["actions"], "read", "promote reads the run's approvals");
                }
            }
        }
    }
}

#[test]
fn an_environment_needing_n_approvals_runs_n_jobs_in_a_row_in_it() {
    let project = reference_flows::promotion_graph();
    let set = synth(&project);
    let text = set.file(".github/workflows/slipway-promote.yml").unwrap();
    let workflow: Value = serde_yaml_ng::from_slice(text).unwrap();
    let in_env = |env: &str| -> Vec<String> {
        workflow["jobs"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, j)| j["environment"] == env)
            .map(|(id, _)| id.clone())
            .collect()
    };
    // (The jobs are read back sorted by id.)
    assert_eq!(in_env("prod"), ["promote-prod", "promote-prod-approval-1"]);
    assert_eq!(workflow["jobs"]["promote-prod"]["needs"], serde_json::json!(["promote-prod-approval-1"]));
    assert_eq!(in_env("staging"), ["promote-staging"]);
    let (_, envs) = environments_file(&set);
    let prod = envs.environments.iter().find(|e| e.name == "prod").unwrap();
    assert!(prod.prevent_self_review);
    assert_eq!(prod.reviewers.len(), 3, "the operations group's three people");
}

#[test]
fn a_promotion_into_prod_waits_once_as_the_definition_says() {
    // prod waits 30 minutes after a release reaches staging, and needs two approvals: two jobs in its
    // GitHub environment. Were GitHub's wait timer set too, it would run before each of them, on top of
    // slipway's own wait rule: 60 to 90 minutes. The synthesized settings leave the wait to slipway alone.
    let project = webapp::project();
    let prod = project.find("prod").unwrap();
    assert_eq!(prod.approvals.wait, std::time::Duration::from_secs(30 * 60));
    let set = synth(&project);
    let (_, envs) = environments_file(&set);
    for env in &envs.environments {
        assert_eq!(env.wait_timer, 0, "GitHub waits before {}'s jobs", env.name);
    }
    let text = set.file(".github/workflows/slipway-promote.yml").unwrap();
    let workflow: Value = serde_yaml_ng::from_slice(text).unwrap();
    let into_prod: Vec<&Value> =
        workflow["jobs"].as_object().unwrap().values().filter(|j| j["environment"] == "prod").collect();
    assert_eq!(into_prod.len(), 2, "one review per job, two approvals");
    for job in into_prod {
        assert!(job.get("timeout-minutes").is_none() && !job.to_string().contains("sleep"), "{job}");
    }
    // The one wait is the policy's: refused before 30 minutes after staging received the release.
    let promote = job_script(&workflow, "promote-prod");
    assert!(promote.contains("slipway\" promote") || promote.contains("\"$SLIPWAY\" promote"), "{promote}");
}

fn job_script(workflow: &Value, id: &str) -> String {
    workflow["jobs"][id]["steps"].as_array().unwrap().iter().filter_map(|s| s["run"].as_str()).collect()
}

#[test]
fn scripts_read_values_from_the_environment_never_from_expressions() {
    // A branch name or an input pasted into a script by `${{ }}` would be shell code.
    for (flow, project) in reference_flows::all() {
        for (file, text) in workflow_files(&synth(&project)) {
            let workflow: Value = serde_yaml_ng::from_str(&text).unwrap();
            for (id, job) in workflow["jobs"].as_object().unwrap() {
                for step in job["steps"].as_array().unwrap() {
                    if let Some(run) = step["run"].as_str() {
                        assert!(!run.contains("${{"), "{flow}/{file} job `{id}` expands an expression in a script");
                    }
                }
            }
        }
    }
}

#[test]
fn a_synthesis_of_some_environments_leaves_the_project_wide_files_out() {
    let project = reference_flows::line_of_four();
    let set = crate::support::synth(&project, &["dev".to_string()]).unwrap();
    assert!(set.artifacts.keys().all(|k| k.environment() == Some("dev")), "only dev's files");
    let all = synth(&project);
    assert!(
        all.artifacts.keys().any(|k| k.kind == ArtifactKind::Workflow)
            && all.artifacts.keys().any(|k| k.kind == ArtifactKind::GitHub)
    );
}

/// A team's layout: its definitions crate in `infra/`, its program named `defs`, and its code built before
/// a release is made. Every job runs its scripts in `infra/`, builds `defs` and runs it as the engine's
/// app; the check job needs no engine; the deploy job builds the code before it deploys; nothing names
/// this repository's layout (`./target/release/slipway`, `--bin slipway`).
#[test]
fn workflows_follow_the_layout_the_definitions_say() {
    use slipway::model::{CiStep, Definitions, GitHubSettings, Repository};
    let mut project: Definitions = reference_flows::line_of_four();
    project.project.repository = Repository::new("acme", "shop");
    project.project.github = GitHubSettings {
        working_directory: Some("infra".into()),
        definitions_bin: Some("defs".into()),
        before_release: vec![CiStep::new("Build the function", "cargo lambda build --release --output-format zip")],
        ..GitHubSettings::default()
    };
    let set = synth(&project);
    for (name, text) in workflow_files(&set) {
        assert!(!text.contains("target/release/slipway") && !text.contains("--bin slipway"), "{name}:\n{text}");
        let workflow: Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(workflow["defaults"]["run"]["working-directory"], "infra", "{name}");
        assert_eq!(workflow["env"]["SLIPWAY_APP"], "${{ github.workspace }}/target/release/defs", "{name}");
        assert_eq!(workflow["env"]["SLIPWAY_DEFINITIONS"], "defs", "{name}");
    }
    let read = |file: &str| -> Value {
        serde_yaml_ng::from_slice(set.file(&format!(".github/workflows/{file}")).unwrap()).unwrap()
    };
    let step_names = |w: &Value, job: &str| -> Vec<String> {
        w["jobs"][job]["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
    };
    let deploy = read("slipway-deploy-dev.yml");
    let steps = step_names(&deploy, "deploy");
    let at =
        |name: &str| steps.iter().position(|s| s.starts_with(name)).unwrap_or_else(|| panic!("no {name}: {steps:?}"));
    assert!(at("Install the slipway engine") < at("Build the function"));
    assert!(at("Build the definitions") < at("Build the function"));
    assert!(at("Build the function") < at("Assume "), "{steps:?}");
    assert!(at("Assume ") < at("Deploy to dev"), "{steps:?}");
    // The code is built by the jobs that make a release (a deploy makes the one it deploys when it does not
    // exist yet), once per commit; a promotion or a rollback deploys a release's stored code, and builds none.
    let (mut building, mut promoting) = (0, 0);
    for (name, text) in workflow_files(&set) {
        let workflow: Value = serde_yaml_ng::from_str(&text).unwrap();
        for (job, body) in workflow["jobs"].as_object().unwrap() {
            let steps = body["steps"].as_array().cloned().unwrap_or_default();
            let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
            let builds = steps.iter().any(|s| s["name"] == "Build the function");
            let makes = runs.iter().any(|r| r.contains("release create") || r.contains("\" deploy --env"));
            assert_eq!(builds, makes, "{name} job {job:?}: builds the code {builds}, makes a release {makes}");
            building += usize::from(builds);
            promoting += usize::from(runs.iter().any(|r| r.contains("\" promote ") || r.contains("\" rollback ")));
        }
    }
    assert!(building > 0 && promoting > 0, "{building} jobs build, {promoting} promote or roll back");
    let check = step_names(&read("slipway-pull-request.yml"), "check");
    assert!(!check.iter().any(|s| s.contains("engine")), "the check job builds no engine: {check:?}");
    assert!(check.contains(&"Build the definitions".to_string()));
    let status = read("slipway-status.yml");
    let upload = status["jobs"]["page"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-pages-artifact")))
        .unwrap()
        .clone();
    assert_eq!(upload["with"]["path"], "infra/site", "an action's path is the checkout's");
}
