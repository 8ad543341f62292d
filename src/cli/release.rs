//! `slipway release create|ls|show`: immutable bundles of every permanent environment's artifacts at one
//! commit, kept in the store, which deploy, promote and rollback apply byte for byte.

use std::path::PathBuf;

use std::io::Write;

use serde_json::json;

use super::run_args::StoreArgs;
use super::{CliError, Exit, ListFormat, Session};
use crate::ops::release::{NewRelease, Source};
use crate::release::{self, Created};

/// Makes, lists and shows releases.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    command: ReleaseCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReleaseCommand {
    Create(CreateArgs),
    Ls(LsArgs),
    Show(ShowArgs),
}

/// Synthesizes every permanent environment into one release (artifacts, their manifest and
/// `release.json`) and writes it to the store once. An id that exists is a no-op when its artifacts are
/// the same bytes, and refused when they are not.
#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// The release's id (a tag or build number): letters, digits, `.`, `_`, `-`.
    #[arg(long, value_name = "ID")]
    id: String,
    /// The commit it is made from. Default: $GITHUB_SHA, else git's HEAD.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// The git ref it is made on. Default: $GITHUB_REF, else git's current branch.
    #[arg(long = "ref", value_name = "REF")]
    git_ref: Option<String>,
    /// Take the artifacts of this `slipway synth --out` directory (each checked against its manifest)
    /// instead of synthesizing.
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// Make the release even though the working tree has uncommitted changes; `release.json` lists them.
    #[arg(long)]
    allow_dirty: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// Lists the releases in the store, newest first.
#[derive(Debug, clap::Args)]
struct LsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    store: StoreArgs,
}

/// Shows one release: what `release.json` says, every artifact with its SHA-256, and its assets.
#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The release.
    #[arg(value_name = "ID")]
    id: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    store: StoreArgs,
}

impl ReleaseArgs {
    /// The store the command names.
    pub(super) fn store(&self) -> &StoreArgs {
        match &self.command {
            ReleaseCommand::Create(a) => &a.store,
            ReleaseCommand::Ls(a) => &a.store,
            ReleaseCommand::Show(a) => &a.store,
        }
    }
}

pub fn run(s: &Session, args: &ReleaseArgs) -> Result<Exit, CliError> {
    match &args.command {
        ReleaseCommand::Create(a) => create(s, a),
        ReleaseCommand::Ls(a) => ls(s, a),
        ReleaseCommand::Show(a) => show(s, a),
    }
}

fn create(s: &Session, args: &CreateArgs) -> Result<Exit, CliError> {
    let cx = s.context()?;
    let new = NewRelease {
        id: &args.id,
        commit: s.commit(args.commit.as_deref()),
        git_ref: s.git_ref(args.git_ref.as_deref()),
        from: match args.from.as_deref() {
            Some(dir) => Source::Reviewed(dir),
            None => Source::Synthesized(&s.assembly()?.set),
        },
        uncommitted: s.uncommitted(),
        allow_dirty: args.allow_dirty,
    };
    let created = s.block_on(crate::ops::release::create(
        &cx,
        &new,
        &mut crate::apply::report::EventLines::new(s.ui().err.clone()),
    ))?;
    let store = cx.store.location();
    match created {
        Created::New => writeln!(s.out(), "created release {} in {store}", args.id)?,
        Created::Existed(info) => writeln!(
            s.out(),
            "release {} already exists in {store} with the same artifacts (created {} by {}); nothing was written",
            args.id,
            info.created_at,
            info.created_by
        )?,
    }
    if !new.info(&cx).dirty.is_empty() {
        writeln!(
            s.err(),
            "note: the release holds uncommitted changes, and says so: {}",
            new.info(&cx).dirty.join(", ")
        )?;
    }
    Ok(Exit::Success)
}

fn ls(s: &Session, args: &LsArgs) -> Result<Exit, CliError> {
    let store = s.store()?;
    let releases = s.block_on(release::list(store))?;
    let mut out = s.out();
    match args.format {
        ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&releases).expect("infos serialize"))?,
        ListFormat::Text if releases.is_empty() => writeln!(out, "no releases in {}", store.location())?,
        ListFormat::Text => {
            for r in &releases {
                let commit = r.commit.as_deref().map(|c| &c[..c.len().min(12)]).unwrap_or("-");
                writeln!(
                    out,
                    "{}  {}  commit {commit}  ref {}  by {}  ({})",
                    r.id,
                    r.created_at,
                    r.git_ref.as_deref().unwrap_or("-"),
                    r.created_by,
                    r.environments.join(", ")
                )?;
            }
        }
    }
    Ok(Exit::Success)
}

fn show(s: &Session, args: &ShowArgs) -> Result<Exit, CliError> {
    let release = s.block_on(release::read(s.store()?, &args.id))?;
    let mut out = s.out();
    match args.format {
        ListFormat::Json => {
            let value = json!({ "release": release.info, "files": release.manifest.files, "assets": release.assets });
            writeln!(out, "{}", serde_json::to_string_pretty(&value).expect("a release serializes"))?;
        }
        ListFormat::Text => {
            let i = &release.info;
            writeln!(out, "release {}", i.id)?;
            writeln!(out, "  commit        {}", i.commit.as_deref().unwrap_or("-"))?;
            writeln!(out, "  ref           {}", i.git_ref.as_deref().unwrap_or("-"))?;
            writeln!(out, "  created       {} by {}", i.created_at, i.created_by)?;
            writeln!(out, "  slipway       {}", i.slipway_version)?;
            writeln!(out, "  environments  {}", i.environments.join(", "))?;
            if !i.dirty.is_empty() {
                writeln!(out, "  uncommitted   {}", i.dirty.join(", "))?;
            }
            writeln!(out, "  files")?;
            for f in &release.manifest.files {
                writeln!(out, "    {}  {}", f.sha256, f.path)?;
            }
            if !release.assets.is_empty() {
                writeln!(out, "  assets")?;
                for a in &release.assets {
                    writeln!(out, "    {}  {} ({}, {} bytes)", a.sha256, a.key, a.name, a.bytes)?;
                }
            }
        }
    }
    Ok(Exit::Success)
}
