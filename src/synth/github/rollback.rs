//! The rollback workflow: an environment back to an earlier release, by hand, behind the same approvals
//! as a deploy into it.

use std::collections::BTreeMap;

use super::jobs::{
    SLIPWAY, approvals_of_the_run, change_permissions, checkout, cloud_gov_env, concurrency, credentials, definitions,
    engine, gated, job, require_store, script, store_value,
};
use super::workflow::{Input, Step, Triggers, Workflow};
use crate::model::{Project, STORE_VARIABLE};

/// Rolling an environment back, by hand, behind the same approvals as a deploy into it.
pub(super) fn rollback(project: &Project) -> Workflow {
    let mut jobs = Vec::new();
    for env in &project.environments {
        let mut work = job(project, &format!("rollback-{}", env.name), format!("roll {} back", env.name));
        work.environment = Some(env.name.clone());
        work.concurrency = concurrency(&env.name);
        work.permissions = change_permissions(project, env, &[]);
        work.env = BTreeMap::from([
            ("SLIPWAY".to_string(), SLIPWAY.to_string()),
            ("SLIPWAY_ENV".to_string(), env.name.clone()),
        ]);
        let script = approvals_of_the_run(env, &mut work, script!("rollback.sh"));
        work.steps = [vec![checkout(), require_store()], engine(), definitions()].concat();
        work.steps.extend(credentials(project, env, &project.deploy_role_name(&env.name)));
        super::jobs::compose_host(env, &mut work);
        work.steps.push(Step { env: cloud_gov_env(env), ..Step::run(&format!("Roll {} back", env.name), &script) });
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
        working_directory: None,
        jobs,
    }
}
