//! `slipway deploy`: what CI runs after a merge. It either leaves the environment on the new release or
//! brings it back to the one it had, and says which happened and why.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::{CliError, Exit, Ui};
use crate::apply::cloudformation::{ApprovalMode, Approver, EventLines, InFlight, LiveView, Options, Plan, Reporter};
use crate::cloud::{Connector, Destination, Poll, RegionRule, Settings};
use crate::diff::StackDiff;
use crate::model::Project;
use crate::synth::{ArtifactKey, Artifacts, MANIFEST};

/// Deploys an environment's CloudFormation stacks: change set per stack, in dependency order (independent
/// stacks in parallel), shown as a diff, gated, executed and waited on; then the environment's smoke
/// checks. When anything fails, every stack this deploy changed is returned to what it was. The templates
/// are the definitions' (synthesized in memory), or exactly those of a `synth --out` directory (--from).
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The environment to deploy.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
    /// Deploy the templates of this `slipway synth --out` directory, each checked against its
    /// manifest.json (a changed, missing or unlisted file is refused), instead of synthesizing.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// The release being deployed (a tag or build number); passed as the `Release` parameter and tagged.
    #[arg(long, value_name = "ID")]
    release: String,
    /// The commit being deployed; tagged on every stack. Defaults to $GITHUB_SHA.
    #[arg(long, value_name = "SHA", env = "GITHUB_SHA")]
    commit: Option<String>,
    /// How many independent stacks may change at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// Which change sets need approval before they run.
    #[arg(long, value_enum, default_value_t = ApprovalMode::Broadening)]
    require_approval: ApprovalMode,
    /// Approve every gated change set without asking (for CI, after review).
    #[arg(long)]
    yes: bool,
    /// How to show progress: a live view on a terminal, or one line per stack event (for CI logs).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    progress: ProgressMode,
    /// Logical IDs to skip when continuing an update rollback that failed (comma-separated).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    skip_resources: Vec<String>,
    /// How long to wait for an operation somebody else started on a stack, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    wait_in_progress: u64,
    /// The S3 bucket templates over 51,200 bytes are uploaded to; by default the deploy-role stack's
    /// `ArtifactsBucketName` output.
    #[arg(long, value_name = "NAME")]
    artifacts_bucket: Option<String>,
    /// Skip the environment's smoke checks.
    #[arg(long)]
    no_smoke: bool,
    /// The first polling interval in milliseconds; it doubles up to 7.5 times that (for tests).
    #[arg(long, value_name = "MS", default_value_t = 2000, hide = true)]
    poll_ms: u64,
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
    let artifacts = match &args.from {
        Some(dir) => from_dir(dir, &env.name)?,
        None => crate::synth::synth(&project, std::slice::from_ref(&env.name))?.artifacts,
    };
    let plan = Plan::new(&project.name, &env, &args.release, args.commit.as_deref(), &artifacts)?;
    let target = *env.aws_target().expect("the plan checked for an AWS target");
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let opts = Options {
        concurrency: args.concurrency.max(1),
        approval: args.require_approval,
        yes: args.yes,
        interactive,
        skip_resources: args.skip_resources.clone(),
        in_progress_wait: Duration::from_secs(args.wait_in_progress),
        poll: Poll::from_min(Duration::from_millis(args.poll_ms.max(1))),
        artifacts_bucket: args.artifacts_bucket.clone(),
        smoke: !args.no_smoke,
    };
    let live = match args.progress {
        ProgressMode::Auto => std::io::stderr().is_terminal(),
        ProgressMode::Live => true,
        ProgressMode::Events => false,
    };
    let runtime = super::runtime()?;
    let in_flight = RefCell::new(InFlight::default());
    let mut lines = EventLines::new(&mut *ui.err);
    let mut view = LiveView::default();
    let reporter: &mut dyn Reporter = if live { &mut view } else { &mut lines };
    let mut prompt = Prompt;
    let dest = Destination { environment: &env.name, account: target.account.as_str(), region: target.region.code() };
    let outcome = runtime.block_on(async {
        let cloud = Connector::load(Settings::from_env()).await.connect(&dest, RegionRule::Strict).await?;
        Ok::<_, CliError>(tokio::select! {
            outcome = crate::apply::cloudformation::run(&cloud, &plan, &opts, reporter, &mut prompt, &in_flight) => Some(outcome),
            _ = tokio::signal::ctrl_c() => None,
        })
    });
    reporter.finish();
    let Some(outcome) = outcome? else {
        return interrupted(&in_flight.borrow(), ui);
    };
    for line in crate::apply::cloudformation::summary(&plan, &outcome) {
        writeln!(ui.out, "{line}")?;
    }
    Ok(Exit::of_verdict(&outcome.verdict))
}

/// Environment `env`'s artifacts from the `synth --out` directory `dir`, refused unless every one of its
/// files is exactly what `synth` wrote.
fn from_dir(dir: &std::path::Path, env: &str) -> Result<Artifacts, CliError> {
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
    Ok(read.artifacts)
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
