//! `slipway deploy`: what CI runs after a merge. It either leaves the environment on the new release or
//! brings it back to where it was, says which happened and why, and the ledger records it.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::context::{self, StoreArgs};
use super::{CliError, Exit, Ui};
use crate::apply::cloudformation::{ApprovalMode, Approver, EventLines, InFlight, LiveView, Options, Reporter};
use crate::clock::SystemClock;
use crate::cloud::{Connector, Poll, Settings};
use crate::diff::StackDiff;
use crate::ledger::{Approval, Kind};
use crate::model::Project;
use crate::ops::Context;
use crate::ops::deploy::{End, LockOptions, Request};
use crate::release::Created;
use crate::synth::{ArtifactKey, MANIFEST};

/// Deploys a release to an environment: its CloudFormation stacks, change set per stack, in dependency
/// order (independent stacks in parallel), shown as a diff, gated, executed and waited on; then the
/// environment's smoke checks. When anything fails, every stack this deploy changed is returned to what it
/// was. The release's bytes are deployed as they are in the store (checked against its manifest); a
/// release that does not exist yet is created first, from the working tree or from --from DIR. The
/// environment is locked for the whole run, and the ledger records it.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The environment to deploy.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    /// The release to deploy (a tag or build number); passed as the `Release` parameter and tagged.
    #[arg(long, value_name = "ID")]
    release: String,
    /// When the release does not exist yet, make it from this `slipway synth --out` directory (each file
    /// checked against its manifest.json) instead of the working tree; when it exists, it must hold the
    /// same artifacts.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// The commit a release made here is recorded with. Default: $GITHUB_SHA, else git's HEAD.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// The git ref a release made here is recorded with. Default: $GITHUB_REF, else git's branch.
    #[arg(long = "ref", value_name = "REF")]
    git_ref: Option<String>,
    #[command(flatten)]
    approvals: ApprovalArgs,
    #[command(flatten)]
    apply: ApplyArgs,
}

/// Who approved: counted by the policy (distinct people from the target's approving groups, none of them
/// the person running the command or the release's author).
#[derive(Debug, clap::Args)]
pub struct ApprovalArgs {
    /// A person who approved (repeatable).
    #[arg(long = "approved-by", value_name = "NAME")]
    approved_by: Vec<String>,
    /// Also read the approvals of this GitHub Actions run's pending deployment to the target environment
    /// from GitHub's REST API (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_TOKEN).
    #[arg(long, value_enum)]
    approvals: Option<ApprovalSource>,
}

/// Where approvals come from besides the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ApprovalSource {
    /// The GitHub Actions run's approvals of its pending deployments.
    Github,
}

impl ApprovalArgs {
    /// Every approval given for a change to `env`.
    pub async fn collect(&self, env: &str) -> Result<Vec<Approval>, CliError> {
        let mut out: Vec<Approval> =
            self.approved_by.iter().map(|by| Approval { by: by.clone(), source: "command line".into() }).collect();
        if self.approvals == Some(ApprovalSource::Github) {
            out.extend(super::github_approvals::of_this_run(env).await?);
        }
        Ok(out)
    }
}

/// How a run changes an environment's targets: shared by deploy, promote, rollback and the demo commands.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How many independent stacks may change at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// How to show progress: a live view on a terminal, or one line per stack event (for CI logs).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    progress: ProgressMode,
    /// How long to wait for an operation somebody else started on a stack, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    wait_in_progress: u64,
    /// How long to wait when another run holds the environment's lock (`10m`); by default do not wait.
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "0s")]
    wait_lock: Duration,
    /// How long this run's lock holds before another run may take it over.
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "2h")]
    lock_ttl: Duration,
    /// The IAM role to assume (through STS) when the credentials are for another account than the
    /// environment's; by default the one its definition names.
    #[arg(long, value_name = "ARN")]
    pub(super) assume_role: Option<String>,
    #[command(flatten)]
    pub(super) store: StoreArgs,
    /// The first polling interval in milliseconds; it doubles up to 7.5 times that (for tests).
    #[arg(long, value_name = "MS", default_value_t = 2000, hide = true)]
    poll_ms: u64,
}

