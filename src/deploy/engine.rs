//! The deploy itself: record, deploy in dependency order, check, and roll the environment back as a whole
//! when anything fails.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::cloud::{ChangeSetOutcome, ChangeSetRequest, Cloud, CloudError, StackEvent, StackState};

use super::plan::{Plan, StackPlan};
use super::report::{Report, Reporter};
use super::{ApprovalMode, Approver, Options};

/// What happened to one stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackResult {
    /// The deploy stopped before reaching it.
    NotStarted,
    /// It already matched the definitions.
    Unchanged,
    /// It did not exist and was created.
    Created,
    /// It was updated.
    Updated,
    /// CloudFormation refused the change set; nothing was executed.
    Refused(String),
    /// The change needed approval and did not get it; nothing was executed.
    Declined(String),
    /// It was changed and failed; CloudFormation's rollback (or the deletion of a failed create) finished.
    Failed {
        /// The first failure CloudFormation reported, or the API error.
        root_cause: String,
        /// Where the stack ended.
        state: String,
    },
    /// It failed and could not be brought back: a person must look at it.
    Stuck {
        /// The first failure CloudFormation reported.
        root_cause: String,
        /// The stack's status now.
        status: String,
    },
}

impl StackResult {
    fn changed(&self) -> bool {
        matches!(self, StackResult::Created | StackResult::Updated)
    }

    fn ok(&self) -> bool {
        matches!(self, StackResult::Created | StackResult::Updated | StackResult::Unchanged)
    }

    fn cause(&self, stack: &str) -> Option<String> {
        match self {
            StackResult::Refused(r) => Some(format!("{stack}: CloudFormation refused the change set: {r}")),
            StackResult::Declined(r) => Some(format!("{stack}: {r}")),
            StackResult::Failed { root_cause, .. } | StackResult::Stuck { root_cause, .. } => {
                Some(format!("{stack}: {root_cause}"))
            }
            _ => None,
        }
    }
}

/// How the deploy ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every stack is on the new release (or already was) and the smoke checks passed.
    Deployed,
    /// Something failed; every stack this deploy changed is back where it was.
    RolledBack {
        /// The first failure.
        cause: String,
    },
    /// Something failed and some stacks could not be brought back.
    RollbackIncomplete {
        /// The first failure.
        cause: String,
        /// The stacks that need a person, with why.
        stuck: Vec<String>,
    },
    /// The deploy did not start: nothing was changed.
    Blocked {
        /// Why.
        reason: String,
    },
}

/// What the deploy did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// How it ended.
    pub verdict: Verdict,
    /// Each stack's result, in plan order (CloudFormation stack names).
    pub stacks: Vec<(String, StackResult)>,
    /// What the environment rollback did to each stack it touched.
    pub restored: Vec<(String, String)>,
}

/// What has been done so far, kept outside the deploy so that an interruption can still report it.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Change sets executed: stack name and change set ARN, in order.
    pub executed: Vec<(String, String)>,
    /// Stacks with an operation this deploy started and has not seen finish.
    pub changing: BTreeSet<String>,
}

/// A stack as it was before the deploy.
#[derive(Clone, Debug)]
struct Previous {
    /// Its state, when it existed (and was not an empty leftover).
    state: Option<StackState>,
    /// Its template, when it existed.
    template: String,
    /// A leftover of a failed create (`ROLLBACK_COMPLETE`, `REVIEW_IN_PROGRESS`) to delete before creating.
    stale: bool,
}

/// Statuses of a stack that holds nothing and must be deleted before it can be created again.
const STALE: [&str; 4] = ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS", "CREATE_FAILED"];

/// Resource types whose changes can widen who may do what: a `broadening` gate stops for these.
const SECURITY_TYPES: [&str; 10] = [
    "AWS::IAM::",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::NetworkAcl",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::KMS::",
    "AWS::Lambda::Permission",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::ApiGateway::Authorizer",
];

struct Deploy<'a> {
    cloud: &'a Cloud,
    plan: &'a Plan,
    opts: &'a Options,
    reporter: RefCell<&'a mut dyn Reporter>,
    approver: RefCell<&'a mut dyn Approver>,
    ledger: &'a RefCell<Ledger>,
    previous: BTreeMap<String, Previous>,
    bucket: Option<String>,
    change_set_name: String,
}

