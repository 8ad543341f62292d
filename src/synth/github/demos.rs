//! The feature-demos workflow: up on every push to a demo branch and when a pull request from one opens
//! or reopens, down when the branch is deleted or its pull request closed, a daily sweep.
//!
//! After `up`, one comment on the branch's pull request (found by its marker and updated in place, as the
//! pull-request workflow's diff comment is) gives the demo's URLs and expiry, and says so when it went down.
//! The demo is linked from GitHub's deployments page by a `link` job in the GitHub environment
//! [`DEMO_ENVIRONMENT`], whose URL is the demo's. That environment is one for all demos, declared in
//! `github/environments.json` (no reviewers, deployable from the demo branches only), and named with an
//! underscore, which no slipway environment's name may have, so it can never be a permanent
//! environment's. The work itself runs in no environment: the demo's OIDC subject stays its branch, which
//! is what a demo's deploy role trusts, and a pull request's run, whose ref is `refs/pull/N/merge`, is
//! never refused by the environment's branch policy; so only a push's run records a deployment.

use std::collections::BTreeMap;

use super::jobs::{
    SLIPWAY, checkout, definitions, engine, job, perms, require_store, script, store_credentials, store_value,
};
use super::workflow::{Concurrency, Step, Triggers, Workflow};
use crate::model::{Definitions, STORE_VARIABLE, demo_prefix};

/// The repository variable naming the Docker host demos run on (`ssh://user@server`).
const DEMO_DOCKER_HOST: &str = "SLIPWAY_DEMO_DOCKER_HOST";
/// The secret holding the SSH private key that reaches it.
const DEMO_SSH_KEY: &str = "SLIPWAY_DEMO_SSH_KEY";
/// The repository variable holding its SSH host key (a `known_hosts` line).
const DEMO_SSH_KNOWN_HOSTS: &str = "SLIPWAY_DEMO_SSH_KNOWN_HOSTS";

/// The GitHub environment demos' deployments are recorded in: one for all of them, carrying the URL.
pub const DEMO_ENVIRONMENT: &str = "feature_demos";

