//! Deploying an environment's CloudFormation stacks, and leaving the environment either wholly on the new
//! release or wholly back on the one it had.
//!
//! Before changing anything the deploy records every stack's template and parameters ([`record`]). Stacks
//! then deploy in dependency order, independent ones in parallel ([`schedule`]), each through a change set
//! that is shown as a property-level diff, gated and executed, and waited on ([`stack`], [`gate`]). When
//! any stack fails, or a smoke check fails afterwards ([`smoke`]), the stacks this deploy already changed
//! are returned to what was recorded: updated stacks get their previous template and parameters back,
//! newly created ones are deleted. CloudFormation's own rollback of the failed stack is waited on,
//! continued when it fails, and its root cause reported ([`root_cause`]). After the smoke checks the
//! environment's alarms are watched for its bake time; one that goes off rolls back the same way
//! ([`bake`]).

mod bake;
mod gate;
mod plan;
mod record;
mod remove;
mod root_cause;
mod schedule;
mod smoke;
mod stack;
mod summary;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub use crate::apply::report::{EventLines, Report, Reporter};
pub use crate::apply::smoke::SmokeResult;
pub use bake::{AlarmHit, Baked};
pub use gate::{ApprovalMode, Approver};
pub use plan::{Plan, PlanError, StackPlan};
pub use remove::{NoQuestions, Removed, remove};
pub use root_cause::root_cause;
pub use summary::{result_text, summary};

use crate::cloud::{Cloud, Poll};
use record::Previous;

/// Choices for one deploy.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many stacks may change at once.
    pub concurrency: usize,
    /// Which changes need approval.
    pub approval: ApprovalMode,
    /// Approve every gated change without asking.
    pub yes: bool,
    /// Whether a person can be asked (a terminal is attached).
    pub interactive: bool,
    /// Logical IDs to skip when continuing a failed rollback.
    pub skip_resources: Vec<String>,
    /// How long to wait for an operation someone else started before giving up.
    pub in_progress_wait: Duration,
    /// How often to poll.
    pub poll: Poll,
    /// Where templates too large to pass inline are uploaded.
    pub artifacts_bucket: Option<String>,
    /// Run the environment's smoke checks after the last stack.
    pub smoke: bool,
    /// Watch the environment's alarms for its bake time after the smoke checks.
    pub bake: bool,
}

/// The change sets in flight during this run, kept outside the deploy so that an interruption can still
/// report them.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    /// Change sets executed: stack name and change set ARN, in order.
    pub executed: Vec<(String, String)>,
    /// Stacks with an operation this deploy started and has not seen finish.
    pub changing: BTreeSet<String>,
}

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
pub enum Ending {
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
    /// The deploy was refused before it changed anything: a stack that must be seen to first, a change
    /// that needs an approval it did not get.
    Refused {
        /// Why.
        reason: String,
    },
    /// A CloudFormation call failed before anything changed.
    CloudFailed {
        /// What failed.
        reason: String,
    },
}

/// What the deploy did.
#[derive(Clone, Debug)]
pub struct Applied {
    /// How it ended.
    pub ending: Ending,
    /// Each stack's result, in plan order (CloudFormation stack names).
    pub stacks: Vec<(String, StackResult)>,
    /// What the environment rollback did to each stack it touched.
    pub restored: Vec<(String, String)>,
    /// The smoke checks run, in order, up to the first that failed.
    pub smoke: Vec<SmokeResult>,
    /// The bake, when the environment's alarms were watched (boxed: most deploys have none).
    pub bake: Option<Box<Baked>>,
}

