//! The status-page workflow: after every deploy, promotion and rollback workflow finishes, and on a
//! schedule, it makes `slipway status --format html` and publishes it to GitHub Pages with the official
//! Pages actions.
//!
//! Two jobs, each with only what it needs. `page` reads: each AWS environment's drift through that
//! environment's read-only diff role (one credentials step and one `status --env NAME --format json` per
//! environment, so no role ever sees another account), then the page from the ledger with those drifts
//! (`--drift-from`); it holds `id-token: write` for those roles and nothing that can publish. `deploy`
//! publishes: `pages: write` and `id-token: write` (which `actions/deploy-pages` needs), in GitHub's own
//! `github-pages` environment, which GitHub makes, protected to the default branch, when Pages is set to
//! deploy from Actions; it runs no code of the repository.

use std::collections::BTreeMap;

use super::jobs::{
    DEPLOY_PAGES, SLIPWAY, UPLOAD_PAGES_ARTIFACT, aws_credentials, checkout, definitions, engine, job, perms,
    require_store, script, store_credentials, store_value,
};
use super::workflow::{Concurrency, Step, Triggers, Workflow};
use crate::model::{Project, STORE_VARIABLE};

/// The GitHub environment Pages deploys to: GitHub's own, not one of the definitions'.
pub const PAGES_ENVIRONMENT: &str = "github-pages";

/// When the page is made again even if nothing ran (drift and locks change without a workflow).
const SCHEDULE: &str = "23 * * * *";

/// The status-page workflow, started by the completed runs of `others` (the deploy, promote and rollback
/// workflows among them).
pub(super) fn status(project: &Project, others: &[Workflow]) -> Workflow {
    let mut watched: Vec<String> = others
        .iter()
        .filter(|w| {
            w.file.starts_with("slipway-deploy-") || w.file == "slipway-promote.yml" || w.file == "slipway-rollback.yml"
        })
        .map(|w| w.name.clone())
        .collect();
    watched.sort();
    let on_aws: Vec<_> = project.environments.iter().filter(|e| e.aws_target().is_some()).collect();
    let mut page = job(project, "page", "make the status page".into());
    page.permissions = if on_aws.is_empty() && project.github.store_role.is_none() {
        perms(&[("contents", "read")])
    } else {
        perms(&[("contents", "read"), ("id-token", "write")])
    };
    page.concurrency = Some(Concurrency { group: "slipway-status".into(), cancel_in_progress: true });
    page.env = BTreeMap::from([("SLIPWAY".to_string(), SLIPWAY.to_string())]);
    page.steps = [vec![checkout(), require_store()], engine(), definitions()].concat();
    for env in &on_aws {
        page.steps.extend(aws_credentials(env, &project.diff_role_name(&env.name)));
        page.steps.push(Step {
            env: BTreeMap::from([("SLIPWAY_ENV".to_string(), env.name.clone())]),
            ..Step::run(&format!("Read {}'s drift (read-only)", env.name), script!("status-drift.sh"))
        });
    }
    // The ledger is read last: through the store role where the project has one (a diff role may not
    // reach the store's account).
    page.steps.extend(store_credentials(project, "status"));
    page.steps.push(Step::run("Make the status page", script!("status-page.sh")));
    page.steps.push(Step {
        name: "Upload it for GitHub Pages".into(),
        uses: Some(UPLOAD_PAGES_ARTIFACT.0.into()),
        version: Some(UPLOAD_PAGES_ARTIFACT.1.into()),
        // An action's paths are the checkout's, whatever directory the scripts run in.
        with: BTreeMap::from([(
            "path".to_string(),
            match &project.github.working_directory {
                Some(dir) => format!("{}/site", dir.trim_end_matches('/')),
                None => "site".to_string(),
            },
        )]),
        ..Step::default()
    });
    let mut deploy = job(project, "deploy", "publish the status page".into());
    deploy.needs = vec!["page".into()];
    deploy.environment = Some(PAGES_ENVIRONMENT.into());
    deploy.environment_url = Some("${{ steps.deployment.outputs.page_url }}".into());
    deploy.concurrency = Some(Concurrency { group: "slipway-pages".into(), cancel_in_progress: false });
    deploy.permissions = perms(&[("id-token", "write"), ("pages", "write")]);
    deploy.steps = vec![Step {
        name: "Deploy to GitHub Pages".into(),
        id: Some("deployment".into()),
        uses: Some(DEPLOY_PAGES.0.into()),
        version: Some(DEPLOY_PAGES.1.into()),
        ..Step::default()
    }];
    Workflow {
        file: "slipway-status.yml".into(),
        title: "slipway: the status page (what runs where), published to GitHub Pages.".into(),
        description: vec![
            "Made after every deploy, promotion and rollback, and every hour; drift is read through each".into(),
            "environment's read-only diff role, which must be let read the store.".into(),
        ],
        name: "slipway: status page".into(),
        on: Triggers {
            workflow_run: watched,
            schedule: vec![SCHEDULE.into()],
            workflow_dispatch: true,
            ..Triggers::default()
        },
        env: BTreeMap::from([(STORE_VARIABLE.to_string(), store_value(project))]),
        working_directory: None,
        jobs: vec![page, deploy],
    }
}