/// Feature demos: up on every push to a demo branch, down when the branch is deleted, and a daily sweep.
pub(super) fn demos(project: &Definitions) -> Option<Workflow> {
    let factory = project.demo_factory?;
    let pattern = &project.github.demo_branches;
    let prefix = demo_prefix(pattern)?;
    // Where a demo's compose project runs, when its definition does not say: the repository variable
    // names the Docker host (`ssh://deploy@demo.example.org`), and a secret holds the SSH key.
    let docker_host_from_variables = factory("example").compose_target().is_some_and(|t| t.docker_host.is_none());
    let demo_job = |id: &str, name: &str, condition: String, group: &str, script: &str, branch: Option<&str>| {
        let mut j = job(project, id, name.into());
        j.condition = Some(condition);
        j.concurrency = Some(Concurrency { group: group.into(), cancel_in_progress: false });
        j.permissions = perms(&[("contents", "read")]);
        j.env = BTreeMap::from([("SLIPWAY".to_string(), SLIPWAY.to_string())]);
        if let Some(b) = branch {
            j.env.insert("BRANCH".into(), b.into());
        }
        j.steps = [vec![checkout(), require_store()], engine(), definitions()].concat();
        // The store (its ledger, locks and bundles) through the project's store role, when it has one.
        if let Some(step) = store_credentials(project, id) {
            j.permissions.insert("id-token".into(), "write".into());
            j.steps.push(step);
        }
        if docker_host_from_variables {
            j.env.insert("DOCKER_HOST".into(), format!("${{{{ vars.{DEMO_DOCKER_HOST} }}}}"));
            j.steps.push(Step {
                env: BTreeMap::from([
                    ("SSH_KEY".to_string(), format!("${{{{ secrets.{DEMO_SSH_KEY} }}}}")),
                    ("SSH_KNOWN_HOSTS".to_string(), format!("${{{{ vars.{DEMO_SSH_KNOWN_HOSTS} }}}}")),
                ]),
                ..Step::run("Reach the demo host's Docker engine", script!("demo-host.sh"))
            });
        }
        j.steps.push(Step::run(name, script));
        j
    };
    let same_repo = "github.event.pull_request.head.repo.full_name == github.repository";
    let from_demo_branch = format!("startsWith(github.head_ref, '{prefix}') && {same_repo}");
    let mut up = demo_job(
        "up",
        "demo up",
        format!(
            "(github.event_name == 'push' && !github.event.deleted) || (github.event_name == 'pull_request' && \
             github.event.action != 'closed' && {from_demo_branch})"
        ),
        "slipway-demo-${{ github.head_ref || github.ref_name }}",
        script!("demo-up.sh"),
        Some("${{ github.head_ref || github.ref_name }}"),
    );
    // A pull request's run checks out and names the branch's head, not the merge GitHub makes.
    up.env.insert("COMMIT".into(), "${{ github.event.pull_request.head.sha || github.sha }}".into());
    up.steps[0].with.insert("ref".into(), "${{ github.event.pull_request.head.sha || github.sha }}".into());
    up.steps.last_mut().expect("the demo step").id = Some("up".into());
    up.outputs = BTreeMap::from([
        ("demo".to_string(), "${{ steps.up.outputs.demo }}".to_string()),
        ("url".to_string(), "${{ steps.up.outputs.url }}".to_string()),
    ]);
    let down = demo_job(
        "down",
        "demo down",
        format!(
            "(github.event_name == 'delete' && github.event.ref_type == 'branch' && startsWith(github.event.ref, \
             '{prefix}')) || (github.event_name == 'pull_request' && github.event.action == 'closed' && \
             {from_demo_branch})"
        ),
        "slipway-demo-${{ github.head_ref || github.event.ref }}",
        r#""$SLIPWAY" demo down --branch "$BRANCH""#,
        Some("${{ github.head_ref || github.event.ref }}"),
    );
    // Only a push's run: its ref is the demo branch, which the environment's branch policy admits.
    let mut link = job(project, "link", "link the demo from the deployments page".into());
    link.needs = vec!["up".into()];
    link.condition = Some("github.event_name == 'push' && needs.up.result == 'success'".into());
    link.environment = Some(DEMO_ENVIRONMENT.into());
    link.environment_url = Some("${{ needs.up.outputs.url }}".into());
    link.env = BTreeMap::from([("URL".to_string(), "${{ needs.up.outputs.url }}".to_string())]);
    link.steps = vec![Step::run("Say where the demo is", r#"echo "the demo is at $URL""#)];
    let mut comment = job(project, "comment", "comment the demo on its pull request".into());
    comment.needs = vec!["up".into(), "down".into()];
    comment.condition = Some(
        "!cancelled() && (github.event_name == 'push' || github.event_name == 'pull_request') && \
         (needs.up.result != 'skipped' || needs.down.result != 'skipped')"
            .into(),
    );
    comment.permissions = perms(&[("pull-requests", "write")]);
    comment.env = BTreeMap::from([
        ("GH_TOKEN".to_string(), "${{ github.token }}".to_string()),
        ("PR_NUMBER".to_string(), "${{ github.event.pull_request.number }}".to_string()),
        ("BRANCH".to_string(), "${{ github.head_ref || github.ref_name }}".to_string()),
        ("DEMO".to_string(), "${{ needs.up.outputs.demo }}".to_string()),
        ("UP_RESULT".to_string(), "${{ needs.up.result }}".to_string()),
        ("DOWN_RESULT".to_string(), "${{ needs.down.result }}".to_string()),
    ]);
    comment.steps = vec![Step::run("Post or update the one demo comment", script!("demo-comment.sh"))];
    let gc = demo_job(
        "gc",
        "demo gc",
        "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'".into(),
        "slipway-demo-gc",
        r#""$SLIPWAY" demo gc"#,
        None,
    );
    let jobs = vec![up, link, comment, down, gc];
    Some(Workflow {
        file: "slipway-demos.yml".into(),
        title: format!("slipway: feature demos from branches `{pattern}`: up on push, down when deleted or closed."),
        description: vec![
            "A pull request from such a branch gets one comment with the demo's URLs and expiry, and its closing"
                .into(),
            "brings the demo down. A daily `demo gc` takes down expired demos, and orphans older than a day.".into(),
        ],
        name: "slipway: feature demos".into(),
        on: Triggers {
            push_branches: pattern.workflow_filters().unwrap_or_default(),
            pull_request: true,
            pull_request_types: vec!["opened".into(), "reopened".into(), "closed".into()],
            delete: true,
            schedule: vec![project.github.demo_gc_schedule.clone()],
            workflow_dispatch: true,
            ..Triggers::default()
        },
        env: BTreeMap::from([(STORE_VARIABLE.to_string(), store_value(project))]),
        working_directory: None,
        jobs,
    })
}