/// Deploys `plan`. `Err` only for failures before anything changed; every later failure ends in a rollback
/// and is described by the [`Outcome`].
pub async fn run(
    cloud: &Cloud,
    plan: &Plan,
    opts: &Options,
    reporter: &mut dyn Reporter,
    approver: &mut dyn Approver,
    ledger: &RefCell<Ledger>,
) -> Outcome {
    let mut d = Deploy {
        cloud,
        plan,
        opts,
        reporter: RefCell::new(reporter),
        approver: RefCell::new(approver),
        ledger,
        previous: BTreeMap::new(),
        bucket: opts.artifacts_bucket.clone(),
        change_set_name: change_set_name(&plan.release),
    };
    let all_stacks = |result: StackResult| plan.stacks.iter().map(|s| (s.name.clone(), result.clone())).collect();
    d.note(&format!(
        "deploying release {} to {} (account {}, {}): {} stack(s)",
        plan.release,
        plan.env.name,
        plan.env.aws_target().map(|t| t.account.as_str()).unwrap_or("?"),
        cloud.region,
        plan.stacks.len()
    ));
    if let Err(reason) = d.record().await {
        return Outcome {
            verdict: Verdict::Blocked { reason },
            stacks: all_stacks(StackResult::NotStarted),
            restored: vec![],
        };
    }
    let results = d.deploy_all().await;
    let mut cause = plan.stacks.iter().find_map(|s| results.get(&s.short).and_then(|r| r.cause(&s.name)));
    if cause.is_none() && opts.smoke {
        cause = d.smoke().await;
    }
    let stacks: Vec<(String, StackResult)> = plan
        .stacks
        .iter()
        .map(|s| (s.name.clone(), results.get(&s.short).cloned().unwrap_or(StackResult::NotStarted)))
        .collect();
    let Some(cause) = cause else {
        d.note(&format!("deployed release {} to {}", plan.release, plan.env.name));
        return Outcome { verdict: Verdict::Deployed, stacks, restored: vec![] };
    };
    d.note(&format!("deploy failed: {cause}"));
    let mut stuck: Vec<String> = stacks
        .iter()
        .filter_map(|(name, r)| match r {
            StackResult::Stuck { status, .. } => Some(format!("{name} is {status}")),
            _ => None,
        })
        .collect();
    // Reverse dependency order: a stack is restored before the stacks it depends on, and the order does not
    // depend on which of two parallel stacks happened to finish first.
    let changed: Vec<&str> = plan
        .stacks
        .iter()
        .rev()
        .filter(|s| results.get(&s.short).is_some_and(StackResult::changed))
        .map(|s| s.short.as_str())
        .collect();
    let mut restored = Vec::new();
    if !changed.is_empty() {
        d.note(&format!("returning {} stack(s) this deploy changed to what they were", changed.len()));
    }
    for short in changed {
        let sp = plan.stacks.iter().find(|s| s.short == short).expect("a planned stack");
        match d.restore(sp).await {
            Ok(what) => restored.push((sp.name.clone(), what)),
            Err(why) => {
                stuck.push(format!("{} could not be restored: {why}", sp.name));
                restored.push((sp.name.clone(), format!("NOT restored: {why}")));
            }
        }
    }
    let verdict =
        if stuck.is_empty() { Verdict::RolledBack { cause } } else { Verdict::RollbackIncomplete { cause, stuck } };
    Outcome { verdict, stacks, restored }
}

/// A change set name unique to this deploy: letters, digits and hyphens, starting with a letter.
fn change_set_name(release: &str) -> String {
    let release: String = release.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    format!("slipway-{release}-{millis}")
}

