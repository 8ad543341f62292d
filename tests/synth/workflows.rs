//! The GitHub Actions workflows and GitHub environments `slipway synth` writes, for each of the five
//! reference flows: check-jsonschema's vendored workflow schema accepts every workflow, the environments
//! file fits the schema written from GitHub's documented limits, every file is snapshotted, and, read
//! back as GitHub would run them, every job in an environment is reachable only from the refs and
//! promotion edges the definitions allow (and from all of them).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;
use slipway::model::{Environment, Project, RefPattern, Trigger};
use slipway::synth::github::{DEMO_ENVIRONMENT, ENVIRONMENTS_SCHEMA, EnvironmentsFile, PAGES_ENVIRONMENT};
use slipway::synth::{ArtifactKind, ArtifactSet};

use crate::model::ref_forms::{CORPUS, filter_matches, fnmatch_pathname};
use crate::model::reference_flows;
use crate::support::{python_tool, snapshots, tempdir};
use crate::synth::artifacts::{assert_valid, synth};

/// Tag names, for the environments deployed on release tags.
const TAGS: &[&str] = &["v1.2.3", "v1", "version", "1.0", "release/v1", "v2.0.0-rc.1"];

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

// ---- reading the workflows back as GitHub runs them ---------------------------------------------------

/// What started a run: a push of a branch or tag, or a dispatch on a branch with inputs.
#[derive(Clone, Debug)]
enum Event {
    PushBranch(String),
    PushTag(String),
    Dispatch { branch: String, inputs: BTreeMap<String, String> },
}

impl Event {
    /// The ref a job runs on, as GitHub's deployment branch policy sees it: (name, `branch` or `tag`).
    fn git_ref(&self) -> (&str, &str) {
        match self {
            Event::PushBranch(b) | Event::Dispatch { branch: b, .. } => (b, "branch"),
            Event::PushTag(t) => (t, "tag"),
        }
    }
}

/// Every event worth trying on a workflow: pushes of every corpus branch and tag, and dispatches on every
/// corpus branch with every combination of its choice inputs.
fn events(workflow: &Value) -> Vec<Event> {
    let on = &workflow["on"];
    let mut out = Vec::new();
    for b in CORPUS {
        out.push(Event::PushBranch(b.to_string()));
    }
    for t in TAGS {
        out.push(Event::PushTag(t.to_string()));
    }
    if let Some(dispatch) = on.get("workflow_dispatch") {
        let mut combos = vec![BTreeMap::new()];
        if let Some(inputs) = dispatch.get("inputs").and_then(Value::as_object) {
            for (name, input) in inputs {
                let values: Vec<String> = match input["options"].as_array() {
                    Some(options) => options.iter().map(|o| o.as_str().unwrap().to_string()).collect(),
                    None => vec!["r-1".to_string()],
                };
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.insert(name.clone(), v.clone());
                            c
                        })
                    })
                    .collect();
            }
        }
        for b in CORPUS {
            for inputs in &combos {
                out.push(Event::Dispatch { branch: b.to_string(), inputs: inputs.clone() });
            }
        }
    }
    out
}

/// Whether `event` starts the workflow at all.
fn triggers(workflow: &Value, event: &Event) -> bool {
    let on = &workflow["on"];
    let any = |key: &str, name: &str| {
        on["push"][key]
            .as_array()
            .is_some_and(|filters| filters.iter().any(|f| filter_matches(f.as_str().unwrap(), name)))
    };
    match event {
        Event::PushBranch(b) => any("branches", b),
        Event::PushTag(t) => any("tags", t),
        Event::Dispatch { .. } => on.get("workflow_dispatch").is_some(),
    }
}

/// Whether job `id` runs for `event` (its `if:` and those of every job it needs, transitively).
fn job_runs(workflow: &Value, id: &str, event: &Event) -> bool {
    let job = &workflow["jobs"][id];
    let condition = job["if"].as_str().map(|c| eval(c, event)).unwrap_or(true);
    let needs = job["needs"].as_array().into_iter().flatten().all(|n| job_runs(workflow, n.as_str().unwrap(), event));
    condition && needs
}

/// Whether GitHub lets a job run in environment `env` on the event's ref.
fn policy_admits(envs: &EnvironmentsFile, env: &str, event: &Event) -> bool {
    let (name, kind) = event.git_ref();
    let settings = envs.environments.iter().find(|e| e.name == env).expect("every environment a job names exists");
    settings.branch_policies.iter().any(|p| p.kind == kind && fnmatch_pathname(&p.name, name))
}

