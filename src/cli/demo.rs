//! `slipway demo up|down|ls|gc`: throwaway feature demos, one command each way, from a name or a branch
//! (`feature-demo/<name>`, by default the CI's ref), and a sweep of the expired and the forgotten.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::progress::Progress;
use super::run_args::{RunArgs, StoreArgs};
use super::{CliError, Exit, ListFormat, Session};
use crate::clock::{Timestamp, human, human_left};
use crate::ledger::Outcome;
use crate::model::BRANCH_PREFIX;
use crate::ops::demo::list::{Listing, Places};
use crate::ops::demo::{self, Demo, Reach, UpRequest};

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
    fn resolve(&self, s: &Session) -> Result<(String, Option<String>), CliError> {
        if let Some(name) = &self.name {
            return Ok((name.clone(), None));
        }
        let branch = match &self.branch {
            Some(b) => b.clone(),
            None => s.git_ref(None).ok_or_else(|| {
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
    /// Output format: text, or json (name, release, outcome, expiry, URLs: what a workflow comments).
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
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

impl DemoArgs {
    /// The store the command names.
    pub(super) fn store(&self) -> &StoreArgs {
        match &self.command {
            DemoCommand::Up(a) => &a.run.store,
            DemoCommand::Down(a) => &a.run.store,
            DemoCommand::Ls(a) => &a.store,
            DemoCommand::Gc(a) => &a.run.store,
        }
    }
}

pub fn run(s: &Session, args: &DemoArgs) -> Result<Exit, CliError> {
    match &args.command {
        DemoCommand::Up(a) => up(s, a),
        DemoCommand::Down(a) => down(s, a),
        DemoCommand::Ls(a) => ls(s, a),
        DemoCommand::Gc(a) => gc(s, a),
    }
}

/// The compose CLI `SLIPWAY_COMPOSE` names (a Compose v2 binary), if it names one.
fn compose_cli() -> Option<PathBuf> {
    crate::vars::var("SLIPWAY_COMPOSE").map(PathBuf::from)
}

fn reach_of(s: &Session, demo: &Demo, host: Option<&str>, role: Option<&str>) -> Result<Reach, CliError> {
    Ok(s.block_on(Reach::of(s.connector(), demo, host, role, compose_cli().as_deref()))?)
}

fn up(s: &Session, args: &UpArgs) -> Result<Exit, CliError> {
    let (given, branch) = args.which.resolve(s)?;
    let store = s.store()?;
    let known = crate::ledger::demos::demos(&s.block_on(crate::ledger::all_records(store))?);
    let demo = demo::resolve(s.app(), &s.assembly()?.rules, &given, &known)?;
    if !demo.slug.why.is_empty() {
        writeln!(s.err(), "note: {}", demo.slug)?;
    }
    let reach = reach_of(s, &demo, args.host.as_deref(), args.run.assume_role.as_deref())?;
    let commit = s.commit(args.commit.as_deref());
    let release = match (&args.release, &commit) {
        (Some(r), _) => r.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => {
            return Err(CliError::user("say which release the demo runs (--release TAG): there is no commit to name"));
        }
    };
    let cx = crate::ops::Context { project: &demo.project, ..s.context()? };
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
    let mut progress = Progress::new(args.run.progress, s.ui());
    let result = s.block_on(demo::up(&cx, &req, &reach.at(), progress.reporter()));
    progress.reporter().finish();
    let out = result?;
    let name = &demo.slug.name;
    let now = s.clock().now();
    let expires = if out.expires > now {
        format!("{} (in {})", out.expires, human_left(out.expires.since(now)))
    } else {
        format!("{} (already passed: `slipway demo gc` brings it down)", out.expires)
    };
    let mut w = s.out();
    if args.format == ListFormat::Json {
        let json = serde_json::json!({
            "name": name, "slug": demo.slug.slug, "release": release, "outcome": out.outcome.as_str(),
            "expires": out.expires.to_string(), "urls": out.urls, "cause": out.cause, "run": out.run,
        });
        writeln!(w, "{}", serde_json::to_string_pretty(&json).expect("a demo serializes"))?;
        return Ok(up_exit(out.outcome));
    }
    let exit = match out.outcome {
        Outcome::Deployed => {
            writeln!(w, "up: demo {name} runs release {release} until {expires}")?;
            Exit::Success
        }
        Outcome::Failed => {
            writeln!(w, "failed: demo {name} did not come up and was left as it is: {}", cause(&out.cause))?;
            Exit::RollbackIncomplete
        }
        Outcome::RolledBack => {
            writeln!(w, "rolled back: demo {name} did not come up: {}", cause(&out.cause))?;
            Exit::RolledBack
        }
        Outcome::RollbackIncomplete => {
            writeln!(w, "failed: demo {name} did not come up and could not be brought back: {}", cause(&out.cause))?;
            Exit::RollbackIncomplete
        }
        Outcome::Refused => {
            writeln!(w, "refused: demo {name}: {}", cause(&out.cause))?;
            Exit::Refused
        }
        _ => {
            writeln!(w, "demo {name}: {}", cause(&out.cause))?;
            Exit::CloudFailed
        }
    };
    for line in &out.undone {
        writeln!(w, "  {line}")?;
    }
    if matches!(out.outcome, Outcome::Deployed | Outcome::Failed) {
        for (what, url) in &out.urls {
            writeln!(w, "  {what}: {url}")?;
        }
    }
    Ok(exit)
}

/// The exit status of an `up` that ended `outcome`, as the text form's.
fn up_exit(outcome: Outcome) -> Exit {
    match outcome {
        Outcome::Deployed => Exit::Success,
        Outcome::Failed | Outcome::RollbackIncomplete => Exit::RollbackIncomplete,
        Outcome::RolledBack => Exit::RolledBack,
        Outcome::Refused => Exit::Refused,
        _ => Exit::CloudFailed,
    }
}

fn cause(cause: &Option<String>) -> &str {
    cause.as_deref().unwrap_or("no reason recorded")
}

fn down(s: &Session, args: &DownArgs) -> Result<Exit, CliError> {
    let (given, _) = args.which.resolve(s)?;
    let demo = demo::existing(s.app(), &s.assembly()?.rules, &given)?;
    let reach = reach_of(s, &demo, args.host.as_deref(), args.run.assume_role.as_deref())?;
    bring_down(s, &demo, &reach, &args.run)
}

fn bring_down(s: &Session, demo: &Demo, reach: &Reach, run: &RunArgs) -> Result<Exit, CliError> {
    let cx = s.context()?;
    let mut progress = Progress::new(run.progress, s.ui());
    let result =
        s.block_on(demo::down(&cx, demo, &reach.at(), &run.options(), run.lock_options(), progress.reporter()));
    progress.reporter().finish();
    let out = result?;
    let name = &demo.slug.name;
    if !out.left.is_empty() {
        writeln!(s.out(), "failed: demo {name} is partly down; left: {}", out.left.join("; "))?;
        return Ok(Exit::RollbackIncomplete);
    }
    if out.removed.is_empty() {
        writeln!(s.out(), "down: demo {name} had nothing left to remove")?;
    } else {
        writeln!(s.out(), "down: demo {name}: removed {}", out.removed.join("; "))?;
    }
    Ok(Exit::Success)
}

/// Where `ls` and `gc` look, with a warning for each place that cannot be reached.
fn places(s: &Session, host: Option<&str>, role: Option<&str>) -> Result<Reach, CliError> {
    let (reach, skipped) =
        s.block_on(Reach::places(s.connector(), &s.assembly()?.rules, host, role, compose_cli().as_deref()))?;
    for line in skipped {
        writeln!(s.err(), "warning: {line}")?;
    }
    Ok(reach)
}

fn listings(s: &Session, reach: &Reach) -> Result<Vec<Listing>, CliError> {
    let cx = s.context()?;
    let at = reach.at();
    let places = Places { clouds: at.cloud.into_iter().collect(), compose: at.compose };
    Ok(s.block_on(demo::list::list(&cx, &places))?)
}

fn ls(s: &Session, args: &LsArgs) -> Result<Exit, CliError> {
    let reach = places(s, args.host.as_deref(), args.assume_role.as_deref())?;
    let all = listings(s, &reach)?;
    let now = s.clock().now();
    let mut out = s.out();
    match args.format {
        ListFormat::Json => {
            let json: Vec<serde_json::Value> = all.iter().map(|l| listing_json(l, now)).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&json).expect("listings serialize"))?;
        }
        ListFormat::Text if all.is_empty() => writeln!(out, "no demos")?,
        ListFormat::Text => {
            for l in &all {
                let age = l.since.map_or("?".to_string(), |s| human(now.since(s)));
                let expires = match l.expires {
                    Some(e) if e <= now => "expired".to_string(),
                    Some(e) => format!("expires in {}", human_left(e.since(now))),
                    None => "no expiry".to_string(),
                };
                let slug = if l.slug == l.name { String::new() } else { format!(" ({})", l.slug) };
                writeln!(out, "{}{slug}: {}, up {age}, {expires}", l.name, l.status_text())?;
                for gone in &l.gone {
                    writeln!(out, "  gone: {gone}")?;
                }
                if let Some(branch) = &l.branch {
                    writeln!(out, "  branch: {branch}")?;
                }
                if let Some(release) = &l.release {
                    writeln!(out, "  release: {release}")?;
                }
                for (what, url) in &l.urls {
                    writeln!(out, "  {what}: {url}")?;
                }
                if !l.stacks.is_empty() {
                    writeln!(out, "  stacks: {}", l.stacks.join(", "))?;
                }
                if let Some(compose) = &l.compose {
                    writeln!(out, "  compose: {compose}")?;
                }
                if let Some(reason) = &l.reason {
                    writeln!(out, "  last failure: {reason}")?;
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

fn gc(s: &Session, args: &GcArgs) -> Result<Exit, CliError> {
    let reach = places(s, args.host.as_deref(), args.run.assume_role.as_deref())?;
    let all = listings(s, &reach)?;
    let now = s.clock().now();
    let sweep = demo::list::to_sweep(&all, now, args.orphan_age);
    if sweep.is_empty() {
        writeln!(
            s.out(),
            "nothing to bring down: no demo has expired, and no orphan is older than {}",
            human(args.orphan_age)
        )?;
        return Ok(Exit::Success);
    }
    let mut exit = Exit::Success;
    for (listing, why) in sweep {
        if args.dry_run {
            writeln!(s.out(), "would bring down {}: {why}", listing.name)?;
            continue;
        }
        writeln!(s.out(), "bringing down {}: {why}", listing.name)?;
        let demo = demo::existing(s.app(), &s.assembly()?.rules, &listing.slug)?;
        let its = reach_of(s, &demo, args.host.as_deref(), args.run.assume_role.as_deref())?;
        let done = bring_down(s, &demo, &its, &args.run)?;
        exit = exit.max(done);
    }
    Ok(exit)
}
