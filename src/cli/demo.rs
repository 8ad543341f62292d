//! `slipway demo up|down|ls|gc`: throwaway feature demos, one command each way, from a name or a branch
//! (`feature-demo/<name>`, by default the CI's ref), and a sweep of the expired and the forgotten.

use std::path::PathBuf;
use std::time::Duration;

use super::context::{self, StoreArgs};
use super::deploy::RunArgs;
use super::{CliError, Exit, ListFormat, Ui};
use crate::apply::cloudformation::{EventLines, LiveView, Reporter};
use crate::clock::{Clock, SystemClock, Timestamp, human, human_left};
use crate::cloud::{Cloud, Connector, Settings};
use crate::docker::{Compose, DockerHost};
use crate::ledger::Outcome;
use crate::model::{BRANCH_PREFIX, Project};
use crate::ops::Context;
use crate::ops::demo::list::{Listing, Places};
use crate::ops::demo::{self, At, Demo, UpRequest};

/// Throwaway feature demos: bring one up from a name or a branch, list them, bring them down, and sweep
/// the expired ones and the forgotten.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(subcommand)]
    command: DemoCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DemoCommand {
    /// Brings a demo up, or updates it in place: synthesizes it and applies every target it has (its
    /// CloudFormation stacks, tagged as a demo with its expiry; its compose bundle on a Docker host), runs
    /// its smoke checks and prints its URLs. The expiry counts from the last `up`.
    Up(UpArgs),
    /// Brings a demo down: its compose project with its volumes, then its stacks, waiting until they are
    /// gone. Running it again is harmless.
    Down(DownArgs),
    /// Lists every demo: from the ledger, the stacks' tags and the Docker host's compose projects
    /// together, so that an orphan (something no `up` recorded) shows too.
    Ls(LsArgs),
    /// Brings down every expired demo, and every orphan (a demo the ledger does not know) older than a day.
    Gc(GcArgs),
}

/// Which demo: a name, or a branch.
#[derive(Debug, clap::Args)]
struct Which {
    /// The demo's name. Default: the name in --branch, or in the CI's ref (`feature-demo/<name>`).
    #[arg(value_name = "NAME", conflicts_with = "branch")]
    name: Option<String>,
    /// The branch the demo is made from (`feature-demo/<name>`). Default: $GITHUB_REF, else git's branch.
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
}

impl Which {
    /// What names the demo, and the branch it is made from, when one says.
    fn resolve(&self) -> Result<(String, Option<String>), CliError> {
        if let Some(name) = &self.name {
            return Ok((name.clone(), None));
        }
        let branch = match &self.branch {
            Some(b) => b.clone(),
            None => context::git_ref(None).ok_or_else(|| {
                CliError::user("name the demo (`slipway demo up NAME`) or its branch (--branch feature-demo/NAME)")
            })?,
        };
        let short = branch.strip_prefix("refs/heads/").unwrap_or(&branch).to_string();
        if !short.starts_with(BRANCH_PREFIX) {
            return Err(CliError::user(format!(
                "branch `{short}` is not a feature-demo branch (`{BRANCH_PREFIX}<name>`); name the demo instead"
            )));
        }
        Ok((short.clone(), Some(short)))
    }
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    #[command(flatten)]
    which: Which,
    /// How long the demo lives after this `up` (`7d`, `36h`); `slipway demo gc` removes it after.
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "7d")]
    ttl: Duration,
    /// The Docker engine of the compose target (`ssh://user@server`). Default: the definition's, else
    /// $DOCKER_HOST.
    #[arg(long, value_name = "DOCKER_HOST")]
    host: Option<String>,
    /// The release the demo runs: the tag of the app's images. Default: the commit.
    #[arg(long, value_name = "TAG")]
    release: Option<String>,
    /// The commit it is made from. Default: $GITHUB_SHA, else git's HEAD.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
struct DownArgs {
    #[command(flatten)]
    which: Which,
    /// The Docker engine of the compose target. Default: the definition's, else $DOCKER_HOST.
    #[arg(long, value_name = "DOCKER_HOST")]
    host: Option<String>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
struct LsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    /// The Docker engine demos run on. Default: the definition's, else $DOCKER_HOST.
    #[arg(long, value_name = "DOCKER_HOST")]
    host: Option<String>,
    /// The IAM role to assume in the demos' account, when the credentials are for another.
    #[arg(long, value_name = "ARN")]
    assume_role: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, clap::Args)]
