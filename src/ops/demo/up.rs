//! `demo up`: a demo's stacks, then its compose project, then its smoke checks, as one run of the ledger
//! under its lock; on a failure after the stacks, the demo's rollback rule.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use super::{At, Demo, bundle, compose_at, note, plan_of};
use crate::apply::cloudformation::{self as cfn, ApprovalMode, InFlight, Options, Plan, Removed};
use crate::apply::compose::BundleError;
use crate::apply::report::Reporter;
use crate::apply::smoke::{SmokeFailure, SmokeResult, run_all};
use crate::clock::Timestamp;
use crate::cloud::Cloud;
use crate::docker::{COMPOSE_FILE, Compose, DockerHost, ServiceChange};
use crate::ledger::{self, DemoRecord, Outcome, RunKind, StackRecord};
use crate::model::{Rollback, SmokeUrl};
use crate::ops::deploy::{cause_of, outcome_of, smoke_records, stack_records};
use crate::ops::run::{LedgerRun, LockOptions, RunSpec, within};
use crate::ops::{Context, OpsError};
use crate::synth::compose::ComposeBundle;
use crate::synth::{ArtifactKey, Artifacts, sha256_hex};

/// What `up` is asked to do.
pub struct UpRequest<'a> {
    /// The demo.
    pub demo: &'a Demo,
    /// The branch it is made from, when there is one.
    pub branch: Option<String>,
    /// The release its stacks get as their `Release` parameter and its compose project as `RELEASE`
    /// (the tag of the app's images).
    pub release: String,
    /// The commit it is made from.
    pub commit: Option<String>,
    /// How long it lives, from this `up`.
    pub ttl: Duration,
    /// How its stacks are applied (nobody is asked about a demo's changes).
    pub apply: &'a Options,
    /// The lock's waits.
    pub lock: LockOptions,
}

/// What `up` did.
#[derive(Debug)]
pub struct UpOutcome {
    /// The run's id in the ledger.
    pub run: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, when it did not come up.
    pub cause: Option<String>,
    /// Each stack's result.
    pub stacks: Vec<StackRecord>,
    /// What `compose up` changed, by service.
    pub compose: BTreeMap<String, ServiceChange>,
    /// The smoke checks run.
    pub smoke: Vec<SmokeResult>,
    /// Where it answers, by what answers there.
    pub urls: BTreeMap<String, String>,
    /// When it expires.
    pub expires: Timestamp,
    /// What the rollback rule did after a failure, a line each.
    pub undone: Vec<String>,
}

/// Brings demo `req.demo` up (or updates it in place) as one run of the ledger, under its lock.
pub async fn up(
    cx: &Context<'_>,
    req: &UpRequest<'_>,
    at: &At<'_>,
    reporter: &mut dyn Reporter,
) -> Result<UpOutcome, OpsError> {
    let demo = req.demo;
    let artifacts = demo.artifacts.clone();
    let compose = compose_at(at, demo)?;
    let bundle = crate::synth::compose::bundle(&demo.project, &demo.env);
    let expires = cx.clock.now().plus(req.ttl);
    let plan = plan_of(demo, &req.release, &artifacts, req.branch.as_deref())?;
    if let (Some(cloud), Some(_)) = (at.cloud, plan.as_ref()) {
        Box::pin(crate::ops::bootstrap::require(cloud, &demo.env)).await?;
    }
    let work = Up { cx, req, at, compose, bundle: bundle.as_ref(), plan: plan.as_ref(), artifacts: &artifacts };
    let spec = RunSpec {
        env: &demo.slug.slug,
        kind: RunKind::DemoUp,
        doing: format!("demo up of {}", demo.slug.name),
        lock: req.lock,
    };
    // On the heap: with the stacks, the images and the compose project, the run's future outgrew the 2 MiB
    // stack of a thread a library caller (or a test) runs it on.
    within(cx, spec, reporter, async |run, reporter| Box::pin(work.locked(run, expires, reporter)).await).await
}

