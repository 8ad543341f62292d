//! `demo down`: a demo's compose project with its volumes, then its stacks, waited on, then the store's
//! copies of its bundles, as one run of the ledger under its lock.

use super::{At, Demo, TAG_DEMO, bundle, compose_at, note, plan_of, synthesize};
use crate::apply::cloudformation::{self as cfn, Options, Plan, Removed, Reporter};
use crate::cloud::Cloud;
use crate::docker::{Compose, DockerHost};
use crate::ledger::{self, DemoRecord, Kind, Outcome, Phase, Record};
use crate::ops::deploy::{LockOptions, give_back, reconcile, take_lock};
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
    let slug = demo.slug.slug.clone();
    let compose = compose_at(at, demo)?;
    let artifacts = synthesize(demo)?;
    let plan = plan_of(demo, "down", None, &artifacts, None, cx.clock.now())?;
    let started = cx.clock.now();
    let run = ledger::new_run_id(started);
    let reason = format!("demo down of {}", demo.slug.name);
    let held = take_lock(cx, &slug, &run, reason, started, &lock_options, reporter).await?;
    let result = down_locked(cx, demo, at, compose, plan.as_ref(), apply, &run, reporter).await;
    give_back(cx, &held, reporter).await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn down_locked(
    cx: &Context<'_>,
    demo: &Demo,
    at: &At<'_>,
    compose: Option<(&Compose, &DockerHost)>,
    plan: Option<&Plan>,
    apply: &Options,
    run: &str,
    reporter: &mut dyn Reporter,
) -> Result<DownOutcome, OpsError> {
    let slug = &demo.slug.slug;
    let stack_names: Vec<String> = plan.iter().flat_map(|p| p.stacks.iter().map(|s| s.name.clone())).collect();
    for line in &reconcile(cx, slug, &stack_names, at.cloud).await? {
        note(reporter, line);
    }
    let known = ledger::demos::demos(&ledger::records(cx.store, slug).await?);
    let started_at = cx.clock.now();
    let mut started = Record::new(run, Phase::Started, Kind::DemoDown, slug, started_at, cx.actor);
    started.demo = Some(
        known
            .get(slug)
            .map(|d| d.demo.clone())
            .unwrap_or_else(|| DemoRecord { name: demo.slug.name.clone(), ..DemoRecord::default() }),
    );
    ledger::append(cx.store, &started).await?;

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
    let mut finished = Record { phase: Phase::Finished, at: cx.clock.now(), started_at: Some(started_at), ..started };
    finished.outcome = Some(outcome);
    finished.reason = Some(if !left.is_empty() {
        format!("could not remove: {}", left.join("; "))
    } else if removed.is_empty() {
        "nothing of the demo was left".to_string()
    } else {
        format!("removed: {}", removed.join("; "))
    });
    ledger::append(cx.store, &finished).await?;
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