/// How a release is applied: shared by deploy, promote and rollback.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub(super) run: RunArgs,
    /// Which change sets need approval before they run.
    #[arg(long, value_enum, default_value_t = ApprovalMode::Broadening)]
    require_approval: ApprovalMode,
    /// Approve every gated change set without asking (for CI, after review).
    #[arg(long)]
    yes: bool,
    /// Logical IDs to skip when continuing an update rollback that failed (comma-separated).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    skip_resources: Vec<String>,
    /// The S3 bucket templates over 51,200 bytes are uploaded to; by default the deploy-role stack's
    /// `ArtifactsBucketName` output (or, with an S3 store, the release's own copy).
    #[arg(long, value_name = "NAME")]
    artifacts_bucket: Option<String>,
    /// Skip the environment's smoke checks.
    #[arg(long)]
    no_smoke: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ProgressMode {
    /// A live view on a terminal, event lines otherwise.
    Auto,
    /// A live view.
    Live,
    /// One line per event.
    Events,
}

/// Asks on the terminal.
struct Prompt;

impl Approver for Prompt {
    fn approve(&mut self, stack: &str, diff: &StackDiff) -> bool {
        let n = diff.template.resources.len();
        eprintln!("{stack}: the change above needs approval ({n} resource(s) change).");
        eprint!("Execute it? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
    }
}

pub fn run(project: Project, args: &DeployArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let names = super::resolve_envs(&project, std::slice::from_ref(&args.env))?;
    let env = project.find(&names[0]).expect("resolved").clone();
    if let Some(dir) = &args.from {
        from_dir(dir, &env.name)?;
    }
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let connector = Connector::load(Settings::from_env()).await;
        // Before anything is written anywhere: the environment's account answers to these credentials.
        let cloud = crate::ops::deploy::connect(&connector, &env, args.apply.run.assume_role.as_deref()).await?;
        let store = args.apply.run.store.open(Some(&connector)).await?;
        if args.from.is_some() || crate::release::read_info(&store, &args.release).await?.is_none() {
            let created = super::release::create_release(
                &project,
                &store,
                &args.release,
                args.commit.as_deref(),
                args.git_ref.as_deref(),
                args.from.as_deref(),
            )
            .await?;
            if created == Created::New {
                let source =
                    args.from.as_ref().map_or("the working tree".to_string(), |d| format!("`{}`", d.display()));
                writeln!(ui.err, "release {} did not exist: created it from {source}", args.release)?;
            }
        }
        let release = crate::release::read(&store, &args.release).await?;
        let request = Request {
            env: &env,
            release: &release,
            kind: Kind::Deploy,
            from: None,
            approvals: args.approvals.collect(&env.name).await?,
            reason: None,
            broke_freeze: false,
            apply: &args.apply.options(),
            lock: args.apply.lock_options(),
        };
        apply_release(&project, &store, &cloud, &request, &args.apply, ui).await
    })
}

impl RunArgs {
    /// The apply's choices, for a run nobody is asked about (a demo's): no gate, smoke checks on.
    pub fn options(&self) -> Options {
        Options {
            concurrency: self.concurrency.max(1),
            approval: ApprovalMode::Never,
            yes: false,
            interactive: false,
            skip_resources: Vec::new(),
            in_progress_wait: Duration::from_secs(self.wait_in_progress),
            poll: Poll::from_min(Duration::from_millis(self.poll_ms.max(1))),
            artifacts_bucket: None,
            smoke: true,
        }
    }

    /// The lock's choices.
    pub fn lock_options(&self) -> LockOptions {
        let poll = Duration::from_millis(self.poll_ms.max(1)).min(Duration::from_secs(2));
        LockOptions { wait: self.wait_lock, ttl: self.lock_ttl, poll }
    }

    /// Whether progress is a live view (rather than a line per event).
    pub fn live(&self) -> bool {
        match self.progress {
            ProgressMode::Auto => std::io::stderr().is_terminal(),
            ProgressMode::Live => true,
            ProgressMode::Events => false,
        }
    }
}

impl ApplyArgs {
    /// The apply's choices.
    pub fn options(&self) -> Options {
        Options {
            approval: self.require_approval,
            yes: self.yes,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            skip_resources: self.skip_resources.clone(),
            artifacts_bucket: self.artifacts_bucket.clone(),
            smoke: !self.no_smoke,
            ..self.run.options()
        }
    }

