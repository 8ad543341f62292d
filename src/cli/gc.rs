//! `slipway gc`: removes from the store the releases no ledger record refers to, older than an age, and
//! the stored assets no release left lists; `--dry-run` lists them and removes nothing.

use std::io::Write;
use std::time::Duration;

use super::run_args::StoreArgs;
use super::{CliError, Exit, Session};

/// Removes releases that no ledger record refers to (none was ever deployed, promoted or rolled back to
/// anywhere) and that are older than --older-than, then every stored asset no remaining release lists.
/// A release the ledger names is never removed.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Keep unreferenced releases younger than this (made, not deployed yet).
    #[arg(long, value_name = "DURATION", value_parser = crate::clock::parse_duration, default_value = "30d")]
    older_than: Duration,
    /// List what would be removed, and remove nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

pub fn run(s: &Session, args: &GcArgs) -> Result<Exit, CliError> {
    let store = s.store()?;
    let garbage = s.block_on(crate::ops::gc::find(store, s.clock().now(), args.older_than))?;
    let mut out = s.out();
    let verb = if args.dry_run { "would remove" } else { "removing" };
    for (id, made) in &garbage.releases {
        writeln!(out, "{verb} release {id} (made {made}, no record refers to it)")?;
    }
    for key in &garbage.assets {
        writeln!(out, "{verb} {key} (no release left lists it)")?;
    }
    if !args.dry_run {
        s.block_on(crate::ops::gc::remove(store, &garbage))?;
    }
    let (releases, assets) = (garbage.releases.len(), garbage.assets.len());
    writeln!(
        out,
        "{}: {releases} release{} and {assets} asset{}{}; {} release{} and {} asset{} kept",
        if args.dry_run { "dry run" } else { "gc" },
        if releases == 1 { "" } else { "s" },
        if assets == 1 { "" } else { "s" },
        if args.dry_run { " would be removed" } else { " removed" },
        garbage.kept_releases,
        if garbage.kept_releases == 1 { "" } else { "s" },
        garbage.kept_assets,
        if garbage.kept_assets == 1 { "" } else { "s" },
    )?;
    Ok(Exit::Success)
}
