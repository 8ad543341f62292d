//! GitHub Actions workflows and GitHub environments, synthesized from the same definitions as everything
//! else, so that the deployment-flow document, the environments' protection rules, the IAM trust policies
//! and the workflow files can no longer drift apart.
//!
//! Project-wide artifacts: `.github/workflows/slipway-*.yml` and `github/environments.json`. Each
//! permanent environment is a GitHub environment of the same name, and every job that touches it runs in
//! it: GitHub's reviewers, wait timer and deployment branch policy (written by the one ref compiler, see
//! [`crate::model::RefPattern::branch_policies`]) gate the job, and the job's OIDC token (`sub` =
//! `repo:OWNER/NAME:environment:ENV`) is what the environment's deploy role trusts. A job that names no
//! environment can therefore never assume a deploy role. GitHub passes a deployment on one reviewer, so an
//! environment needing n approvals gets n jobs in a row in it (n - 1 gates, then the work), and slipway's
//! own policy counts the run's approvals (`--approvals github`): how many, from which groups, how distinct.
//!
//! Values reach scripts only through `env:` (never `${{ }}` inside `run:`), so a branch name or a
//! workflow input cannot inject shell.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::templates::{RenderError, render};
use crate::model::{Environment, Project, RefKind, RefPattern, STORE_VARIABLE, Trigger, demo_prefix};

/// `actions/checkout`, pinned to a commit (v4.2.2).
pub const CHECKOUT: (&str, &str) = ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2");
/// `aws-actions/configure-aws-credentials`, pinned to a commit (v4.0.2).
pub const AWS_CREDENTIALS: (&str, &str) =
    ("aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502", "v4.0.2");

/// The file every project-wide GitHub environment setting is written to (under `github/`).
pub const ENVIRONMENTS_FILE: &str = "environments.json";

/// The JSON schema of `github/environments.json`, written from GitHub's documented fields and limits.
pub const ENVIRONMENTS_SCHEMA: &str = include_str!("github-environments.schema.json");

/// The binary the jobs build and run.
const SLIPWAY: &str = "./target/release/slipway";

/// One workflow file, as the template reads it.
#[derive(Clone, Debug, Serialize)]
pub struct Workflow {
    /// The file's name under `.github/workflows/`.
    pub file: String,
    /// The first comment line.
    pub title: String,
    /// More comment lines.
    pub description: Vec<String>,
    /// The workflow's `name:`.
    pub name: String,
    /// What starts it.
    pub on: Triggers,
    /// Variables every job sees.
    pub env: BTreeMap<String, String>,
    /// The jobs, in order.
    pub jobs: Vec<Job>,
}

/// A workflow's `on:`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Triggers {
    /// `pull_request`.
    pub pull_request: bool,
    /// `push.branches` filters.
    pub push_branches: Vec<String>,
    /// `push.tags` filters.
    pub push_tags: Vec<String>,
    /// `delete` (a branch or tag deleted).
    pub delete: bool,
    /// `schedule` cron lines.
    pub schedule: Vec<String>,
    /// `workflow_dispatch`.
    pub workflow_dispatch: bool,
    /// Its inputs.
    pub inputs: Vec<Input>,
}

/// A `workflow_dispatch` input.
#[derive(Clone, Debug, Serialize)]
pub struct Input {
    /// Its name.
    pub name: String,
    /// What to type.
    pub description: String,
    /// Whether it must be given.
    pub required: bool,
    /// `string` or `choice`.
    pub kind: String,
    /// The choices.
    pub options: Vec<String>,
}

/// One job.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Jobs it waits for.
    pub needs: Vec<String>,
    /// When it runs (an expression).
    pub condition: Option<String>,
    /// The runner.
    pub runs_on: String,
    /// The GitHub environment it runs in.
    pub environment: Option<String>,
    /// Its concurrency group.
    pub concurrency: Option<Concurrency>,
    /// Its token's permissions (empty: none).
    pub permissions: BTreeMap<String, String>,
    /// Values it hands to jobs that need it.
    pub outputs: BTreeMap<String, String>,
    /// Variables its steps see.
    pub env: BTreeMap<String, String>,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// A job's `concurrency:`.
#[derive(Clone, Debug, Serialize)]
pub struct Concurrency {
    /// The group.
    pub group: String,
    /// Whether a new run cancels the one in progress.
    pub cancel_in_progress: bool,
}