impl Applied {
    /// Folds in what putting back another target of the same run did, once the stacks did not end deployed:
    /// `restored` (a line each) after the stacks' own, `stuck` (what could not go back, naming it) making
    /// the rollback incomplete; a refusal or a cloud failure of the stacks, when the other target had
    /// `changed`, is a rollback of the whole run.
    pub fn with_others_put_back(&mut self, restored: Vec<(String, String)>, stuck: Vec<String>, changed: bool) {
        self.restored.extend(restored);
        self.ending = match std::mem::replace(&mut self.ending, Ending::Deployed) {
            Ending::RollbackIncomplete { cause, stuck: mut before } => {
                before.extend(stuck);
                Ending::RollbackIncomplete { cause, stuck: before }
            }
            Ending::RolledBack { cause }
            | Ending::Refused { reason: cause }
            | Ending::CloudFailed { reason: cause }
                if !stuck.is_empty() =>
            {
                Ending::RollbackIncomplete { cause, stuck }
            }
            Ending::Refused { reason: cause } | Ending::CloudFailed { reason: cause } if changed => {
                Ending::RolledBack { cause }
            }
            ending => ending,
        };
    }
}

/// Everything one deploy works with; each concern adds its methods in its own file.
struct Deploy<'a> {
    cloud: &'a Cloud,
    plan: &'a Plan,
    opts: &'a Options,
    reporter: RefCell<&'a mut dyn Reporter>,
    approver: RefCell<&'a mut dyn Approver>,
    in_flight: &'a RefCell<InFlight>,
    previous: BTreeMap<String, Previous>,
    bucket: Option<String>,
    change_set_name: String,
    /// The alarms CloudFormation watches during each stack change, when the environment has any.
    triggers: Option<crate::cloud::RollbackTriggers>,
}

/// The environment's other targets (its compose hosts), applied in the same run as its stacks: after them
/// and before the smoke checks. When they fail, or a smoke check fails after them, they are undone first
/// and then the stacks are rolled back, so that the whole environment goes back together.
#[allow(async_fn_in_trait)]
pub trait AfterStacks {
    /// Applies them: why they failed, when they did (after going back themselves where they can).
    async fn apply(&mut self, reporter: &mut dyn Reporter) -> Result<(), String>;
    /// Brings every one that [`AfterStacks::apply`] changed back to what it ran before: a line each for
    /// what went back, and what could not.
    async fn undo(&mut self, reporter: &mut dyn Reporter) -> Undone;
}

/// What [`AfterStacks::undo`] did.
#[derive(Clone, Debug, Default)]
pub struct Undone {
    /// What went back, a line each.
    pub restored: Vec<(String, String)>,
    /// What could not, a line each naming it.
    pub stuck: Vec<String>,
}

/// No other targets: the stacks alone.
pub struct StacksOnly;

impl AfterStacks for StacksOnly {
    async fn apply(&mut self, _: &mut dyn Reporter) -> Result<(), String> {
        Ok(())
    }

    async fn undo(&mut self, _: &mut dyn Reporter) -> Undone {
        Undone::default()
    }
}

/// The deploy's reporter lent to the other targets, borrowed for one report at a time (never across an
/// `await`).
struct Forward<'r, 'a>(&'r RefCell<&'a mut dyn Reporter>);

impl Reporter for Forward<'_, '_> {
    fn report(&mut self, report: Report<'_>) {
        self.0.borrow_mut().report(report);
    }
}

/// Deploys `plan`. Every failure is described by the [`Applied`]: before anything changed, as a refusal
/// or a cloud failure; after, by the rollback that followed.
pub async fn run(
    cloud: &Cloud,
    plan: &Plan,
    opts: &Options,
    reporter: &mut dyn Reporter,
    approver: &mut dyn Approver,
    in_flight: &RefCell<InFlight>,
) -> Applied {
    run_with(cloud, plan, opts, reporter, approver, in_flight, &mut StacksOnly).await
}

