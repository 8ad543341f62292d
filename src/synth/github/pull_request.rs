//! The pull-request workflow: check, synthesize, require the committed workflows to be the synthesized
//! ones, and diff every AWS environment against what is deployed, one comment for all of them.

use std::collections::BTreeMap;

use super::jobs::{SLIPWAY, aws_credentials, checkout, definitions, engine, job, perms, script, var};
use super::workflow::{Concurrency, Step, Triggers, Workflow};
use crate::model::{Environment, Project};

pub(super) fn pull_request(project: &Project) -> Workflow {
    let mut check = job(project, "check", "check and synthesize".into());
    check.permissions = perms(&[("contents", "read")]);
    // Checking and synthesizing are the definitions' own commands: this job needs no engine.
    check.steps = [vec![checkout()], definitions()].concat();
    check.steps.extend([
        Step::run("Check the definitions", "\"$SLIPWAY_APP\" check"),
        Step::run("Synthesize", "\"$SLIPWAY_APP\" synth --out out"),
        Step::run("Require the committed workflows to be the synthesized ones", script!("drift.sh")),
    ]);
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
        diff.steps = [vec![checkout()], engine(), definitions()].concat();
        diff.steps.extend(aws_credentials(env, &project.diff_role_name(&env.name)));
        let mut step = Step::run("Diff against what is deployed (read-only)", script!("diff.sh"));
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
        comment.steps = vec![Step::run("Post or update the one slipway comment", script!("comment.sh"))];
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
        working_directory: None,
        jobs,
    }
}