/// One step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Step {
    /// Its display name.
    pub name: String,
    /// Its id, when later steps read its outputs.
    pub id: Option<String>,
    /// The action it runs.
    pub uses: Option<String>,
    /// The action's version, as a comment beside a pinned commit.
    pub version: Option<String>,
    /// The action's inputs.
    pub with: BTreeMap<String, String>,
    /// Variables for this step.
    pub env: BTreeMap<String, String>,
    /// The shell script, line by line (constant text: values come through `env`).
    pub run: Vec<String>,
}

impl Step {
    fn run(name: &str, script: &str) -> Step {
        Step { name: name.into(), run: script.lines().map(str::to_string).collect(), ..Step::default() }
    }
}

/// One GitHub environment's settings, in the shape `PUT /repos/{owner}/{repo}/environments/{name}` takes,
/// with reviewers by name (`github apply` looks up their ids) and the custom branch and tag policies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EnvironmentSettings {
    /// The environment's name.
    pub name: String,
    /// Minutes to wait before a job in it starts (0 to 43,200).
    pub wait_timer: u64,
    /// Whether the person who started a run may not approve it.
    pub prevent_self_review: bool,
    /// Who may approve (at most six).
    pub reviewers: Vec<Reviewer>,
    /// Which refs may deploy: custom policies, always.
    pub deployment_branch_policy: BranchPolicySettings,
    /// The custom policies, as `POST .../deployment-branch-policies` takes them.
    pub branch_policies: Vec<BranchPolicy>,
}

/// A reviewer by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum Reviewer {
    /// A person, by login.
    User {
        /// The GitHub login.
        login: String,
    },
    /// A team of the repository owner's organization, by slug.
    Team {
        /// The team's slug.
        slug: String,
    },
}

/// `deployment_branch_policy` of the environment API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BranchPolicySettings {
    /// Only protected branches may deploy.
    pub protected_branches: bool,
    /// Only refs matching the custom policies may deploy.
    pub custom_branch_policies: bool,
}

/// A custom deployment branch or tag policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct BranchPolicy {
    /// The `File.fnmatch` pattern.
    pub name: String,
    /// `branch` or `tag`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `github/environments.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EnvironmentsFile {
    /// The file's format version.
    pub format: u32,
    /// `owner/name`.
    pub repository: String,
    /// Every permanent environment, in definition order.
    pub environments: Vec<EnvironmentSettings>,
}

/// The GitHub environment settings of every permanent environment.
pub fn environments(project: &Project) -> EnvironmentsFile {
    let environments = project
        .environments
        .iter()
        .map(|env| {
            let a = &env.approvals;
            let approvers = a.approvers();
            let mut reviewers: Vec<Reviewer> = if approvers.len() <= crate::model::MAX_REVIEWERS {
                approvers.iter().map(|l| Reviewer::User { login: (*l).to_string() }).collect()
            } else {
                a.groups.iter().map(|g| Reviewer::Team { slug: g.name.clone() }).collect()
            };
            if a.required == 0 {
                reviewers.clear();
            }
            reviewers.sort();
            reviewers.dedup();
            let mut branch_policies = Vec::new();
            let mut add = |pattern: &RefPattern, kind: RefKind| {
                for name in pattern.branch_policies().unwrap_or_default() {
                    let policy = BranchPolicy { name, kind: kind.as_str().into() };
                    if !branch_policies.contains(&policy) {
                        branch_policies.push(policy);
                    }
                }
            };
            for r in &env.refs {
                add(r, RefKind::Branch);
            }
            if let Trigger::ReleaseTag(tag) = &env.trigger {
                add(tag, RefKind::Tag);
            }
            EnvironmentSettings {
                name: env.name.clone(),
                wait_timer: a.wait_timer_minutes(),
                prevent_self_review: a.required > 0,
                reviewers,
                deployment_branch_policy: BranchPolicySettings {
                    protected_branches: false,
                    custom_branch_policies: true,
                },
                branch_policies,
            }
        })
        .collect();
    EnvironmentsFile { format: 1, repository: project.repository.to_string(), environments }
}

/// The JSON of `github/environments.json`, pretty, with a final newline.
pub fn environments_json(file: &EnvironmentsFile) -> String {
    let mut s = serde_json::to_string_pretty(file).expect("environment settings serialize");
    s.push('\n');
    s
}

