//! The drift workflow: on a schedule, `slipway status --exit-code` for every AWS environment, each through
//! that environment's read-only diff role (one credentials step per environment, so no role sees another
//! account), and one GitHub issue per environment kept up to date: opened when its stacks drifted from
//! what the ledger says was applied, its text replaced while they do, closed when the drift is gone. The
//! run fails only when an environment could not be checked.
//!
//! One job: it reads (the diff roles, `id-token: write`) and writes issues (`issues: write`), and nothing
//! else; the scripts are `templates/github/drift-*.sh`, values reach them only through `env:`. The issues
//! are kept with GitHub's REST API (`GITHUB_API_URL`, `GITHUB_REPOSITORY`, the job's token) through curl
//! and jq, which every GitHub-hosted runner has.

use std::collections::BTreeMap;

use super::jobs::{
    SLIPWAY, aws_credentials, checkout, definitions, engine, job, perms, require_store, script, store_value,
};
use super::workflow::{Concurrency, Step, Triggers, Workflow};
use crate::model::{Project, STORE_VARIABLE};

/// When drift is looked for: every six hours, off the hour.
const SCHEDULE: &str = "41 */6 * * *";

/// The drift workflow, when any environment deploys to AWS.
pub(super) fn drift(project: &Project) -> Option<Workflow> {
    let on_aws: Vec<_> = project.environments.iter().filter(|e| e.aws_target().is_some()).collect();
    if on_aws.is_empty() {
        return None;
    }
    let mut check = job(project, "drift", "look for drift, keep an issue per environment".into());
    check.permissions = perms(&[("contents", "read"), ("id-token", "write"), ("issues", "write")]);
    check.concurrency = Some(Concurrency { group: "slipway-drift".into(), cancel_in_progress: false });
    check.env = BTreeMap::from([
        ("SLIPWAY".to_string(), SLIPWAY.to_string()),
        ("GH_TOKEN".to_string(), "${{ github.token }}".to_string()),
    ]);
    check.steps = [vec![checkout(), require_store()], engine(), definitions()].concat();
    for env in &on_aws {
        let vars = BTreeMap::from([("SLIPWAY_ENV".to_string(), env.name.clone())]);
        check.steps.extend(aws_credentials(env, &project.diff_role_name(&env.name)));
        check.steps.push(Step {
            env: vars.clone(),
            ..Step::run(&format!("Look for drift in {} (read-only)", env.name), script!("drift-check.sh"))
        });
        check.steps.push(Step {
            env: vars,
            ..Step::run(&format!("Keep the drift issue of {} up to date", env.name), script!("drift-issue.sh"))
        });
    }
    check.steps.push(Step::run("Fail if an environment could not be checked", script!("drift-unchecked.sh")));
    Some(Workflow {
        file: "slipway-drift.yml".into(),
        title: "slipway: drift on a schedule, one GitHub issue per environment whose stacks drifted.".into(),
        description: vec![
            "Each environment is read through its read-only diff role, which must be let read the store;".into(),
            "`slipway deploy --env NAME --revert-drift` puts back what the ledger says runs there.".into(),
        ],
        name: "slipway: drift".into(),
        on: Triggers { schedule: vec![SCHEDULE.into()], workflow_dispatch: true, ..Triggers::default() },
        env: BTreeMap::from([(STORE_VARIABLE.to_string(), store_value(project))]),
        working_directory: None,
        jobs: vec![check],
    })
}
