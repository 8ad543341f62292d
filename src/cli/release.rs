//! `slipway release create|ls|show`: immutable bundles of every permanent environment's artifacts at one
//! commit, kept in the store, which deploy, promote and rollback apply byte for byte.

use std::path::PathBuf;

use serde_json::json;

use super::context::{self, StoreArgs};
use super::{CliError, Exit, ListFormat, Ui};
use crate::clock::{Clock, SystemClock};
use crate::model::Project;
use crate::release::{self, Created, ReleaseInfo};
use crate::synth::Artifacts;

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

/// Shows one release: what `release.json` says and every artifact with its SHA-256.
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

pub fn run(project: Project, args: &ReleaseArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        match &args.command {
            ReleaseCommand::Create(a) => create(&project, a, ui).await,
            ReleaseCommand::Ls(a) => ls(a, ui).await,
            ReleaseCommand::Show(a) => show(a, ui).await,
        }
    })
}

/// The artifacts a release is made of: a synth directory's (checked against its manifest), or every
/// permanent environment's, synthesized now.
pub(super) fn artifacts_for_release(
    project: &Project,
    from: Option<&std::path::Path>,
) -> Result<(Artifacts, Vec<String>), CliError> {
    match from {
        Some(dir) => {
            let read = crate::synth::read_dir(dir, &[])?;
            if let Some(path) = read.changed.first() {
                return Err(CliError::user(format!(
                    "`{}` changed after `slipway synth` wrote it (its SHA-256 differs from the one in manifest.json); \
                     refusing to release what was not reviewed",
                    dir.join(path).display()
                )));
            }
            let envs = read.manifest.environments.clone();
            Ok((read.artifacts, envs))
        }
        None => {
            let set = crate::synth::synth(project, &[])?;
            Ok((set.artifacts, set.environments))
        }
    }
}

/// Creates release `id` as `release create` does; whether it was new. Used by deploy too.
pub(super) async fn create_release(
    project: &Project,
    store: &crate::store::Store,
    id: &str,
    commit: Option<&str>,
    git_ref: Option<&str>,
    from: Option<&std::path::Path>,
) -> Result<Created, CliError> {
    if !release::valid_id(id) {
        return Err(release::ReleaseError::BadId(id.into()).into());
    }
    let (artifacts, environments) = artifacts_for_release(project, from)?;
    let info = ReleaseInfo {
        id: id.into(),
        commit: context::commit(commit),
        git_ref: context::git_ref(git_ref),
        created_at: SystemClock.now(),
        created_by: context::actor().name,
        slipway_version: env!("CARGO_PKG_VERSION").into(),
        environments,
    };
    Ok(release::create(store, &info, &artifacts).await?)
}

async fn create(project: &Project, args: &CreateArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let store = args.store.open(None).await?;
    let created = create_release(
        project,
        &store,
        &args.id,
        args.commit.as_deref(),
        args.git_ref.as_deref(),
        args.from.as_deref(),
    )
    .await?;
    match created {
        Created::New => writeln!(ui.out, "created release {} in {}", args.id, store.location())?,
        Created::Existed(info) => writeln!(
            ui.out,
            "release {} already exists in {} with the same artifacts (created {} by {}); nothing was written",
            args.id,
            store.location(),
            info.created_at,
            info.created_by
        )?,
    }
    Ok(Exit::Success)
}

async fn ls(args: &LsArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let store = args.store.open(None).await?;
    let releases = release::list(&store).await?;
    match args.format {
        ListFormat::Json => writeln!(ui.out, "{}", serde_json::to_string_pretty(&releases).expect("infos serialize"))?,
        ListFormat::Text if releases.is_empty() => writeln!(ui.out, "no releases in {}", store.location())?,
        ListFormat::Text => {
            for r in &releases {
                let commit = r.commit.as_deref().map(|c| &c[..c.len().min(12)]).unwrap_or("-");
                writeln!(
                    ui.out,
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

async fn show(args: &ShowArgs, ui: &mut Ui<'_>) -> Result<Exit, CliError> {
    let store = args.store.open(None).await?;
    let release = release::read(&store, &args.id).await?;
    match args.format {
        ListFormat::Json => {
            let value = json!({ "release": release.info, "files": release.manifest.files });
            writeln!(ui.out, "{}", serde_json::to_string_pretty(&value).expect("a release serializes"))?;
        }
        ListFormat::Text => {
            let i = &release.info;
            writeln!(ui.out, "release {}", i.id)?;
            writeln!(ui.out, "  commit        {}", i.commit.as_deref().unwrap_or("-"))?;
            writeln!(ui.out, "  ref           {}", i.git_ref.as_deref().unwrap_or("-"))?;
            writeln!(ui.out, "  created       {} by {}", i.created_at, i.created_by)?;
            writeln!(ui.out, "  slipway       {}", i.slipway_version)?;
            writeln!(ui.out, "  environments  {}", i.environments.join(", "))?;
            writeln!(ui.out, "  files")?;
            for f in &release.manifest.files {
                writeln!(ui.out, "    {}  {}", f.sha256, f.path)?;
            }
        }
    }
    Ok(Exit::Success)
}
