//! `slipway deploy`: what CI runs after a merge. It either leaves the environment on the new release or
//! brings it back to the one it had, and says which happened and why.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use super::{CliError, Ui};
use crate::cloud::{Cloud, ResourceChange};
use crate::deploy::{ApprovalMode, Approver, EventLines, Ledger, LiveView, Options, Outcome, Plan, Poll, Reporter};
use crate::model::Project;

/// Deploys an environment's CloudFormation stacks: change set per stack, in dependency order (independent
/// stacks in parallel), gated, executed and waited on; then the environment's smoke checks. When anything
/// fails, every stack this deploy changed is returned to what it was. Exit status: 0 deployed, 4 failed and
/// rolled back, 5 failed and not fully rolled back (a person must look), 3 could not reach AWS (nothing
/// changed), 130 interrupted.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The environment to deploy.
    #[arg(long = "env", value_name = "NAME")]
    env: String,
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
    fn approve(&mut self, stack: &str, changes: &[ResourceChange]) -> bool {
        eprintln!("{stack}: the change set above needs approval ({} change(s)).", changes.len());
        eprint!("Execute it? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
    }
}

pub fn run(project: Project, args: &DeployArgs, ui: &mut Ui) -> Result<ExitCode, CliError> {
    let names = super::resolve_envs(&project, std::slice::from_ref(&args.env))?;
    let plan = Plan::new(&project, &names[0], &args.release, args.commit.as_deref())
        .map_err(|e| CliError::user(e.to_string()))?;
    let target = *plan.env.aws_target().expect("the plan checked for an AWS target");
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let poll_min = Duration::from_millis(args.poll_ms.max(1));
    let opts = Options {
        concurrency: args.concurrency.max(1),
        approval: args.require_approval,
        yes: args.yes,
        interactive,
        skip_resources: args.skip_resources.clone(),
        in_progress_wait: Duration::from_secs(args.wait_in_progress),
        poll: Poll { min: poll_min, max: poll_min * 15 / 2 },
        artifacts_bucket: args.artifacts_bucket.clone(),
        smoke: !args.no_smoke,
    };
    let live = match args.progress {
        ProgressMode::Auto => std::io::stderr().is_terminal(),
        ProgressMode::Live => true,
        ProgressMode::Events => false,
    };
    let runtime = super::runtime()?;
    let ledger = RefCell::new(Ledger::default());
    let mut lines = EventLines::new(&mut *ui.err);
    let mut view = LiveView::default();
    let reporter: &mut dyn Reporter = if live { &mut view } else { &mut lines };
    let mut prompt = Prompt;
    let outcome: Result<Option<Outcome>, CliError> = runtime.block_on(async {
        let cloud = Cloud::connect(&plan.env.name, &target)
            .await
            .map_err(|e| CliError::cloud(e.to_string()).hint("nothing was changed"))?;
        tokio::select! {
            outcome = crate::deploy::run(&cloud, &plan, &opts, reporter, &mut prompt, &ledger) => Ok(Some(outcome)),
            _ = tokio::signal::ctrl_c() => Ok(None),
        }
    });
    reporter.finish();
    let Some(outcome) = outcome? else {
        return interrupted(&ledger.borrow(), ui);
    };
    summarize(&plan, &outcome, ui)
}

/// Ctrl-C: what is still changing and how to look at it, and every change set that was executed.
fn interrupted(ledger: &Ledger, ui: &mut Ui) -> Result<ExitCode, CliError> {
    writeln!(ui.err, "interrupted: slipway stopped waiting; CloudFormation carries on with what was started")?;
    for stack in &ledger.changing {
        writeln!(
            ui.err,
            "  still changing: {stack} (see `aws cloudformation describe-stack-events --stack-name {stack}`)"
        )?;
    }
    for (stack, change_set) in &ledger.executed {
        writeln!(ui.err, "  executed change set on {stack}: {change_set}")?;
    }
    if ledger.executed.is_empty() {
        writeln!(ui.err, "  no change set was executed")?;
    }
    Ok(ExitCode::from(130))
}

/// The deploy's end, on stdout.
fn summarize(plan: &Plan, outcome: &Outcome, ui: &mut Ui) -> Result<ExitCode, CliError> {
    let (lines, code) = crate::deploy::summary(plan, outcome);
    for line in lines {
        writeln!(ui.out, "{line}")?;
    }
    Ok(ExitCode::from(code))
}