/// [`run`], with the environment's other targets applied after the stacks and before the smoke checks,
/// all or nothing with them.
pub async fn run_with<A: AfterStacks>(
    cloud: &Cloud,
    plan: &Plan,
    opts: &Options,
    reporter: &mut dyn Reporter,
    approver: &mut dyn Approver,
    in_flight: &RefCell<InFlight>,
    after: &mut A,
) -> Applied {
    let mut d = Deploy {
        cloud,
        plan,
        opts,
        reporter: RefCell::new(reporter),
        approver: RefCell::new(approver),
        in_flight,
        previous: BTreeMap::new(),
        bucket: opts.artifacts_bucket.clone(),
        change_set_name: change_set_name(&plan.release),
        triggers: None,
    };
    let not_started = |verdict: Ending| Applied {
        ending: verdict,
        stacks: plan.stacks.iter().map(|s| (s.name.clone(), StackResult::NotStarted)).collect(),
        restored: vec![],
        smoke: vec![],
        bake: None,
    };
    d.note(&format!(
        "deploying release {} to {} (account {}, {}): {} stack(s)",
        plan.release,
        plan.env.name,
        plan.env.aws_target().map(|t| t.account.as_str()).unwrap_or("?"),
        cloud.region,
        plan.stacks.len()
    ));
    if let Err(verdict) = d.record().await {
        return not_started(verdict);
    }
    if let Some(reason) = d.refuse_unapprovable() {
        return not_started(Ending::Refused { reason });
    }
    d.triggers = d.rollback_triggers().await;
    let results = d.deploy_all().await;
    let mut cause = plan.stacks.iter().find_map(|s| results.get(&s.short).and_then(|r| r.cause(&s.name)));
    let mut applied_after = false;
    if cause.is_none() {
        applied_after = true;
        cause = after.apply(&mut Forward(&d.reporter)).await.err();
    }
    let mut smoke = Vec::new();
    if cause.is_none() && opts.smoke {
        (smoke, cause) = d.smoke().await;
    }
    let mut bake = None;
    if cause.is_none()
        && opts.bake
        && let Some((baked, failed)) = d.bake().await
    {
        (bake, cause) = (Some(Box::new(baked)), failed);
    }
    let stacks: Vec<(String, StackResult)> = plan
        .stacks
        .iter()
        .map(|s| (s.name.clone(), results.get(&s.short).cloned().unwrap_or(StackResult::NotStarted)))
        .collect();
    let Some(cause) = cause else {
        d.note(&format!("deployed release {} to {}", plan.release, plan.env.name));
        return Applied { ending: Ending::Deployed, stacks, restored: vec![], smoke, bake };
    };
    let nothing_changed = stacks
        .iter()
        .all(|(_, r)| !r.changed() && !matches!(r, StackResult::Failed { .. } | StackResult::Stuck { .. }));
    if nothing_changed && stacks.iter().any(|(_, r)| matches!(r, StackResult::Declined(_))) {
        d.note(&format!("not deployed: {cause}"));
        return Applied { ending: Ending::Refused { reason: cause }, stacks, restored: vec![], smoke, bake };
    }
    d.note(&format!("deploy failed: {cause}"));
    let undone = if applied_after { after.undo(&mut Forward(&d.reporter)).await } else { Undone::default() };
    let (mut restored, mut stuck) = d.roll_back(&results, &stacks).await;
    restored.splice(0..0, undone.restored);
    stuck.splice(0..0, undone.stuck);
    let verdict =
        if stuck.is_empty() { Ending::RolledBack { cause } } else { Ending::RollbackIncomplete { cause, stuck } };
    Applied { ending: verdict, stacks, restored, smoke, bake }
}

/// A change set name unique to this deploy: letters, digits and hyphens, starting with a letter. The
/// `slipway-` prefix marks it as slipway's, so a later deploy may delete it as a leftover.
fn change_set_name(release: &str) -> String {
    let release: String = release.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
    format!("{}{release}-{millis}", record::CHANGE_SET_PREFIX)
}

impl Deploy<'_> {
    fn note(&self, text: &str) {
        self.reporter.borrow_mut().report(Report::Note(text));
    }

    fn phase(&self, stack: &str, text: &str) {
        self.reporter.borrow_mut().report(Report::Phase { stack, text });
    }
}