/// What the definitions allow a job of `workflow` (by its file) in `env` to do for `event`.
fn allowed(project: &Project, file: &str, env: &Environment, event: &Event) -> bool {
    let ref_ok = match event {
        Event::PushTag(t) => matches!(&env.trigger, Trigger::ReleaseTag(p) if p.matches(t)),
        Event::PushBranch(b) | Event::Dispatch { branch: b, .. } => env.allows_ref(b),
    };
    if !ref_ok {
        return false;
    }
    let input = |name: &str| match event {
        Event::Dispatch { inputs, .. } => inputs.get(name).map(String::as_str),
        _ => None,
    };
    match file {
        f if f.starts_with("slipway-deploy-") => match (&env.trigger, event) {
            (Trigger::Push, Event::PushBranch(_)) | (Trigger::ReleaseTag(_), Event::PushTag(_)) => true,
            (Trigger::Manual, Event::Dispatch { .. }) => env.promoted_from.is_empty(),
            _ => false,
        },
        "slipway-promote.yml" => {
            input("to") == Some(env.name.as_str())
                && input("from").is_some_and(|f| env.promoted_from.iter().any(|p| p == f))
                && project.find(&env.name).is_some()
        }
        "slipway-rollback.yml" => input("environment") == Some(env.name.as_str()),
        other => panic!("an unexpected workflow `{other}` runs jobs in environment `{}`", env.name),
    }
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

// ---- a small evaluator of the `if:` expressions the workflows use ----------------------------------

#[derive(Clone, Debug, PartialEq)]
enum V {
    Str(String),
    Bool(bool),
    Null,
}

impl V {
    fn truthy(&self) -> bool {
        match self {
            V::Str(s) => !s.is_empty(),
            V::Bool(b) => *b,
            V::Null => false,
        }
    }
}

/// Evaluates a GitHub expression of `==`, `!=`, `&&`, `||`, `!`, parentheses, string literals and
/// `inputs.*`/`github.*` lookups, for `event`.
fn eval(expr: &str, event: &Event) -> bool {
    let tokens = tokenize(expr);
    let mut pos = 0;
    let v = or(&tokens, &mut pos, event);
    assert_eq!(pos, tokens.len(), "could not read all of `{expr}`");
    v.truthy()
}

fn tokenize(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let end = chars[i + 1..].iter().position(|c| *c == '\'').unwrap() + i + 1;
            out.push(chars[i..=end].iter().collect());
            i = end + 1;
        } else if ["==", "!=", "&&", "||"].iter().any(|op| chars[i..].starts_with(&op.chars().collect::<Vec<_>>())) {
            out.push(chars[i..i + 2].iter().collect());
            i += 2;
        } else if "()!,".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            let end = chars[i..]
                .iter()
                .position(|c| !(c.is_alphanumeric() || "._-".contains(*c)))
                .map_or(chars.len(), |p| p + i);
            out.push(chars[i..end].iter().collect());
            i = end;
        }
    }
    out
}

fn or(t: &[String], pos: &mut usize, e: &Event) -> V {
    let mut v = and(t, pos, e);
    while t.get(*pos).map(String::as_str) == Some("||") {
        *pos += 1;
        let r = and(t, pos, e);
        v = V::Bool(v.truthy() || r.truthy());
    }
    v
}

fn and(t: &[String], pos: &mut usize, e: &Event) -> V {
    let mut v = cmp(t, pos, e);
    while t.get(*pos).map(String::as_str) == Some("&&") {
        *pos += 1;
        let r = cmp(t, pos, e);
        v = V::Bool(v.truthy() && r.truthy());
    }
    v
}

fn cmp(t: &[String], pos: &mut usize, e: &Event) -> V {
    let l = unary(t, pos, e);
    match t.get(*pos).map(String::as_str) {
        Some(op @ ("==" | "!=")) => {
            let op = op.to_string();
            *pos += 1;
            let r = unary(t, pos, e);
            V::Bool((l == r) == (op == "=="))
        }
        _ => l,
    }
}

fn unary(t: &[String], pos: &mut usize, e: &Event) -> V {
    let token = t[*pos].clone();
    *pos += 1;
    match token.as_str() {
        "!" => V::Bool(!unary(t, pos, e).truthy()),
        "(" => {
            let v = or(t, pos, e);
            assert_eq!(t[*pos], ")");
            *pos += 1;
            v
        }
        s if s.starts_with('\'') => V::Str(s.trim_matches('\'').to_string()),
        path => lookup(path, e),
    }
}

fn lookup(path: &str, e: &Event) -> V {
    match (path.split_once('.'), e) {
        (Some(("inputs", name)), Event::Dispatch { inputs, .. }) => {
            inputs.get(name).map_or(V::Null, |v| V::Str(v.clone()))
        }
        (Some(("inputs", _)), _) => V::Null,
        _ => panic!("the evaluator does not know `{path}`"),
    }
}

#[test]
fn the_evaluator_reads_the_conditions_the_workflows_write() {
    let e = Event::Dispatch {
        branch: "main".into(),
        inputs: BTreeMap::from([("to".into(), "prod".into()), ("from".into(), "staging".into())]),
    };
    assert!(eval("inputs.to == 'prod' && (inputs.from == 'uat' || inputs.from == 'staging')", &e));
    assert!(!eval("inputs.to == 'prod' && (inputs.from == 'uat')", &e));
    assert!(eval("!(inputs.to != 'prod')", &e));
    assert!(!eval("inputs.environment == 'prod'", &Event::PushBranch("main".into())));
    let _ = RefPattern::new("main");
}

#[test]
fn a_synthesis_of_some_environments_leaves_the_project_wide_files_out() {
    let project = reference_flows::line_of_four();
    let set = slipway::synth::synth(&project, &["dev".to_string()]).unwrap();
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