struct GcArgs {
    /// Only say what would be brought down, and why.
    #[arg(long)]
    dry_run: bool,
    /// How old a demo the ledger does not know (an orphan) must be before it is brought down.
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "1d")]
    orphan_age: Duration,
    /// The Docker engine demos run on. Default: the definition's, else $DOCKER_HOST.
    #[arg(long, value_name = "DOCKER_HOST")]
    host: Option<String>,
    #[command(flatten)]
    run: RunArgs,
}

pub fn run(project: Project, args: &DemoArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        match &args.command {
            DemoCommand::Up(a) => up(&project, a, ui).await,
            DemoCommand::Down(a) => down(&project, a, ui).await,
            DemoCommand::Ls(a) => ls(&project, a, ui).await,
            DemoCommand::Gc(a) => gc(&project, a, ui).await,
        }
    })
}

/// The compose CLI (`SLIPWAY_COMPOSE` names a Compose v2 binary; else `docker compose`, else
/// `docker-compose`).
fn compose() -> Result<Compose, CliError> {
    let explicit = std::env::var_os("SLIPWAY_COMPOSE").filter(|v| !v.is_empty()).map(PathBuf::from);
    Compose::locate(explicit.as_deref()).map_err(|e| CliError::user(e.to_string()))
}

/// What a demo's run needs: its AWS account (when it has stacks), the compose CLI and its Docker engine
/// (when it has a compose target).
struct Reach {
    cloud: Option<Cloud>,
    compose: Option<(Compose, DockerHost)>,
}

impl Reach {
    /// Connects to what `demo` has; to AWS only when it has stacks.
    async fn of(demo: &Demo, host: Option<&str>, role: Option<&str>) -> Result<Self, CliError> {
        let cloud = match demo.env.aws_target() {
            Some(_) => {
                let connector = Connector::load(Settings::from_env()).await;
                Some(crate::ops::deploy::connect(&connector, &demo.env, role).await?)
            }
            None => None,
        };
        let compose = match demo::docker_host(&demo.env, host)? {
            Some(host) => Some((compose()?, host)),
            None => None,
        };
        Ok(Reach { cloud, compose })
    }

    fn at(&self) -> At<'_> {
        At { cloud: self.cloud.as_ref(), compose: self.compose.as_ref().map(|(c, h)| (c, h)) }
    }
}

fn reporter<'a, W: std::io::Write + 'a>(
    run: &RunArgs,
    lines: &'a mut EventLines<W>,
    view: &'a mut LiveView,
) -> &'a mut dyn Reporter {
    if run.live() { view } else { lines }
}

