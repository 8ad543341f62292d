//! The feature-demos workflow: up on every push to a demo branch, down when it is deleted, a daily sweep.

use std::collections::BTreeMap;

use super::jobs::{SLIPWAY, build, checkout, job, perms, require_store, script, store_value};
use super::workflow::{Concurrency, Step, Triggers, Workflow};
use crate::model::{Definitions, STORE_VARIABLE, demo_prefix};

/// The repository variable naming the Docker host demos run on (`ssh://user@server`).
const DEMO_DOCKER_HOST: &str = "SLIPWAY_DEMO_DOCKER_HOST";
/// The secret holding the SSH private key that reaches it.
const DEMO_SSH_KEY: &str = "SLIPWAY_DEMO_SSH_KEY";
/// The repository variable holding its SSH host key (a `known_hosts` line).
const DEMO_SSH_KNOWN_HOSTS: &str = "SLIPWAY_DEMO_SSH_KNOWN_HOSTS";

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
        j.steps = vec![checkout(), require_store(), build()];
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
