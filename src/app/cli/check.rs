//! `slipway check`: validates the definitions and every template they synthesize, writing nothing.

use super::{CliError, Exit, Streams};
use crate::model::Definitions;

/// Validates the definitions: environment names, promotion graph, refs, approvals, cloud.gov app names and
/// routes, docker-compose ports, and every synthesized template against CloudFormation's resource types
/// and limits. Lists every problem and exits 1 when there
/// is any.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Also check the feature-demo instance NAME (repeatable).
    #[arg(long = "demo", value_name = "NAME")]
    pub demos: Vec<String>,
}

pub fn run(d: &Definitions, args: &CheckArgs, io: &mut Streams) -> Result<Exit, CliError> {
    let (project, _) = super::with_demos(d, &args.demos)?;
    let set = crate::synth::synth(&project, &[])?;
    let stacks: usize = set.stacks.values().map(Vec::len).sum();
    writeln!(io.out, "ok: {} environments and {stacks} stacks pass every check", set.environments.len())?;
    if project.all_environments().any(|e| e.aws_target().is_some()) {
        let repository = &project.repository;
        let form = match repository.ids {
            Some(_) => "with its immutable owner and repository IDs",
            None => "by name only (a repository created after 2026-06-18 has its IDs there: `Repository::with_ids`)",
        };
        writeln!(
            io.out,
            "github oidc: roles made with `Project::github_deploy_roles` trust tokens naming {repository} {form}, \
             `repo:{}:...`; `slipway github apply --dry-run` checks that against GitHub",
            repository.subject_name()
        )?;
    }
    Ok(Exit::Success)
}