async fn up(project: &Project, args: &UpArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let (given, branch) = args.which.resolve()?;
    let store = args.run.store.open(None).await?;
    let known = crate::ledger::demos::demos(&crate::ledger::all_records(&store).await?);
    let demo = demo::resolve(project, &given, &known)?;
    if !demo.slug.why.is_empty() {
        writeln!(ui.err, "note: {}", demo.slug)?;
    }
    let reach = Reach::of(&demo, args.host.as_deref(), args.run.assume_role.as_deref()).await?;
    let commit = context::commit(args.commit.as_deref());
    let release = match (&args.release, &commit) {
        (Some(r), _) => r.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => {
            return Err(CliError::user("say which release the demo runs (--release TAG): there is no commit to name"));
        }
    };
    let actor = context::actor();
    let clock = SystemClock;
    let cx = Context { project: &demo.project, store: &store, actor: &actor, clock: &clock };
    let options = args.run.options();
    let req = UpRequest {
        demo: &demo,
        branch,
        release: release.clone(),
        commit,
        ttl: args.ttl,
        apply: &options,
        lock: args.run.lock_options(),
    };
    let (mut view, err) = (LiveView::default(), &mut *ui.err);
    let mut lines = EventLines::new(err);
    let reporter = reporter(&args.run, &mut lines, &mut view);
    let result = demo::up(&cx, &req, &reach.at(), reporter).await;
    reporter.finish();
    let out = result?;
    let name = &demo.slug.name;
    let now = clock.now();
    let expires = if out.expires > now {
        format!("{} (in {})", out.expires, human_left(out.expires.since(now)))
    } else {
        format!("{} (already passed: `slipway demo gc` brings it down)", out.expires)
    };
    let exit = match out.outcome {
        Outcome::Deployed => {
            writeln!(ui.out, "up: demo {name} runs release {release} until {expires}")?;
            Exit::Success
        }
        Outcome::Failed => {
            writeln!(ui.out, "failed: demo {name} did not come up and was left as it is: {}", cause(&out.cause))?;
            Exit::RollbackIncomplete
        }
        Outcome::RolledBack => {
            writeln!(ui.out, "rolled back: demo {name} did not come up: {}", cause(&out.cause))?;
            Exit::RolledBack
        }
        Outcome::RollbackIncomplete => {
            writeln!(
                ui.out,
                "failed: demo {name} did not come up and could not be brought back: {}",
                cause(&out.cause)
            )?;
            Exit::RollbackIncomplete
        }
        Outcome::Refused => {
            writeln!(ui.out, "refused: demo {name}: {}", cause(&out.cause))?;
            Exit::Refused
        }
        _ => {
            writeln!(ui.out, "demo {name}: {}", cause(&out.cause))?;
            Exit::CloudFailed
        }
    };
    for line in &out.undone {
        writeln!(ui.out, "  {line}")?;
    }
    if matches!(out.outcome, Outcome::Deployed | Outcome::Failed) {
        for (what, url) in &out.urls {
            writeln!(ui.out, "  {what}: {url}")?;
        }
    }
    Ok(exit)
}

fn cause(cause: &Option<String>) -> &str {
    cause.as_deref().unwrap_or("no reason recorded")
}

async fn down(project: &Project, args: &DownArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let (given, _) = args.which.resolve()?;
    let demo = demo::existing(project, &given)?;
    let store = args.run.store.open(None).await?;
    let reach = Reach::of(&demo, args.host.as_deref(), args.run.assume_role.as_deref()).await?;
    bring_down(project, &store, &demo, &reach, &args.run, ui).await
}

async fn bring_down(
    project: &Project,
    store: &crate::store::Store,
    demo: &Demo,
    reach: &Reach,
    run: &RunArgs,
    ui: &mut Ui<'_>,
) -> Result<Exit, CliError> {
    let actor = context::actor();
    let clock = SystemClock;
    let cx = Context { project, store, actor: &actor, clock: &clock };
    let (mut view, err) = (LiveView::default(), &mut *ui.err);
    let mut lines = EventLines::new(err);
    let reporter = reporter(run, &mut lines, &mut view);
    let result = demo::down(&cx, demo, &reach.at(), &run.options(), run.lock_options(), reporter).await;
    reporter.finish();
    let out = result?;
    let name = &demo.slug.name;
    if !out.left.is_empty() {
        writeln!(ui.out, "failed: demo {name} is partly down; left: {}", out.left.join("; "))?;
        return Ok(Exit::RollbackIncomplete);
    }
    if out.removed.is_empty() {
        writeln!(ui.out, "down: demo {name} had nothing left to remove")?;
    } else {
        writeln!(ui.out, "down: demo {name}: removed {}", out.removed.join("; "))?;
    }
    Ok(Exit::Success)
}

/// Where `ls` and `gc` look: the account and region a demo's stacks go to, and the Docker engine its
/// compose project runs on, as the definitions' demo factory says; a place that cannot be reached is
/// said, and skipped.
async fn places(project: &Project, host: Option<&str>, role: Option<&str>, ui: &mut Ui<'_>) -> Result<Reach, CliError> {
    let probe = demo::existing(project, "probe")?;
    let cloud = match probe.env.aws_target() {
        None => None,
        Some(t) => {
            match crate::ops::deploy::connect(&Connector::load(Settings::from_env()).await, &probe.env, role).await {
                Ok(cloud) => Some(cloud),
                Err(e) => {
                    writeln!(ui.err, "warning: demos' stacks not checked (account {}, {}): {e}", t.account, t.region)?;
                    None
                }
            }
        }
    };
    let compose = match demo::docker_host(&probe.env, host) {
        Ok(Some(host)) => Some((compose()?, host)),
        Ok(None) => None,
        Err(e) => {
            writeln!(ui.err, "warning: demos' compose projects not checked: {e}")?;
            None
        }
    };
    Ok(Reach { cloud, compose })
}

