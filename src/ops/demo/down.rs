//! `demo down`: a demo's compose project with its volumes, then its stacks, waited on, then the store's
//! copies of its bundles, as one run of the ledger under its lock.

use super::{At, Demo, TAG_DEMO, bundle, compose_at, plan_of};
use crate::apply::cloudformation::{self as cfn, Options, Plan, Removed};
use crate::apply::report::Reporter;
use crate::cloud::Cloud;
use crate::docker::{Compose, DockerHost};
use crate::ledger::{self, DemoRecord, Outcome, RunKind};
use crate::ops::run::{LedgerRun, LockOptions, RunSpec, within};
use crate::ops::{Context, OpsError};

/// What `down` did.
#[derive(Debug)]
pub struct DownOutcome {
    /// How it ended: done, or failed with what is left.
    pub outcome: Outcome,
    /// What was removed, a line each.
    pub removed: Vec<String>,
    /// What could not be removed, a line each.
    pub left: Vec<String>,
}

/// Brings demo `demo` down as one run of the ledger, under its lock: its compose project with its volumes,
/// then its stacks (those its definition makes and any others tagged as its own), dependents first, each
/// waited on until gone, then the store's copies of its bundles. A demo with nothing left succeeds.
pub async fn down(
    cx: &Context<'_>,
    demo: &Demo,
    at: &At<'_>,
    apply: &Options,
    lock_options: LockOptions,
    reporter: &mut dyn Reporter,
) -> Result<DownOutcome, OpsError> {
    let compose = compose_at(at, demo)?;
    let artifacts = demo.artifacts.clone();
    let plan = plan_of(demo, "down", &artifacts, None)?;
    let spec = RunSpec {
        env: &demo.slug.slug,
        kind: RunKind::DemoDown,
        doing: format!("demo down of {}", demo.slug.name),
        lock: lock_options,
    };
    within(cx, spec, reporter, async |run, reporter| {
        down_locked(cx, demo, at, compose, plan.as_ref(), apply, run, reporter).await
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn down_locked(
    cx: &Context<'_>,
    demo: &Demo,
    at: &At<'_>,
    compose: Option<(&Compose, &DockerHost)>,
    plan: Option<&Plan>,
    apply: &Options,
    run: &mut LedgerRun<'_>,
    reporter: &mut dyn Reporter,
) -> Result<DownOutcome, OpsError> {
    let slug = &demo.slug.slug;
    let stack_names: Vec<String> = plan.iter().flat_map(|p| p.stacks.iter().map(|s| s.name.clone())).collect();
    run.reconcile(&stack_names, at.cloud, reporter).await?;
    let known = ledger::demos::demos(&ledger::records(cx.store, slug).await?);
    let mut started = run.record();
    started.demo = Some(
        known
            .get(slug)
            .map(|d| d.demo.clone())
            .unwrap_or_else(|| DemoRecord { name: demo.slug.name.clone(), ..DemoRecord::default() }),
    );
    run.start(started).await?;

    let mut removed = Vec::new();
    let mut left = Vec::new();
    if let Some((compose, host)) = compose {
        let project = crate::synth::compose::bundle(&demo.project, &demo.env).map(|b| b.project).unwrap_or_default();
        match compose.down(&project, host, true) {
            Ok(report) if report.removed.is_empty() => {}
            Ok(report) => removed.push(format!(
                "compose project {project} on {host}: {} container(s), its network and volumes",
                report.removed.len()
            )),
            Err(e) => left.push(format!("compose project {project} on {host}: {e}")),
        }
    }
    if let (Some(cloud), Some(plan)) = (at.cloud, plan) {
        let tagged = tagged_stacks(cloud, &demo.project.name, slug).await?;
        let extra: Vec<String> = tagged.into_iter().filter(|t| !stack_names.contains(t)).collect();
        for (stack, fate) in cfn::remove(cloud, plan, &extra, apply, reporter).await {
            match fate {
                Removed::Deleted => removed.push(format!("stack {stack}")),
                Removed::Absent => {}
                Removed::Stuck(why) => left.push(format!("stack {stack}: {why}")),
            }
        }
    }
    let forgotten = bundle::forget(cx.store, slug).await?;
    if forgotten > 0 {
        removed.push(format!("{forgotten} kept bundle file(s) in the store"));
    }
    let outcome = if left.is_empty() { Outcome::Done } else { Outcome::Failed };
    let reason = if !left.is_empty() {
        format!("could not remove: {}", left.join("; "))
    } else if removed.is_empty() {
        "nothing of the demo was left".to_string()
    } else {
        format!("removed: {}", removed.join("; "))
    };
    run.finish(outcome, |finished| finished.reason = Some(reason)).await?;
    Ok(DownOutcome { outcome, removed, left })
}

/// The stacks of `cloud` tagged as project `project`'s environment `slug` and as a demo.
async fn tagged_stacks(cloud: &Cloud, project: &str, slug: &str) -> Result<Vec<String>, OpsError> {
    Ok(cloud
        .list_stacks()
        .await?
        .into_iter()
        .filter(|s| {
            s.tags.get(crate::synth::TAG_PROJECT).map(String::as_str) == Some(project)
                && s.tags.get(crate::synth::TAG_ENVIRONMENT).map(String::as_str) == Some(slug)
                && s.tags.contains_key(TAG_DEMO)
        })
        .map(|s| s.name)
        .collect())
}
