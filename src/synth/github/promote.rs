//! The promote workflow: one job chain per target, run only for the edges the definitions allow.

use std::collections::BTreeMap;

use super::jobs::{
    SLIPWAY, change_permissions, checkout, cloud_gov_env, concurrency, credentials, definitions, engine, gated, job,
    require_store, script, store_value,
};
use super::workflow::{Input, Step, Triggers, Workflow};
use crate::model::{Environment, Project, STORE_VARIABLE};

/// One workflow for every promotion edge: one job chain per target, run only for the edges into it.
pub(super) fn promote(project: &Project) -> Option<Workflow> {
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
        work.permissions = change_permissions(project, target, &[("actions", "read")]);
        work.env = BTreeMap::from([
            ("SLIPWAY".to_string(), SLIPWAY.to_string()),
            ("SLIPWAY_ENV".to_string(), target.name.clone()),
            ("GITHUB_TOKEN".to_string(), "${{ github.token }}".to_string()),
        ]);
        work.steps = [vec![checkout(), require_store()], engine(), definitions()].concat();
        work.steps.extend(credentials(project, target, &project.deploy_role_name(&target.name)));
        super::jobs::compose_host(target, &mut work);
        work.steps.push(Step {
            env: cloud_gov_env(target),
            ..Step::run(&format!("Promote into {}", target.name), script!("promote.sh"))
        });
        jobs.extend(gated(project, target, &format!("promote-{}", target.name), Some(condition), work));
    }
    let edges: Vec<String> =
        targets.iter().flat_map(|t| t.promoted_from.iter().map(move |f| format!("{f} -> {}", t.name))).collect();
    Some(Workflow {
        file: "slipway-promote.yml".into(),
        title: "slipway: promote a release along the promotion edges the definitions allow.".into(),
        description: {
            let mut lines = vec![
                format!("Edges: {}.", edges.join(", ")),
                "A target needing n approvals runs n jobs in its GitHub environment, one review each.".into(),
            ];
            for t in targets.iter().filter(|t| t.approvals.optional > 0) {
                let groups: Vec<&str> = t.approvals.groups.iter().map(|g| g.name.as_str()).collect();
                lines.push(format!(
                    "`{}` asks {} optional approval(s) from {}: recorded when given (`--approved-by`), required of \
                     nobody, so GitHub does not wait for them.",
                    t.name,
                    t.approvals.optional,
                    groups.join(" or ")
                ));
            }
            lines
        },
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
        working_directory: None,
        jobs,
    })
}