impl Deploy<'_> {
    fn note(&self, text: &str) {
        self.reporter.borrow_mut().report(Report::Note(text));
    }

    fn phase(&self, stack: &str, text: &str) {
        self.reporter.borrow_mut().report(Report::Phase { stack, text });
    }

    /// Records every stack's state and template; refuses to start when a stack is busy or broken.
    async fn record(&mut self) -> Result<(), String> {
        for sp in &self.plan.stacks {
            let mut state = self.cloud.describe_stack(&sp.name).await.map_err(|e| e.to_string())?;
            if state.as_ref().is_some_and(StackState::in_progress) {
                state = self.wait_for_other(&sp.name).await?;
            }
            let previous = match state {
                None => Previous { state: None, template: String::new(), stale: false },
                Some(s) if s.status == "DELETE_COMPLETE" => {
                    Previous { state: None, template: String::new(), stale: false }
                }
                Some(s) if STALE.contains(&s.status.as_str()) => {
                    Previous { state: None, template: String::new(), stale: true }
                }
                Some(s) if s.status == "UPDATE_ROLLBACK_FAILED" => {
                    return Err(format!(
                        "stack {} is UPDATE_ROLLBACK_FAILED from an earlier operation; finish that rollback first \
                         (`aws cloudformation continue-update-rollback --stack-name {}`), then deploy again",
                        sp.name, sp.name
                    ));
                }
                Some(s) => {
                    let template = self.cloud.get_template(&sp.name).await.map_err(|e| e.to_string())?;
                    if self.bucket.is_none() {
                        self.bucket = s.outputs.get("ArtifactsBucketName").cloned();
                    }
                    Previous { state: Some(s), template, stale: false }
                }
            };
            self.previous.insert(sp.short.clone(), previous);
        }
        if let Some(big) = self.plan.stacks.iter().find(|s| s.needs_upload() || self.previous_needs_upload(s)) {
            if self.bucket.is_none() {
                return Err(format!(
                    "the template of stack {} is over 51,200 bytes and must go through S3, but no artifacts bucket \
                     is known; pass --artifacts-bucket NAME (or deploy the deploy-role stack first)",
                    big.name
                ));
            }
        }
        Ok(())
    }

    fn previous_needs_upload(&self, sp: &StackPlan) -> bool {
        self.previous.get(&sp.short).is_some_and(|p| p.template.len() > crate::cfn::validate::limits::INLINE_BODY)
    }

    /// Waits, within the configured bound, for an operation somebody else started on `stack`.
    async fn wait_for_other(&self, stack: &str) -> Result<Option<StackState>, String> {
        let deadline = tokio::time::Instant::now() + self.opts.in_progress_wait;
        let mut delay = self.opts.poll.start();
        loop {
            let state = self.cloud.describe_stack(stack).await.map_err(|e| e.to_string())?;
            match &state {
                Some(s) if s.in_progress() => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(format!(
                            "stack {stack} is still {} after waiting {}s for an operation this deploy did not start; \
                             look at it with `aws cloudformation describe-stack-events --stack-name {stack}` and \
                             deploy again when it has finished",
                            s.status,
                            self.opts.in_progress_wait.as_secs()
                        ));
                    }
                    self.phase(stack, &format!("waiting for {} (started elsewhere) to finish", s.status));
                }
                _ => return Ok(state),
            }
            delay = self.opts.poll.wait(delay).await;
        }
    }

    /// Deploys every stack in dependency order, up to `concurrency` at once; stops starting new ones after a
    /// failure. Returns each stack's result.
    async fn deploy_all(&self) -> BTreeMap<String, StackResult> {
        let mut results: BTreeMap<String, StackResult> = BTreeMap::new();
        let mut started: BTreeSet<String> = BTreeSet::new();
        let mut running = FuturesUnordered::new();
        let mut failed = false;
        loop {
            if !failed {
                for sp in &self.plan.stacks {
                    if running.len() >= self.opts.concurrency.max(1) {
                        break;
                    }
                    let ready = !started.contains(&sp.short)
                        && sp.depends_on.iter().all(|d| results.get(d).is_some_and(StackResult::ok));
                    if ready {
                        started.insert(sp.short.clone());
                        running.push(async move { (sp.short.clone(), self.deploy_stack(sp).await) });
                    }
                }
            }
            let Some((short, result)) = running.next().await else { break };
            failed |= !result.ok();
            results.insert(short, result);
        }
        results
    }

    fn body_or_url<'t>(&self, template: &'t str, url: &'t Option<String>) -> (Option<&'t str>, Option<&'t str>) {
        match url {
            Some(u) => (None, Some(u.as_str())),
            None => (Some(template), None),
        }
    }

    /// Uploads `template` when it is too large to pass inline.
    async fn upload_if_large(&self, sp: &StackPlan, template: &str, what: &str) -> Result<Option<String>, CloudError> {
        if template.len() <= crate::cfn::validate::limits::INLINE_BODY {
            return Ok(None);
        }
        let bucket = self.bucket.as_deref().expect("record() refused large templates without a bucket");
        let key = format!("slipway/{}/{}/{}-{what}.template.json", self.plan.env.name, self.change_set_name, sp.short);
        self.phase(&sp.name, &format!("uploading the {}-byte template to s3://{bucket}/{key}", template.len()));
        self.cloud.upload_template(bucket, &key, template).await.map(Some)
    }

    async fn deploy_stack(&self, sp: &StackPlan) -> StackResult {
        let name = sp.name.as_str();
        let previous = &self.previous[&sp.short];
        if previous.stale {
            self.phase(name, "deleting the empty stack an earlier failed create left behind");
            if let Err(e) = self.delete_and_wait(name).await {
                return StackResult::Failed { root_cause: e, state: "unchanged".into() };
            }
        }
        let url = match self.upload_if_large(sp, &sp.template, "new").await {
            Ok(url) => url,
            Err(e) => return StackResult::Failed { root_cause: e.to_string(), state: "unchanged".into() },
        };
        let (template_body, template_url) = self.body_or_url(&sp.template, &url);
        let create = previous.state.is_none();
        self.phase(name, "creating change set");
        let request = ChangeSetRequest {
            stack: name,
            name: &self.change_set_name,
            create,
            template_body,
            template_url,
            parameters: &sp.parameters,
            tags: &self.plan.tags,
        };
        let change_set = match self.cloud.create_change_set(&request, &self.opts.poll).await {
            Ok(ChangeSetOutcome::Ready(cs)) => cs,
            Ok(ChangeSetOutcome::NoChanges) => {
                self.phase(name, "unchanged");
                return StackResult::Unchanged;
            }
            Ok(ChangeSetOutcome::Failed(reason)) => {
                self.phase(name, "failed: CloudFormation refused the change set");
                if create {
                    // A refused create leaves an empty REVIEW_IN_PROGRESS stack behind.
                    let _ = self.delete_and_wait(name).await;
                }
                return StackResult::Refused(reason);
            }
            Err(e) => return StackResult::Failed { root_cause: e.to_string(), state: "unchanged".into() },
        };
        self.reporter.borrow_mut().report(Report::Changes { stack: name, changes: &change_set.changes });
        if let Some(why) = self.gate(name, &change_set.changes) {
            let _ = self.cloud.delete_change_set(name, &change_set.id).await;
            if create {
                let _ = self.delete_and_wait(name).await;
            }
            self.phase(name, "failed: not approved");
            return StackResult::Declined(why);
        }
        let since = match self.cloud.latest_event_id(name).await {
            Ok(id) => id,
            Err(e) => return StackResult::Failed { root_cause: e.to_string(), state: "unchanged".into() },
        };
        self.phase(name, "executing change set");
        {
            let mut ledger = self.ledger.borrow_mut();
            ledger.changing.insert(name.to_string());
        }
        if let Err(e) = self.cloud.execute_change_set(name, &change_set.id).await {
            self.ledger.borrow_mut().changing.remove(name);
            return StackResult::Failed { root_cause: e.to_string(), state: "unchanged".into() };
        }
        self.ledger.borrow_mut().executed.push((name.to_string(), change_set.id.clone()));
        let (state, events) = match self.wait(name, since).await {
            Ok(x) => x,
            Err(e) => {
                return StackResult::Stuck { root_cause: e.to_string(), status: "unknown (could not be read)".into() };
            }
        };
        let status = state.as_ref().map(|s| s.status.clone()).unwrap_or_else(|| "DELETE_COMPLETE".into());
        let result = self.settle(sp, &status, &events).await;
        self.ledger.borrow_mut().changing.remove(name);
        result
    }

    /// Turns the status an executed change set ended in into a result, finishing what CloudFormation's own
    /// rollback leaves to do: deleting a failed create, continuing a failed update rollback.
    async fn settle(&self, sp: &StackPlan, status: &str, events: &[StackEvent]) -> StackResult {
        let name = sp.name.as_str();
        let root_cause = root_cause(events).unwrap_or_else(|| format!("the stack ended {status}"));
        match status {
            "CREATE_COMPLETE" => {
                self.phase(name, "CREATE_COMPLETE");
                StackResult::Created
            }
            "UPDATE_COMPLETE" => {
                self.phase(name, "UPDATE_COMPLETE");
                StackResult::Updated
            }
            "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => {
                self.phase(
                    name,
                    &format!("failed: {status}; deleting the failed stack so the next deploy can create it"),
                );
                match self.delete_and_wait(name).await {
                    Ok(()) => {
                        StackResult::Failed { root_cause, state: "create failed; the empty stack was deleted".into() }
                    }
                    Err(e) => {
                        StackResult::Stuck { root_cause, status: format!("{status}, and deleting it failed: {e}") }
                    }
                }
            }
            "UPDATE_ROLLBACK_COMPLETE" => {
                self.phase(name, "failed: UPDATE_ROLLBACK_COMPLETE");
                StackResult::Failed { root_cause, state: "CloudFormation rolled the update back".into() }
            }
            "UPDATE_ROLLBACK_FAILED" => {
                let skip = &self.opts.skip_resources;
                self.phase(
                    name,
                    &format!(
                        "UPDATE_ROLLBACK_FAILED: continuing the rollback{}",
                        if skip.is_empty() { String::new() } else { format!(", skipping {}", skip.join(", ")) }
                    ),
                );
                let last = events.last().map(|e| e.id.clone());
                if let Err(e) = self.cloud.continue_update_rollback(name, skip).await {
                    return StackResult::Stuck { root_cause, status: format!("UPDATE_ROLLBACK_FAILED ({e})") };
                }
                match self.wait(name, last).await {
                    Ok((Some(s), _)) if s.status == "UPDATE_ROLLBACK_COMPLETE" => {
                        self.phase(name, "failed: UPDATE_ROLLBACK_COMPLETE after continuing the rollback");
                        StackResult::Failed {
                            root_cause,
                            state: if skip.is_empty() {
                                "the rollback failed; slipway continued it to UPDATE_ROLLBACK_COMPLETE".into()
                            } else {
                                format!(
                                    "the rollback failed; slipway continued it to UPDATE_ROLLBACK_COMPLETE, skipping {}",
                                    skip.join(", ")
                                )
                            },
                        }
                    }
                    Ok((s, _)) => {
                        StackResult::Stuck { root_cause, status: s.map(|s| s.status).unwrap_or_else(|| "gone".into()) }
                    }
                    Err(e) => StackResult::Stuck { root_cause, status: format!("unknown ({e})") },
                }
            }
            other => StackResult::Stuck { root_cause, status: other.to_string() },
        }
    }

    /// Polls `stack` until no operation is in progress, reporting each new event. Returns the final state
    /// (`None` once the stack is gone) and the events seen, oldest first.
    async fn wait(
        &self,
        stack: &str,
        mut since: Option<String>,
    ) -> Result<(Option<StackState>, Vec<StackEvent>), CloudError> {
        let mut seen = Vec::new();
        let mut delay = self.opts.poll.start();
        loop {
            let state = self.cloud.describe_stack(stack).await?;
            let mut events = self.cloud.events_since(stack, since.as_deref()).await.or_else(|e| {
                // A deleted stack has no events to read any more.
                if state.is_none() { Ok(Vec::new()) } else { Err(e) }
            })?;
            events.reverse();
            for event in &events {
                self.reporter.borrow_mut().report(Report::Event { stack, event });
            }
            if let Some(last) = events.last() {
                since = Some(last.id.clone());
            }
            seen.extend(events);
            match &state {
                Some(s) if s.in_progress() => {
                    self.phase(stack, &s.status);
                }
                _ => return Ok((state, seen)),
            }
            delay = self.opts.poll.wait(delay).await;
        }
    }

    async fn delete_and_wait(&self, stack: &str) -> Result<(), String> {
        let since = self.cloud.latest_event_id(stack).await.ok().flatten();
        self.cloud.delete_stack(stack).await.map_err(|e| e.to_string())?;
        match self.wait(stack, since).await.map_err(|e| e.to_string())? {
            (None, _) => Ok(()),
            (Some(s), _) if s.status == "DELETE_COMPLETE" => Ok(()),
            (Some(s), events) => Err(format!(
                "it ended {}{}",
                s.status,
                root_cause(&events).map(|c| format!(": {c}")).unwrap_or_default()
            )),
        }
    }

    /// `Some(why)` when the change set needs an approval it did not get.
    fn gate(&self, stack: &str, changes: &[crate::cloud::ResourceChange]) -> Option<String> {
        let needs = match self.opts.approval {
            ApprovalMode::Never => false,
            ApprovalMode::AnyChange => !changes.is_empty(),
            ApprovalMode::Broadening => {
                changes.iter().any(|c| SECURITY_TYPES.iter().any(|t| c.resource_type.starts_with(t)))
            }
        };
        if !needs || self.opts.yes {
            return None;
        }
        let what = match self.opts.approval {
            ApprovalMode::AnyChange => "changes",
            _ => "changes security-relevant resources (IAM, security groups, policies, permissions)",
        };
        if !self.opts.interactive {
            return Some(format!(
                "the change set {what} and needs approval, but there is no terminal to ask on; review it and rerun \
                 with --yes, or with --require-approval never"
            ));
        }
        if self.approver.borrow_mut().approve(stack, changes) {
            None
        } else {
            Some(format!("the change set {what} and was not approved"))
        }
    }

    /// Runs the smoke checks; `Some(cause)` for the first that fails.
    async fn smoke(&self) -> Option<String> {
        for check in &self.plan.smoke_checks {
            let stack = self.plan.stacks.iter().find(|s| s.short == check.url.stack)?;
            let url = match self.cloud.describe_stack(&stack.name).await {
                Ok(Some(s)) => s.outputs.get(&check.url.output).cloned(),
                _ => None,
            };
            let Some(url) = url else {
                return Some(format!(
                    "smoke check `{}`: stack {} has no output `{}` to read the URL from",
                    check.name, stack.name, check.url.output
                ));
            };
            self.note(&format!("smoke check `{}`: GET {url}{}", check.name, check.path));
            match super::smoke::run(check, &url, &self.opts.poll).await {
                Ok(status) => self.note(&format!("smoke check `{}` passed ({status})", check.name)),
                Err(why) => return Some(format!("smoke check `{}` failed: {why}", check.name)),
            }
        }
        None
    }

    /// Returns one stack this deploy changed to what was recorded: deletes it if it did not exist, else
    /// deploys its previous template and parameters again.
    async fn restore(&self, sp: &StackPlan) -> Result<String, String> {
        let name = sp.name.as_str();
        let previous = &self.previous[&sp.short];
        let Some(state) = &previous.state else {
            self.phase(name, "rolling back: deleting the stack this deploy created");
            self.delete_and_wait(name).await?;
            self.phase(name, "deleted (rolled back)");
            return Ok("deleted: it did not exist before this deploy".into());
        };
        self.phase(name, "rolling back: restoring the previous template and parameters");
        let url = self.upload_if_large(sp, &previous.template, "previous").await.map_err(|e| e.to_string())?;
        let (template_body, template_url) = self.body_or_url(&previous.template, &url);
        let name_for_restore = format!("{}-restore", self.change_set_name);
        let request = ChangeSetRequest {
            stack: name,
            name: &name_for_restore,
            create: false,
            template_body,
            template_url,
            parameters: &state.parameters,
            tags: &state.tags,
        };
        let cs = match self.cloud.create_change_set(&request, &self.opts.poll).await.map_err(|e| e.to_string())? {
            ChangeSetOutcome::NoChanges => return Ok("already as it was".into()),
            ChangeSetOutcome::Failed(reason) => return Err(format!("CloudFormation refused the restore: {reason}")),
            ChangeSetOutcome::Ready(cs) => cs,
        };
        let since = self.cloud.latest_event_id(name).await.ok().flatten();
        self.cloud.execute_change_set(name, &cs.id).await.map_err(|e| e.to_string())?;
        self.ledger.borrow_mut().executed.push((name.to_string(), cs.id.clone()));
        match self.wait(name, since).await.map_err(|e| e.to_string())? {
            (Some(s), _) if s.status == "UPDATE_COMPLETE" => {
                self.phase(name, "restored (rolled back)");
                Ok("restored to its previous template and parameters".into())
            }
            (s, events) => Err(format!(
                "the restore ended {}{}",
                s.map(|s| s.status).unwrap_or_else(|| "with the stack gone".into()),
                root_cause(&events).map(|c| format!(": {c}")).unwrap_or_default()
            )),
        }
    }
}

/// The first failure among `events` (oldest first): what went wrong before everything else was cancelled.
pub fn root_cause(events: &[StackEvent]) -> Option<String> {
    let failed = |e: &&StackEvent| e.status.ends_with("_FAILED");
    let cancelled =
        |e: &&StackEvent| e.reason.as_deref().is_some_and(|r| r.contains("cancelled") || r.contains("canceled"));
    let first = events.iter().filter(failed).find(|e| !cancelled(e)).or_else(|| events.iter().find(failed))?;
    Some(format!(
        "{} ({}) {}: {}",
        first.logical_id,
        first.resource_type,
        first.status,
        first.reason.as_deref().unwrap_or("no reason given")
    ))
}
