//! `slipway synth`: writes every environment's artifacts to an output directory.

use std::path::PathBuf;

use super::{CliError, Exit, Streams, unknown_environment};
use crate::model::Definitions;

/// Writes every environment's CloudFormation templates, cloud.gov manifests and docker-compose files,
/// plus `manifest.json` with each file's SHA-256. The output directory is replaced as a whole, and only
/// when it is empty or an earlier `slipway synth` wrote it.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Synthesize only this environment (repeatable); all of them by default.
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    /// Also synthesize the feature-demo instance NAME (repeatable), under its slug.
    #[arg(long = "demo", value_name = "NAME")]
    pub demos: Vec<String>,
    /// The output directory.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
}

pub fn run(d: &Definitions, args: &SynthArgs, io: &mut Streams) -> Result<Exit, CliError> {
    let (project, slugs) = super::with_demos(d, &args.demos)?;
    for slug in slugs.iter().filter(|s| !s.why.is_empty()) {
        writeln!(io.err, "note: {slug}")?;
    }
    for env in &args.envs {
        project.find(env).ok_or_else(|| unknown_environment(&project, env))?;
    }
    let mut set = crate::synth::synth(&project, &args.envs)?;
    set.assets =
        crate::app::assets::files(&project, &crate::app::assets::root(&project)).map_err(super::AppError::from)?;
    crate::synth::write(&set, &args.out)?;
    let stacks: usize = set.stacks.values().map(Vec::len).sum();
    let envs = set.environments.len();
    writeln!(
        io.out,
        "synthesized {envs} environment{} ({stacks} stacks, {} files) into {}",
        if envs == 1 { "" } else { "s" },
        set.artifacts.len() + 1,
        args.out.display()
    )?;
    for note in &set.notes {
        writeln!(io.err, "note: {}: {}", note.path, note.message)?;
    }
    Ok(Exit::Success)
}
