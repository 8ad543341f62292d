//! `slipway github apply`: the repository's GitHub environments set to what the definitions say, so that
//! the synthesized workflows run behind the protection the deployment-flow document asks for.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{CliError, Exit, Ui};
use crate::model::Project;
use crate::ops::github::ApplyError;
use crate::synth::Kind;
use crate::synth::github::{self as gh};

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

pub fn run(project: Project, args: &GitHubArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    match &args.command {
        GitHubCommand::Apply(a) => apply(project, a, ui),
    }
}

fn apply(project: Project, args: &ApplyArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    let set = crate::synth::synth(&project, &[])?;
    let file = gh::environments(&project);
    refuse_unknown_environments(&set, &file, args)?;
    let settings = crate::github::Settings::from_env();
    if settings.token.is_none() && !args.dry_run {
        return Err(CliError::user("GITHUB_TOKEN is not set: changing environments needs a token").hint(
            "use a token that may administer the repository (a fine-grained token with \"Administration\" write)",
        ));
    }
    let client = crate::github::GitHub::new(settings).map_err(|e| CliError::cloud(e.to_string()))?;
    let runtime = super::runtime()?;
    let changes = runtime.block_on(crate::ops::github::apply(&client, &file, args.dry_run)).map_err(apply_error)?;
    let verb = if args.dry_run { "would change" } else { "changed" };
    for c in &changes {
        writeln!(ui.out, "{verb} {}: {}", c.environment, c.what)?;
    }
    let n = file.environments.len();
    if changes.is_empty() {
        writeln!(
            ui.out,
            "nothing to change: the {n} GitHub environments of {} are as the definitions say",
            file.repository
        )?;
    } else if args.dry_run {
        writeln!(
            ui.out,
            "dry run: nothing was changed; {} change(s) to {} environment(s) of {}",
            changes.len(),
            n,
            file.repository
        )?;
    }
    Ok(Exit::Success)
}

/// Every environment a workflow names must be one the definitions have: GitHub creates a named
/// environment on a job's first run, with no protection at all.
fn refuse_unknown_environments(
    set: &crate::synth::ArtifactSet,
    file: &gh::EnvironmentsFile,
    args: &ApplyArgs,
) -> Result<(), CliError> {
    let known: BTreeSet<&str> = file.environments.iter().map(|e| e.name.as_str()).collect();
    let mut texts: Vec<(String, String)> = set
        .artifacts
        .iter()
        .filter(|(k, _)| k.kind == Kind::Workflow)
        .map(|(k, v)| (format!("{} (synthesized)", k.path()), String::from_utf8_lossy(v).into_owned()))
        .collect();
    let dir = args.workflows.clone().or_else(|| {
        let d = super::context::working_tree_top().join(".github/workflows");
        d.is_dir().then_some(d)
    });
    if let Some(dir) = &dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| CliError::user(format!("cannot read the workflows directory `{}`: {e}", dir.display())))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::user(format!("cannot read `{}`: {e}", path.display())))?;
            texts.push((path.display().to_string(), text));
        }
    }
    let mut details = Vec::new();
    for (source, text) in &texts {
        match gh::environments_named(text) {
            Ok(names) => {
                for name in names.iter().filter(|n| !known.contains(n.as_str())) {
                    let hint = crate::suggest::hint(name, known.iter().copied());
                    details
                        .push(format!("{source} names environment `{name}`, which the definitions do not have{hint}"));
                }
            }
            Err(why) => details.push(format!("{source} {why}")),
        }
    }
    if details.is_empty() {
        return Ok(());
    }
    let mut e = CliError::user("refusing to apply: workflows name GitHub environments the definitions do not have");
    for d in details {
        e = e.detail(d);
    }
    Err(e
        .hint("GitHub creates an environment a job names on its first run, with no protection at all")
        .hint("fix the workflow, or define the environment in environments/; nothing was changed"))
}

fn apply_error(e: ApplyError) -> CliError {
    match e {
        ApplyError::UnknownReviewer { .. } => CliError::user(e.to_string())
            .hint("approval groups list GitHub logins (and are GitHub teams of the owner when they have more than six people)"),
        ApplyError::GitHub(e) => {
            let status = e.status();
            let mut err = CliError::cloud(e.to_string());
            if matches!(status, Some(401 | 403)) {
                err = err.hint("GITHUB_TOKEN must be a token that may administer the repository");
            }
            err.hint("what was changed before the failure stays; running it again changes only what still differs")
        }
    }
}
