//! The deploy workflow of an environment deployed on push, on a release tag, or by hand.

use std::collections::BTreeMap;

use super::jobs::{
    SLIPWAY, approvals_of_the_run, before_release, cached, change_permissions, checkout, cloud_gov_env, concurrency,
    credentials, dedup, definitions_with, engine_with, gated, job, list, require_store, script, store_value,
};
use super::workflow::{Input, Step, Triggers, Workflow};
use crate::model::{Environment, Project, STORE_VARIABLE, Trigger};

/// The deploy workflow of an environment that is deployed on push (or tag), or by hand when it is not
/// promoted into (an environment promoted into gets releases only through promotion).
pub(super) fn deploy(project: &Project, env: &Environment) -> Option<Workflow> {
    let mut on = Triggers::default();
    let (script, how) = match &env.trigger {
        Trigger::Push => {
            on.push_branches = env.refs.iter().flat_map(|r| r.workflow_filters().unwrap_or_default()).collect();
            (script!("release-and-deploy.sh"), format!("on every push to {}", list(&env.refs)))
        }
        Trigger::ReleaseTag(tag) => {
            on.push_tags = tag.workflow_filters().unwrap_or_default();
            (script!("release-and-deploy.sh"), format!("on every tag matching `{tag}`"))
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
            (script!("deploy-release.sh"), "by hand, with the release to deploy".to_string())
        }
        Trigger::Manual | Trigger::Promotion => return None,
    };
    dedup(&mut on.push_branches);
    let mut work = job(project, "deploy", format!("deploy {}", env.name));
    work.environment = Some(env.name.clone());
    work.concurrency = concurrency(&env.name);
    work.permissions = change_permissions(project, env, &[]);
    work.env =
        BTreeMap::from([("SLIPWAY".to_string(), SLIPWAY.to_string()), ("SLIPWAY_ENV".to_string(), env.name.clone())]);
    if on.workflow_dispatch {
        work.env.insert("RELEASE".into(), "${{ inputs.release }}".into());
    }
    let script = approvals_of_the_run(env, &mut work, script);
    work.steps = [vec![checkout(), require_store()], engine_with(cached(env)), definitions_with(cached(env))].concat();
    work.steps.extend(before_release(project));
    work.steps.extend(credentials(project, env, &project.deploy_role_name(&env.name)));
    super::jobs::compose_host(env, &mut work);
    work.steps.push(Step { env: cloud_gov_env(env), ..Step::run(&format!("Deploy to {}", env.name), &script) });
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
        working_directory: None,
        jobs,
    })
}