/// Every workflow of the project, in file-name order.
pub fn workflows(project: &Project) -> Vec<Workflow> {
    let mut out = vec![pull_request(project)];
    for env in &project.environments {
        if let Some(w) = deploy(project, env) {
            out.push(w);
        }
    }
    if let Some(w) = promote(project) {
        out.push(w);
    }
    out.push(rollback(project));
    if let Some(w) = demos(project) {
        out.push(w);
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The GitHub environments the jobs of a workflow (its YAML text) run in; an error says why it cannot be
/// read, or names a job whose environment is an expression, which cannot be known before it runs.
pub fn environments_named(yaml: &str) -> Result<BTreeSet<String>, String> {
    let workflow: serde_json::Value = serde_yaml_ng::from_str(yaml).map_err(|e| format!("is not YAML: {e}"))?;
    let mut out = BTreeSet::new();
    let jobs = workflow.get("jobs").and_then(serde_json::Value::as_object).into_iter().flatten();
    for (id, job) in jobs {
        let name = match job.get("environment") {
            None => continue,
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(env) => match env.get("name").and_then(serde_json::Value::as_str) {
                Some(s) => s.to_string(),
                None => return Err(format!("job `{id}` names its environment in a form slipway cannot read")),
            },
        };
        if name.contains("${{") {
            return Err(format!(
                "job `{id}` computes its environment (`{name}`), which could name one the definitions do not protect"
            ));
        }
        out.insert(name);
    }
    Ok(out)
}

/// A workflow's text.
pub fn render_workflow(workflow: &Workflow) -> Result<String, RenderError> {
    render("github/workflow.yml", workflow)
}

// ---- shared pieces ---------------------------------------------------------------------------------

fn store_value(project: &Project) -> String {
    match &project.github.store {
        Some(s) => s.clone(),
        None => format!("${{{{ vars.{STORE_VARIABLE} }}}}"),
    }
}

fn perms(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn checkout() -> Step {
    Step {
        name: "Check out the repository".into(),
        uses: Some(CHECKOUT.0.into()),
        version: Some(CHECKOUT.1.into()),
        with: BTreeMap::from([("persist-credentials".to_string(), "false".to_string())]),
        ..Step::default()
    }
}

fn build() -> Step {
    // The definitions are compiled into the binary, so the job builds the revision it runs.
    Step::run("Build slipway", "cargo build --release --locked --bin slipway")
}

const REQUIRE_STORE: &str = r#"if [ -z "$SLIPWAY_STORE" ]; then
  echo "::error::set the repository variable SLIPWAY_STORE to the store every runner shares (s3://bucket/prefix)"
  exit 1
fi"#;

/// The repository variable naming the Docker host demos run on (`ssh://user@server`).
const DEMO_DOCKER_HOST: &str = "SLIPWAY_DEMO_DOCKER_HOST";
/// The secret holding the SSH private key that reaches it.
const DEMO_SSH_KEY: &str = "SLIPWAY_DEMO_SSH_KEY";
/// The repository variable holding its SSH host key (a `known_hosts` line).
const DEMO_SSH_KNOWN_HOSTS: &str = "SLIPWAY_DEMO_SSH_KNOWN_HOSTS";

const DEMO_HOST: &str = r#"if [ -z "$DOCKER_HOST" ]; then
  echo "::error::set the repository variable SLIPWAY_DEMO_DOCKER_HOST to the demo host's Docker engine (ssh://user@server)"
  exit 1
fi
case "$DOCKER_HOST" in
  ssh://*)
    if [ -z "$SSH_KEY" ] || [ -z "$SSH_KNOWN_HOSTS" ]; then
      echo "::error::set the secret SLIPWAY_DEMO_SSH_KEY and the variable SLIPWAY_DEMO_SSH_KNOWN_HOSTS to reach $DOCKER_HOST"
      exit 1
    fi
    install -d -m 700 ~/.ssh
    printf '%s\n' "$SSH_KEY" > ~/.ssh/id_ed25519
    chmod 600 ~/.ssh/id_ed25519
    printf '%s\n' "$SSH_KNOWN_HOSTS" >> ~/.ssh/known_hosts
    ;;
esac"#;

fn require_store() -> Step {
    Step::run("Require a shared store", REQUIRE_STORE)
}

/// The step that assumes `role` in `env`'s account and region, if `env` deploys to AWS.
fn aws_credentials(env: &Environment, role: &str) -> Option<Step> {
    let target = env.aws_target()?;
    Some(Step {
        name: format!("Assume {role} in {} ({})", target.account, target.region),
        uses: Some(AWS_CREDENTIALS.0.into()),
        version: Some(AWS_CREDENTIALS.1.into()),
        with: BTreeMap::from([
            ("role-to-assume".to_string(), Project::role_arn(target, role)),
            ("aws-region".to_string(), target.region.code().to_string()),
            ("role-session-name".to_string(), format!("slipway-{}", env.name)),
        ]),
        ..Step::default()
    })
}

fn concurrency(env: &str) -> Option<Concurrency> {
    Some(Concurrency { group: format!("slipway-{env}"), cancel_in_progress: false })
}

/// The permissions of a job that changes `env`: OIDC for AWS when it deploys there.
fn change_permissions(env: &Environment, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut p = perms(&[("contents", "read")]);
    if env.aws_target().is_some() {
        p.insert("id-token".into(), "write".into());
    }
    for (k, v) in extra {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

/// The jobs that do `work` in `env` behind its approvals: with n required, n - 1 gate jobs in the
/// environment first, one after the other (GitHub approves every waiting job of an environment at once,
/// so gates side by side would take one approval), each a review; the work is the last.
fn gated(project: &Project, env: &Environment, prefix: &str, condition: Option<String>, mut work: Job) -> Vec<Job> {
    let n = env.approvals.required;
    let mut jobs = Vec::new();
    let mut previous: Option<String> = None;
    for i in 1..n {
        let id = format!("{prefix}-approval-{i}");
        jobs.push(Job {
            id: id.clone(),
            name: format!("approval {i} of {n} for {}", env.name),
            needs: previous.iter().cloned().collect(),
            condition: condition.clone(),
            runs_on: project.github.runs_on.clone(),
            environment: Some(env.name.clone()),
            concurrency: None,
            permissions: BTreeMap::new(),
            outputs: BTreeMap::new(),
            env: BTreeMap::new(),
            steps: vec![Step::run(
                "Record the approval",
                &format!(
                    "echo \"approval {i} of {n}: slipway counts the run's approvals (distinct people, from the \
                     approving groups) before it changes anything\""
                ),
            )],
        });
        previous = Some(id);
    }
    work.needs.extend(previous);
    work.condition = condition;
    jobs.push(work);
    jobs
}

fn job(project: &Project, id: &str, name: String) -> Job {
    Job {
        id: id.into(),
        name,
        needs: Vec::new(),
        condition: None,
        runs_on: project.github.runs_on.clone(),
        environment: None,
        concurrency: None,
        permissions: BTreeMap::new(),
        outputs: BTreeMap::new(),
        env: BTreeMap::new(),
        steps: Vec::new(),
    }
}

/// The name of a variable holding a value of environment `env` (`DIFF_DEV_INT`).
fn var(prefix: &str, env: &str) -> String {
    format!("{prefix}_{}", env.to_ascii_uppercase().replace('-', "_"))
}

// ---- the workflows --------------------------------------------------------------------------------

const DIFF_SCRIPT: &str = r#"set +e
"$SLIPWAY" diff --against deployed --env "$SLIPWAY_ENV" --format markdown --exit-code > diff.md
status=$?
set -e
case "$status" in
  0) echo "changes=false" >> "$GITHUB_OUTPUT" ;;
  2) echo "changes=true" >> "$GITHUB_OUTPUT" ;;
  *) cat diff.md; echo "::error::slipway diff failed (exit $status)"; exit 1 ;;
esac
cat diff.md
delimiter="slipway-$(openssl rand -hex 16)"
{
  echo "markdown<<$delimiter"
  head -c "$DIFF_LIMIT" diff.md
  echo
  if [ "$(wc -c < diff.md)" -gt "$DIFF_LIMIT" ]; then printf '\n\n(cut short: the whole diff is in the job log)\n'; fi
  echo "$delimiter"
} >> "$GITHUB_OUTPUT""#;

const DRIFT_SCRIPT: &str = r#"status=0
for file in out/.github/workflows/*.yml; do
  committed=".github/workflows/$(basename "$file")"
  if ! cmp -s "$file" "$committed"; then
    echo "::error file=$committed::$committed differs from what the definitions synthesize; copy $file there"
    status=1
  fi
done
exit "$status""#;

const COMMENT_SCRIPT: &str = r####"body=$(mktemp)
{
  echo "<!-- slipway-diff -->"
  echo "## slipway: what this pull request changes in the deployed environments"
  for env in $SLIPWAY_ENVS; do
    key=$(echo "$env" | tr 'a-z-' 'A-Z_')
    result_var="DIFF_${key}_RESULT"; changes_var="DIFF_${key}_CHANGES"; markdown_var="DIFF_${key}_MARKDOWN"
    echo
    if [ "${!result_var}" != "success" ]; then
      echo "### $env: the diff failed (${!result_var}); see the run"
    elif [ "${!changes_var}" = "true" ]; then
      echo "### $env: changes"
      echo
      printf '%s\n' "${!markdown_var}"
    else
      echo "### $env: no changes"
    fi
  done
} > "$body"
existing=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --paginate \
  --jq '.[] | select(.body | startswith("<!-- slipway-diff -->")) | .id' | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" > /dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$body" > /dev/null
fi"####;

fn pull_request(project: &Project) -> Workflow {
    let mut check = job(project, "check", "check and synthesize".into());
    check.permissions = perms(&[("contents", "read")]);
    check.steps = vec![
        checkout(),
        build(),
        Step::run("Check the definitions", &format!("{SLIPWAY} check")),
        Step::run("Synthesize", &format!("{SLIPWAY} synth --out out")),
        Step::run("Require the committed workflows to be the synthesized ones", DRIFT_SCRIPT),
    ];
    let mut jobs = vec![check];
    let on_aws: Vec<&Environment> = project.environments.iter().filter(|e| e.aws_target().is_some()).collect();
    let mut comment = job(project, "comment", "comment the diff on the pull request".into());
    for env in &on_aws {
        let id = format!("diff-{}", env.name);
        let mut diff = job(project, &id, format!("diff {} against what is deployed", env.name));
        diff.permissions = perms(&[("contents", "read"), ("id-token", "write")]);
        // Not the environment's deploy group: GitHub keeps one waiting job per group, so a pull request's
        // diff there could cancel a deploy that is waiting its turn.
        diff.concurrency = Some(Concurrency {
            group: format!("slipway-diff-{}-${{{{ github.event.pull_request.number }}}}", env.name),
            cancel_in_progress: true,
        });
        diff.env = BTreeMap::from([
            ("SLIPWAY".to_string(), SLIPWAY.to_string()),
            ("SLIPWAY_ENV".to_string(), env.name.clone()),
            // A comment holds 65,536 characters: each environment gets its share.
            ("DIFF_LIMIT".to_string(), (60_000 / on_aws.len()).to_string()),
        ]);
        diff.outputs = BTreeMap::from([
            ("changes".to_string(), "${{ steps.diff.outputs.changes }}".to_string()),
            ("markdown".to_string(), "${{ steps.diff.outputs.markdown }}".to_string()),
        ]);
        diff.steps = vec![checkout(), build()];
        diff.steps.extend(aws_credentials(env, &project.diff_role_name(&env.name)));
        let mut step = Step::run("Diff against what is deployed (read-only)", DIFF_SCRIPT);
        step.id = Some("diff".into());
        diff.steps.push(step);
        for (suffix, value) in [("RESULT", "result"), ("CHANGES", "outputs.changes"), ("MARKDOWN", "outputs.markdown")]
        {
            comment
                .env
                .insert(format!("{}_{suffix}", var("DIFF", &env.name)), format!("${{{{ needs.{id}.{value} }}}}"));
        }
        comment.needs.push(id);
        jobs.push(diff);
    }
    if !on_aws.is_empty() {
        comment.condition = Some("!cancelled()".into());
        comment.permissions = perms(&[("pull-requests", "write")]);
        comment.env.insert("GH_TOKEN".into(), "${{ github.token }}".into());
        comment.env.insert("PR_NUMBER".into(), "${{ github.event.pull_request.number }}".into());
        comment.env.insert("SLIPWAY_ENVS".into(), on_aws.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(" "));
        comment.steps = vec![Step::run("Post or update the one slipway comment", COMMENT_SCRIPT)];
        jobs.push(comment);
    }
    Workflow {
        file: "slipway-pull-request.yml".into(),
        title: "slipway: check, synthesize and diff every pull request against what is deployed.".into(),
        description: vec![
            "The diff jobs assume each environment's read-only diff role, which trusts this repository's pull".into(),
            "requests only; one comment on the pull request shows every environment's changes.".into(),
        ],
        name: "slipway: pull request".into(),
        on: Triggers { pull_request: true, ..Triggers::default() },
        env: BTreeMap::new(),
        jobs,
    }
}

const RELEASE_AND_DEPLOY: &str = r#""$SLIPWAY" release create --id "$GITHUB_SHA" --commit "$GITHUB_SHA" --ref "$GITHUB_REF"
"$SLIPWAY" deploy --env "$SLIPWAY_ENV" --release "$GITHUB_SHA" --yes --progress events"#;

const DEPLOY_RELEASE: &str = r#""$SLIPWAY" deploy --env "$SLIPWAY_ENV" --release "$RELEASE" --yes --progress events"#;

/// The deploy workflow of an environment that is deployed on push (or tag), or by hand when it is not
/// promoted into (an environment promoted into gets releases only through promotion).
fn deploy(project: &Project, env: &Environment) -> Option<Workflow> {
    let mut on = Triggers::default();
    let (script, how) = match &env.trigger {
        Trigger::Push => {
            on.push_branches = env.refs.iter().flat_map(|r| r.workflow_filters().unwrap_or_default()).collect();
            (RELEASE_AND_DEPLOY, format!("on every push to {}", list(&env.refs)))
        }
        Trigger::ReleaseTag(tag) => {
            on.push_tags = tag.workflow_filters().unwrap_or_default();
            (RELEASE_AND_DEPLOY, format!("on every tag matching `{tag}`"))
        }
        Trigger::Manual if env.promoted_from.is_empty() => {
            on.workflow_dispatch = true;
            on.inputs = vec![Input {
                name: "release".into(),
                description: format!("The release to deploy to {} (made if it does not exist yet)", env.name),
                required: true,
                kind: "string".into(),
                options: Vec::new(),
            }];
            (DEPLOY_RELEASE, "by hand, with the release to deploy".to_string())
        }
        Trigger::Manual | Trigger::Promotion => return None,
    };
    dedup(&mut on.push_branches);
    let mut work = job(project, "deploy", format!("deploy {}", env.name));
    work.environment = Some(env.name.clone());
    work.concurrency = concurrency(&env.name);
    work.permissions = change_permissions(env, &[]);
    work.env =
        BTreeMap::from([("SLIPWAY".to_string(), SLIPWAY.to_string()), ("SLIPWAY_ENV".to_string(), env.name.clone())]);
    if on.workflow_dispatch {
        work.env.insert("RELEASE".into(), "${{ inputs.release }}".into());
    }
    let script = approvals_of_the_run(env, &mut work, script);
    work.steps = vec![checkout(), require_store(), build()];
    work.steps.extend(aws_credentials(env, &project.deploy_role_name(&env.name)));
    work.steps.push(Step::run(&format!("Deploy to {}", env.name), &script));
    let jobs = gated(project, env, "deploy", None, work);
    Some(Workflow {
        file: format!("slipway-deploy-{}.yml", env.name),
        title: format!("slipway: deploy {} {how}.", env.name),
        description: vec![format!(
            "GitHub environment `{}` gates the job: its deployment branch policy admits {}.",
            env.name,
            list(&env.refs)
        )],
        name: format!("slipway: deploy {}", env.name),
        on,
        env: BTreeMap::from([(STORE_VARIABLE.to_string(), store_value(project))]),
        jobs,
    })
}

const PROMOTE: &str =
    r#""$SLIPWAY" promote --release "$RELEASE" --to "$SLIPWAY_ENV" --from "$FROM" --approvals github --yes"#;

/// One workflow for every promotion edge: one job chain per target, run only for the edges into it.
fn promote(project: &Project) -> Option<Workflow> {
    let targets: Vec<&Environment> = project.environments.iter().filter(|e| !e.promoted_from.is_empty()).collect();
    if targets.is_empty() {
        return None;
    }
    let mut sources: Vec<String> = Vec::new();
    for t in &targets {
        for f in &t.promoted_from {
            if !sources.contains(f) {
                sources.push(f.clone());
            }
        }
    }
    // In definition order, as the flow document reads.
    sources.sort_by_key(|s| project.environments.iter().position(|e| &e.name == s));
    let mut jobs = Vec::new();
    for target in &targets {
        let edges = target.promoted_from.iter().map(|f| format!("inputs.from == '{f}'")).collect::<Vec<_>>();
        let condition = format!("inputs.to == '{}' && ({})", target.name, edges.join(" || "));
        let mut work = job(project, &format!("promote-{}", target.name), format!("promote into {}", target.name));
        work.environment = Some(target.name.clone());
        work.concurrency = concurrency(&target.name);
        // `actions: read`: slipway reads who approved this run's deployments.
        work.permissions = change_permissions(target, &[("actions", "read")]);
        work.env = BTreeMap::from([
            ("SLIPWAY".to_string(), SLIPWAY.to_string()),
            ("SLIPWAY_ENV".to_string(), target.name.clone()),
            ("GITHUB_TOKEN".to_string(), "${{ github.token }}".to_string()),
        ]);
        work.steps = vec![checkout(), require_store(), build()];
        work.steps.extend(aws_credentials(target, &project.deploy_role_name(&target.name)));
        work.steps.push(Step::run(&format!("Promote into {}", target.name), PROMOTE));
        jobs.extend(gated(project, target, &format!("promote-{}", target.name), Some(condition), work));
    }
    let edges: Vec<String> =
        targets.iter().flat_map(|t| t.promoted_from.iter().map(move |f| format!("{f} -> {}", t.name))).collect();
    Some(Workflow {
        file: "slipway-promote.yml".into(),
        title: "slipway: promote a release along the promotion edges the definitions allow.".into(),
        description: vec![
            format!("Edges: {}.", edges.join(", ")),
            "A target needing n approvals runs n jobs in its GitHub environment, one review each.".into(),
        ],
        name: "slipway: promote".into(),
        on: Triggers {
            workflow_dispatch: true,
            inputs: vec![
                Input {
                    name: "release".into(),
                    description: "The release to promote".into(),
                    required: true,
                    kind: "string".into(),
                    options: Vec::new(),
                },
                Input {
                    name: "from".into(),
                    description: "The environment it is promoted from".into(),
                    required: true,
                    kind: "choice".into(),
                    options: sources,
                },
                Input {
                    name: "to".into(),
                    description: "The environment it is promoted into".into(),
                    required: true,
                    kind: "choice".into(),
                    options: targets.iter().map(|t| t.name.clone()).collect(),
                },
            ],
            ..Triggers::default()
        },
        env: BTreeMap::from([
            (STORE_VARIABLE.to_string(), store_value(project)),
            ("RELEASE".to_string(), "${{ inputs.release }}".to_string()),
            ("FROM".to_string(), "${{ inputs.from }}".to_string()),
        ]),
        jobs,
    })
}

const ROLLBACK: &str = r#"set -- --env "$SLIPWAY_ENV" --reason "$REASON" --yes --progress events
if [ -n "$TO" ]; then set -- "$@" --to "$TO"; fi
"$SLIPWAY" rollback "$@""#;

/// What a job that changes `env` adds so that slipway's policy counts the run's approvals: the
/// `--approvals github` argument, and the token and `actions: read` permission to read them. Nothing for
/// an environment that needs no approval.
fn approvals_of_the_run(env: &Environment, work: &mut Job, script: &str) -> String {
    if env.approvals.required == 0 {
        return script.to_string();
    }
    work.permissions.insert("actions".into(), "read".into());
    work.env.insert("GITHUB_TOKEN".into(), "${{ github.token }}".into());
    format!("{script} --approvals github")
}

/// Rolling an environment back, by hand, behind the same approvals as a deploy into it.
fn rollback(project: &Project) -> Workflow {
    let mut jobs = Vec::new();
    for env in &project.environments {
        let mut work = job(project, &format!("rollback-{}", env.name), format!("roll {} back", env.name));
        work.environment = Some(env.name.clone());
        work.concurrency = concurrency(&env.name);
        work.permissions = change_permissions(env, &[]);
        work.env = BTreeMap::from([
            ("SLIPWAY".to_string(), SLIPWAY.to_string()),
            ("SLIPWAY_ENV".to_string(), env.name.clone()),
        ]);
        let script = approvals_of_the_run(env, &mut work, ROLLBACK);
        work.steps = vec![checkout(), require_store(), build()];
        work.steps.extend(aws_credentials(env, &project.deploy_role_name(&env.name)));
        work.steps.push(Step::run(&format!("Roll {} back", env.name), &script));
        let condition = format!("inputs.environment == '{}'", env.name);
        jobs.extend(gated(project, env, &format!("rollback-{}", env.name), Some(condition), work));
    }
    Workflow {
        file: "slipway-rollback.yml".into(),
        title: "slipway: roll an environment back to an earlier release, by hand.".into(),
        description: vec!["Rolling back needs the same approvals as deploying.".into()],
        name: "slipway: rollback".into(),
        on: Triggers {
            workflow_dispatch: true,
            inputs: vec![
                Input {
                    name: "environment".into(),
                    description: "The environment to roll back".into(),
                    required: true,
                    kind: "choice".into(),
                    options: project.environments.iter().map(|e| e.name.clone()).collect(),
                },
                Input {
                    name: "to".into(),
                    description: "The release to go back to (default: the one before the current)".into(),
                    required: false,
                    kind: "string".into(),
                    options: Vec::new(),
                },
                Input {
                    name: "reason".into(),
                    description: "Why, for the ledger".into(),
                    required: true,
                    kind: "string".into(),
                    options: Vec::new(),
                },
            ],
            ..Triggers::default()
        },
        env: BTreeMap::from([
            (STORE_VARIABLE.to_string(), store_value(project)),
            ("TO".to_string(), "${{ inputs.to }}".to_string()),
            ("REASON".to_string(), "${{ inputs.reason }}".to_string()),
        ]),
        jobs,
    }
}

/// Feature demos: up on every push to a demo branch, down when the branch is deleted, and a daily sweep.
fn demos(project: &Project) -> Option<Workflow> {
    let factory = project.demo_factory?;
    let pattern = &project.github.demo_branches;
    let prefix = demo_prefix(pattern)?;
    // Where a demo's compose project runs, when its definition does not say: the repository variable
    // names the Docker host (`ssh://deploy@demo.example.org`), and a secret holds the SSH key.
    let docker_host_from_variables = factory("probe").compose_target().is_some_and(|t| t.docker_host.is_none());
    let demo_job = |id: &str, name: &str, condition: String, group: &str, script: &str, branch: Option<&str>| {
        let mut j = job(project, id, name.into());
        j.condition = Some(condition);
        j.concurrency = Some(Concurrency { group: group.into(), cancel_in_progress: false });
        j.permissions = perms(&[("contents", "read")]);
        j.env = BTreeMap::from([("SLIPWAY".to_string(), SLIPWAY.to_string())]);
        if let Some(b) = branch {
            j.env.insert("BRANCH".into(), b.into());
        }
        j.steps = vec![checkout(), require_store(), build()];
        if docker_host_from_variables {
            j.env.insert("DOCKER_HOST".into(), format!("${{{{ vars.{DEMO_DOCKER_HOST} }}}}"));
            j.steps.push(Step {
                env: BTreeMap::from([
                    ("SSH_KEY".to_string(), format!("${{{{ secrets.{DEMO_SSH_KEY} }}}}")),
                    ("SSH_KNOWN_HOSTS".to_string(), format!("${{{{ vars.{DEMO_SSH_KNOWN_HOSTS} }}}}")),
                ]),
                ..Step::run("Reach the demo host's Docker engine", DEMO_HOST)
            });
        }
        j.steps.push(Step::run(name, script));
        j
    };
    let jobs = vec![
        demo_job(
            "up",
            "demo up",
            "github.event_name == 'push' && !github.event.deleted".into(),
            "slipway-demo-${{ github.ref_name }}",
            r#""$SLIPWAY" demo up --branch "$BRANCH""#,
            Some("${{ github.ref_name }}"),
        ),
        demo_job(
            "down",
            "demo down",
            format!(
                "github.event_name == 'delete' && github.event.ref_type == 'branch' && \
                 startsWith(github.event.ref, '{prefix}')"
            ),
            "slipway-demo-${{ github.event.ref }}",
            r#""$SLIPWAY" demo down --branch "$BRANCH""#,
            Some("${{ github.event.ref }}"),
        ),
        demo_job(
            "gc",
            "demo gc",
            "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'".into(),
            "slipway-demo-gc",
            r#""$SLIPWAY" demo gc"#,
            None,
        ),
    ];
    Some(Workflow {
        file: "slipway-demos.yml".into(),
        title: format!("slipway: feature demos from branches `{pattern}`: up on push, down when deleted."),
        description: vec![
            "A daily `demo gc` takes down expired demos, and orphans (demos no `up` recorded) older than a day.".into(),
        ],
        name: "slipway: feature demos".into(),
        on: Triggers {
            push_branches: pattern.workflow_filters().unwrap_or_default(),
            delete: true,
            schedule: vec![project.github.demo_gc_schedule.clone()],
            workflow_dispatch: true,
            ..Triggers::default()
        },
        env: BTreeMap::from([(STORE_VARIABLE.to_string(), store_value(project))]),
        jobs,
    })
}

fn list(refs: &[RefPattern]) -> String {
    refs.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = Vec::new();
    v.retain(|x| {
        let new = !seen.contains(x);
        seen.push(x.clone());
        new
    });
}
