//! `slipway github apply`: the repository's GitHub environments set to what the definitions say, so that
//! the synthesized workflows run behind the protection the deployment-flow document asks for.

use std::io::Write;
use std::path::PathBuf;

use super::{CliError, Exit, Session};
use crate::ops::OpsError;
use crate::synth::github as gh;

/// Sets the repository's GitHub environments up for the synthesized workflows.
#[derive(Debug, clap::Args)]
pub struct GitHubArgs {
    #[command(subcommand)]
    command: GitHubCommand,
}

#[derive(Debug, clap::Subcommand)]
enum GitHubCommand {
    Apply(ApplyArgs),
}

/// Creates or updates every permanent environment as a GitHub environment, as `github/environments.json`
/// says: wait timer, reviewers (people and teams, looked up by name for their ids), self-review, and
/// the custom deployment branch and tag policies. Only what differs is changed, so a second run changes
/// nothing. Refuses, before any request, when a workflow (synthesized, or in the workflows directory)
/// names an environment the definitions do not have. Reads GITHUB_API_URL (default
/// https://api.github.com) and GITHUB_TOKEN (a token that may administer the repository).
#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// Show what would change, and change nothing (reads GitHub's current settings).
    #[arg(long)]
    dry_run: bool,
    /// The repository's workflows, checked too. Default: `.github/workflows` at the top of the working tree,
    /// when there is one.
    #[arg(long, value_name = "DIR")]
    workflows: Option<PathBuf>,
}

pub fn run(s: &Session, args: &GitHubArgs) -> Result<Exit, CliError> {
    match &args.command {
        GitHubCommand::Apply(a) => apply(s, a),
    }
}

fn apply(s: &Session, args: &ApplyArgs) -> Result<Exit, CliError> {
    let assembly = s.assembly()?;
    let file = gh::environments(assembly.project(), assembly.rules.demos.is_some());
    let dir = args.workflows.clone().or_else(|| {
        let d = s.working_tree_top().join(".github/workflows");
        d.is_dir().then_some(d)
    });
    crate::ops::github::check_workflows(&file, &assembly.set.artifacts, dir.as_deref()).map_err(OpsError::from)?;
    let settings = crate::github::Settings::from_env();
    let repository = &assembly.project().repository;
    let (changes, note) = s.block_on(crate::ops::github::apply_settings(settings, &file, repository, args.dry_run))?;
    if let Some(note) = note {
        writeln!(s.err(), "note: {note}")?;
    }
    let verb = if args.dry_run { "would change" } else { "changed" };
    let mut out = s.out();
    for c in &changes {
        writeln!(out, "{verb} {}: {}", c.environment, c.what)?;
    }
    let n = file.environments.len();
    if changes.is_empty() {
        writeln!(
            out,
            "nothing to change: the {n} GitHub environments of {} are as the definitions say",
            file.repository
        )?;
    } else if args.dry_run {
        writeln!(
            out,
            "dry run: nothing was changed; {} change(s) to {} environment(s) of {}",
            changes.len(),
            n,
            file.repository
        )?;
    }
    Ok(Exit::Success)
}