async fn listings(project: &Project, store: &crate::store::Store, reach: &Reach) -> Result<Vec<Listing>, CliError> {
    let actor = context::actor();
    let cx = Context { project, store, actor: &actor, clock: &SystemClock };
    let at = reach.at();
    let places = Places { clouds: at.cloud.into_iter().collect(), compose: at.compose };
    Ok(demo::list::list(&cx, &places).await?)
}

async fn ls(project: &Project, args: &LsArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let store = args.store.open(None).await?;
    let reach = places(project, args.host.as_deref(), args.assume_role.as_deref(), ui).await?;
    let all = listings(project, &store, &reach).await?;
    let now = SystemClock.now();
    match args.format {
        ListFormat::Json => {
            let json: Vec<serde_json::Value> = all.iter().map(|l| listing_json(l, now)).collect();
            writeln!(ui.out, "{}", serde_json::to_string_pretty(&json).expect("listings serialize"))?;
        }
        ListFormat::Text if all.is_empty() => writeln!(ui.out, "no demos")?,
        ListFormat::Text => {
            for l in &all {
                let age = l.since.map_or("?".to_string(), |s| human(now.since(s)));
                let expires = match l.expires {
                    Some(e) if e <= now => "expired".to_string(),
                    Some(e) => format!("expires in {}", human_left(e.since(now))),
                    None => "no expiry".to_string(),
                };
                let slug = if l.slug == l.name { String::new() } else { format!(" ({})", l.slug) };
                writeln!(ui.out, "{}{slug}: {}, up {age}, {expires}", l.name, l.status_text())?;
                if let Some(branch) = &l.branch {
                    writeln!(ui.out, "  branch: {branch}")?;
                }
                if let Some(release) = &l.release {
                    writeln!(ui.out, "  release: {release}")?;
                }
                for (what, url) in &l.urls {
                    writeln!(ui.out, "  {what}: {url}")?;
                }
                if !l.stacks.is_empty() {
                    writeln!(ui.out, "  stacks: {}", l.stacks.join(", "))?;
                }
                if let Some(compose) = &l.compose {
                    writeln!(ui.out, "  compose: {compose}")?;
                }
                if let Some(reason) = &l.reason {
                    writeln!(ui.out, "  last failure: {reason}")?;
                }
            }
        }
    }
    Ok(Exit::Success)
}

fn listing_json(l: &Listing, now: Timestamp) -> serde_json::Value {
    serde_json::json!({
        "name": l.name,
        "slug": l.slug,
        "branch": l.branch,
        "status": l.status_text(),
        "orphan": l.orphan(),
        "since": l.since.map(|t| t.to_string()),
        "age_seconds": l.since.map(|t| now.since(t).as_secs()),
        "expires": l.expires.map(|t| t.to_string()),
        "expired": l.expires.is_some_and(|t| t <= now),
        "release": l.release,
        "urls": l.urls,
        "stacks": l.stacks,
        "compose": l.compose,
        "last_failure": l.reason,
    })
}

async fn gc(project: &Project, args: &GcArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let store = args.run.store.open(None).await?;
    let reach = places(project, args.host.as_deref(), args.run.assume_role.as_deref(), ui).await?;
    let all = listings(project, &store, &reach).await?;
    let now = SystemClock.now();
    let sweep = demo::list::to_sweep(&all, now, args.orphan_age);
    if sweep.is_empty() {
        writeln!(
            ui.out,
            "nothing to bring down: no demo has expired, and no orphan is older than {}",
            human(args.orphan_age)
        )?;
        return Ok(Exit::Success);
    }
    let mut exit = Exit::Success;
    for (listing, why) in sweep {
        if args.dry_run {
            writeln!(ui.out, "would bring down {}: {why}", listing.name)?;
            continue;
        }
        writeln!(ui.out, "bringing down {}: {why}", listing.name)?;
        let demo = demo::existing(project, &listing.slug)?;
        let its = Reach::of(&demo, args.host.as_deref(), args.run.assume_role.as_deref()).await?;
        let done = bring_down(project, &store, &demo, &its, &args.run, ui).await?;
        exit = exit.max(done);
    }
    Ok(exit)
}