    /// The lock's choices.
    pub fn lock_options(&self) -> LockOptions {
        self.run.lock_options()
    }
}

/// Applies `req` as one run of the ledger, showing progress, and ends it as the user reads it: the
/// summary on stdout, the exit status of the verdict.
pub(super) async fn apply_release(
    project: &Project,
    store: &crate::store::Store,
    cloud: &crate::cloud::Cloud,
    req: &Request<'_>,
    args: &ApplyArgs,
    ui: &mut Ui<'_>,
) -> Result<Exit, CliError> {
    if !req.release.artifacts.keys().any(|k| k.environment() == Some(req.env.name.as_str()) && k.stack().is_some()) {
        return Err(CliError::user(format!(
            "release {} holds no CloudFormation templates for environment `{}` (it holds: {})",
            req.release.info.id,
            req.env.name,
            req.release.info.environments.join(", ")
        ))
        .hint("create a release that includes it; `slipway release show ID` lists what a release holds"));
    }
    let actor = context::actor();
    let clock = SystemClock;
    let cx = Context { project, store, actor: &actor, clock: &clock };
    let live = args.run.live();
    let in_flight = RefCell::new(InFlight::default());
    let mut lines = EventLines::new(&mut *ui.err);
    let mut view = LiveView::default();
    let reporter: &mut dyn Reporter = if live { &mut view } else { &mut lines };
    let mut prompt = Prompt;
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let ran = crate::ops::deploy::run(&cx, req, cloud, reporter, &mut prompt, &in_flight, interrupt).await;
    reporter.finish();
    let ran = ran?;
    match &ran.end {
        End::Interrupted(in_flight) => interrupted(in_flight, ui),
        End::Applied(outcome) => {
            for line in crate::apply::cloudformation::summary(&ran.plan, outcome) {
                writeln!(ui.out, "{line}")?;
            }
            Ok(Exit::of_verdict(&outcome.verdict))
        }
    }
}

/// Refuses the `synth --out` directory `dir` unless every one of its files is exactly what `synth` wrote
/// and it holds templates for environment `env` (the release is then created from it).
fn from_dir(dir: &std::path::Path, env: &str) -> Result<(), CliError> {
    let read = crate::synth::read_dir(dir, &[env.to_string()])?;
    let again = format!("synthesize it again with `slipway synth --out {}`, review it, and deploy that", dir.display());
    if let Some(path) = read.changed.first() {
        return Err(CliError::user(format!(
            "`{}` changed after `slipway synth` wrote it (its SHA-256 differs from the one in {MANIFEST}); \
             refusing to deploy what was not reviewed",
            dir.join(path).display()
        ))
        .hint(again));
    }
    let ours = |p: &String| ArtifactKey::from_path(p).is_some_and(|k| k.environment() == Some(env));
    if let Some(path) = read.unlisted.iter().find(|p| ours(p)) {
        return Err(CliError::user(format!(
            "`{}` is not listed in {MANIFEST}: slipway did not write it, so it would not be deployed",
            dir.join(path).display()
        ))
        .hint(again));
    }
    if !read.artifacts.keys().any(|k| k.stack().is_some()) {
        return Err(CliError::user(format!(
            "`{}` holds no CloudFormation templates for environment `{env}` (it was synthesized for: {})",
            dir.display(),
            read.manifest.environments.join(", ")
        ))
        .hint(again));
    }
    Ok(())
}

/// Ctrl-C: what is still changing and how to look at it, and every change set that was executed.
fn interrupted(in_flight: &InFlight, ui: &mut Ui) -> Result<Exit, CliError> {
    writeln!(ui.err, "interrupted: slipway stopped waiting; CloudFormation carries on with what was started")?;
    for stack in &in_flight.changing {
        writeln!(
            ui.err,
            "  still changing: {stack} (see `aws cloudformation describe-stack-events --stack-name {stack}`)"
        )?;
    }
    for (stack, change_set) in &in_flight.executed {
        writeln!(ui.err, "  executed change set on {stack}: {change_set}")?;
    }
    if in_flight.executed.is_empty() {
        writeln!(ui.err, "  no change set was executed")?;
    }
    Ok(Exit::Interrupted)
}
