//! `slipway synth`: writes every environment's artifacts to an output directory.

use std::io::Write;
use std::path::PathBuf;

use super::{CliError, Exit, Session};

/// Writes every environment's CloudFormation templates, cloud.gov manifests and docker-compose files,
/// plus `manifest.json` with each file's SHA-256. The output directory is replaced as a whole, and only
/// when it is empty or an earlier `slipway synth` wrote it.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Synthesize only this environment (repeatable); all of them by default.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Also synthesize the feature-demo instance NAME (repeatable).
    #[arg(long = "demo", value_name = "NAME")]
    demos: Vec<String>,
    /// The output directory.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
}

pub fn run(s: &Session, args: &SynthArgs) -> Result<Exit, CliError> {
    let project = s.with_demos(&args.demos)?;
    for env in &args.envs {
        project.find(env).ok_or_else(|| super::session::unknown_environment(&project, env))?;
    }
    let set = crate::synth::synth(&project, &args.envs)?;
    crate::synth::write(&set, &args.out)?;
    let stacks: usize = set.stacks.values().map(Vec::len).sum();
    let envs = set.environments.len();
    writeln!(
        s.out(),
        "synthesized {envs} environment{} ({stacks} stacks, {} files) into {}",
        if envs == 1 { "" } else { "s" },
        set.artifacts.len() + 1,
        args.out.display()
    )?;
    for note in &set.notes {
        writeln!(s.err(), "note: {}: {}", note.path, note.message)?;
    }
    Ok(Exit::Success)
}