/// One `up`, everything it works with.
struct Up<'a> {
    cx: &'a Context<'a>,
    req: &'a UpRequest<'a>,
    at: &'a At<'a>,
    compose: Option<(&'a Compose, &'a DockerHost)>,
    bundle: Option<&'a ComposeBundle>,
    plan: Option<&'a Plan>,
    artifacts: &'a Artifacts,
}

impl Up<'_> {
    fn slug(&self) -> &str {
        &self.req.demo.slug.slug
    }

    async fn locked(
        &self,
        run: &mut LedgerRun<'_>,
        expires: Timestamp,
        reporter: &mut dyn Reporter,
    ) -> Result<UpOutcome, OpsError> {
        let cx = self.cx;
        let slug = self.slug().to_string();
        let stack_names: Vec<String> = self.plan.iter().flat_map(|p| p.stacks.iter().map(|s| s.name.clone())).collect();
        run.reconcile(&stack_names, self.at.cloud, reporter).await?;
        let known = ledger::demos::demos(&ledger::records(cx.store, &slug).await?);
        let last_good = known.get(&slug).and_then(|d| d.last_good_run.clone());
        self.images(reporter).await?;
        bundle::save(cx.store, &slug, run.id(), self.artifacts).await?;
        // The code the demo's templates refer to, in its account before any stack changes.
        if let (Some(_), Some(cloud)) = (self.plan, self.at.cloud) {
            let demo = self.req.demo;
            let source = crate::ops::assets::Source::Synthesized {
                project: &demo.project,
                artifacts: self.artifacts,
                files: &demo.assets,
            };
            Box::pin(crate::ops::assets::publish(cx, source, &demo.env, cloud, reporter)).await?;
        }

        let urls: BTreeMap<String, String> = self.bundle.map(|b| b.urls.iter().cloned().collect()).unwrap_or_default();
        let mut started = run.record();
        started.release = Some(self.req.release.clone());
        started.commit = self.req.commit.clone();
        started.until = Some(expires);
        started.artifacts = self.artifacts.iter().map(|(k, bytes)| (k.path(), sha256_hex(bytes))).collect();
        started.demo = Some(DemoRecord {
            name: self.req.demo.slug.name.clone(),
            branch: self.req.branch.clone(),
            docker_host: self.compose.map(|(_, h)| h.to_string()),
            compose_project: self.bundle.map(|b| b.project.clone()),
            urls: urls.clone(),
        });
        run.start(started).await?;

        let mut out = UpOutcome {
            run: run.id().to_string(),
            outcome: Outcome::Deployed,
            cause: None,
            stacks: Vec::new(),
            compose: BTreeMap::new(),
            smoke: Vec::new(),
            urls,
            expires,
            undone: Vec::new(),
        };
        self.apply(&mut out, reporter, last_good.as_deref()).await?;
        run.finish(out.outcome, |finished| {
            finished.stacks = out.stacks.clone();
            finished.smoke = smoke_records(&out.smoke, true, &[]);
            finished.reason = out.cause.clone().map(|cause| match out.undone.as_slice() {
                [] => cause,
                undone => format!("{cause}; then: {}", undone.join("; ")),
            });
        })
        .await?;
        Ok(out)
    }

    /// Stacks, compose project, smoke checks; on a failure after the stacks, the demo's rollback rule.
    async fn apply(
        &self,
        out: &mut UpOutcome,
        reporter: &mut dyn Reporter,
        last_good: Option<&str>,
    ) -> Result<(), OpsError> {
        if let (Some(plan), Some(cloud)) = (self.plan, self.at.cloud) {
            let outcome = self.stacks(cloud, plan, reporter).await;
            out.stacks = stack_records(&outcome);
            if let Some(cause) = cause_of(&outcome.ending) {
                // The stacks rolled back as a deploy's do; the compose project was not touched.
                out.outcome = outcome_of(&outcome.ending);
                out.cause = Some(cause);
                return Ok(());
            }
        }
        let mut failure = None;
        if let (Some((compose, host)), Some(bundle)) = (self.compose, self.bundle) {
            note(reporter, &format!("compose: bringing up project {} on {host}", bundle.project));
            match self.compose_up(compose, host, bundle, self.artifacts, &self.req.release) {
                Ok(changes) => {
                    for (service, change) in &changes {
                        note(reporter, &format!("compose: {service}: {}", change_text(*change)));
                    }
                    out.compose = changes;
                }
                Err(e) => failure = Some(e.to_string()),
            }
        }
        if failure.is_none() {
            (out.smoke, failure) = self.smoke(&out.urls, reporter).await;
        }
        let Some(cause) = failure else { return Ok(()) };
        note(reporter, &format!("demo up failed: {cause}"));
        out.cause = Some(cause);
        match self.req.demo.env.rollback {
            Rollback::Leave => {
                out.outcome = Outcome::Failed;
                out.undone.push(format!(
                    "left as it is for a person to look at (the demo's rollback rule is Leave); `slipway demo down {}` \
                     removes it",
                    self.req.demo.slug.name
                ));
            }
            Rollback::PreviousRelease => {
                let (undone, complete) = match last_good {
                    Some(run) => self.restore(run, reporter).await?,
                    None => self.remove_all(reporter).await,
                };
                out.undone = undone;
                out.outcome = if complete { Outcome::RolledBack } else { Outcome::RollbackIncomplete };
            }
        }
        for line in &out.undone {
            note(reporter, line);
        }
        Ok(())
    }

    /// The image assets the demo's compose file names: built into the store when it lacks them, and pushed
    /// to the registry the demo's host pulls from, before anything of the demo changes.
    async fn images(&self, reporter: &mut dyn Reporter) -> Result<(), OpsError> {
        let demo = self.req.demo;
        let key = ArtifactKey::env_file(self.slug(), crate::synth::ArtifactKind::Compose, COMPOSE_FILE);
        let (Some(_), Some(compose_file)) = (self.compose, self.artifacts.get(&key)) else { return Ok(()) };
        let images = crate::ops::images::images_in(compose_file);
        let mut project = demo.project.clone();
        project.assets.retain(|a| {
            !a.is_file()
                && a.hash.as_ref().is_some_and(|h| images.iter().any(|i| i.ends_with(&format!("/{}:{h}", a.name))))
        });
        if project.assets.is_empty() {
            return Ok(());
        }
        let docker = crate::ops::images::docker();
        let stored = crate::ops::images::keep(self.cx, &docker, &project, &demo.assets, reporter).await?;
        let what = format!("demo {}", demo.slug.name);
        Box::pin(crate::ops::images::publish(self.cx.store, &docker, &what, &stored, compose_file, reporter)).await?;
        Ok(())
    }

    async fn stacks(&self, cloud: &Cloud, plan: &Plan, reporter: &mut dyn Reporter) -> cfn::Applied {
        let options = Options { approval: ApprovalMode::Never, smoke: false, ..self.req.apply.clone() };
        let in_flight = RefCell::new(InFlight::default());
        cfn::run(cloud, plan, &options, reporter, &mut cfn::NoQuestions, &in_flight).await
    }

    /// Brings `files`' compose bundle up on `host` for `release`: what changed, or why it failed.
    fn compose_up(
        &self,
        compose: &Compose,
        host: &DockerHost,
        bundle: &ComposeBundle,
        files: &Artifacts,
        release: &str,
    ) -> Result<BTreeMap<String, ServiceChange>, BundleError> {
        let key = ArtifactKey::env_file(self.slug(), crate::synth::ArtifactKind::Compose, COMPOSE_FILE);
        let compose_file = files.get(&key).map(Vec::as_slice).unwrap_or_default();
        let up = crate::apply::compose::Bundle {
            project: &bundle.project,
            compose_file,
            variables: &bundle.variables,
            release,
        };
        let report = crate::apply::compose::apply(compose, host, &up)?;
        Ok(report.changes.into_iter().collect())
    }

    /// Runs the demo's smoke checks: stack outputs read from its stacks, app URLs from its compose bundle.
    async fn smoke(
        &self,
        urls: &BTreeMap<String, String>,
        reporter: &mut dyn Reporter,
    ) -> (Vec<SmokeResult>, Option<String>) {
        let resolve = async |url: &SmokeUrl| {
            let base = match url {
                SmokeUrl::Service(service) => urls.get(service.as_str()).cloned(),
                SmokeUrl::Stack(output) => {
                    let name = crate::cfn::stack_name(&self.req.demo.project.name, self.slug(), &output.stack);
                    match self.at.cloud {
                        Some(cloud) => cloud
                            .describe_stack(&name)
                            .await
                            .ok()
                            .flatten()
                            .and_then(|s| s.outputs.get(&output.output).cloned()),
                        None => None,
                    }
                }
            };
            base.map(Some).ok_or_else(|| SmokeFailure::NoUrl(format!("{url} has no URL")))
        };
        run_all(&self.req.demo.env.smoke_checks, resolve, &self.req.apply.poll, |text| note(reporter, text)).await
    }

    /// Brings the demo back to run `run`'s bundle: its stacks, then its compose project.
    async fn restore(&self, run: &str, reporter: &mut dyn Reporter) -> Result<(Vec<String>, bool), OpsError> {
        let demo = self.req.demo;
        let slug = self.slug();
        let files = bundle::load(self.cx.store, slug, run).await?;
        let release = self.release_of(run).await?;
        let mut undone = Vec::new();
        let mut complete = true;
        if let (Some(cloud), Some(plan)) = (self.at.cloud, self.plan) {
            let previous = Plan::new(&demo.project.name, &demo.env, &release, &files)?.with_tags(plan.tags.clone());
            let outcome = self.stacks(cloud, &previous, reporter).await;
            match cause_of(&outcome.ending) {
                None => undone.push(format!("the stacks are back on the bundle of release {release}")),
                Some(cause) => {
                    complete = false;
                    undone.push(format!("the stacks could not go back to release {release}: {cause}"));
                }
            }
        }
        if let (Some((compose, host)), Some(bundle)) = (self.compose, self.bundle) {
            match self.compose_up(compose, host, bundle, &files, &release) {
                Ok(_) => undone.push(format!("the compose project is back on release {release}")),
                Err(why) => {
                    complete = false;
                    undone.push(format!("the compose project could not go back to release {release}: {why}"));
                }
            }
        }
        Ok((undone, complete))
    }

    /// The release run `run` of this demo applied, as its started record says.
    async fn release_of(&self, run: &str) -> Result<String, OpsError> {
        let records = ledger::records(self.cx.store, self.slug()).await?;
        Ok(records.iter().find(|r| r.run == run).and_then(|r| r.release.clone()).unwrap_or_default())
    }

    /// Brings down everything a first `up` made: the compose project with its volumes, then the stacks.
    async fn remove_all(&self, reporter: &mut dyn Reporter) -> (Vec<String>, bool) {
        let mut undone = Vec::new();
        let mut complete = true;
        if let (Some((compose, host)), Some(bundle)) = (self.compose, self.bundle) {
            match compose.down(&bundle.project, host, true) {
                Ok(_) => undone.push(format!("compose project {} removed with its volumes", bundle.project)),
                Err(e) => {
                    complete = false;
                    undone.push(format!("compose project {} could not be removed: {e}", bundle.project));
                }
            }
        }
        if let (Some(cloud), Some(plan)) = (self.at.cloud, self.plan) {
            for (stack, fate) in cfn::remove(cloud, plan, &[], self.req.apply, reporter).await {
                match fate {
                    Removed::Deleted => undone.push(format!("{stack} deleted")),
                    Removed::Absent => {}
                    Removed::Stuck(why) => {
                        complete = false;
                        undone.push(format!("{stack} could not be deleted: {why}"));
                    }
                }
            }
        }
        if complete {
            undone.push("nothing of the demo is left".into());
        }
        (undone, complete)
    }
}

fn change_text(change: ServiceChange) -> &'static str {
    match change {
        ServiceChange::Created => "created",
        ServiceChange::Recreated => "recreated",
        ServiceChange::Started => "started",
        ServiceChange::Unchanged => "unchanged",
        ServiceChange::Removed => "removed",
    }
}
