//! `slipway diff --against deployed`: what the definitions synthesize now, compared with the deployed
//! stacks (GetTemplate through the environment's role), and CloudFormation's own replacement verdicts with
//! `--change-set`. Every other diff (against a synth directory, or two paths) is the definitions' own, and
//! is handed to their program; both end the same way ([`diff_finish`]).

use super::{CliError, Exit, Session};
use crate::app::cli::{Against, DiffArgs, Streams, diff_ending, diff_finish, unknown_environment};

/// `slipway diff`: against the deployed stacks here, anything else by the definitions' program (`own`).
pub fn run(s: &Session, args: &DiffArgs, own: impl FnOnce() -> Result<Exit, CliError>) -> Result<Exit, CliError> {
    if !matches!(args.against, Some(Against::Deployed)) || args.old.is_some() {
        return own();
    }
    let (mut out, mut err) = (s.out(), s.err());
    let color = s.ui().standard && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut io = Streams { out: &mut out, err: &mut err, color };
    diff_ending(args, &mut io, |io| deployed(s, args, io))
}

/// Compares with the deployed stacks; whether anything differs.
fn deployed(s: &Session, args: &DiffArgs, io: &mut Streams) -> Result<bool, CliError> {
    let assembly = if args.demos.is_empty() { s.assembly()?.clone() } else { s.app().assembly(&args.demos)? };
    let project = assembly.project();
    for env in &args.envs {
        project.find(env).ok_or_else(|| unknown_environment(project, env))?;
    }
    let set = assembly.set.only(&args.envs);
    let (old, verdicts) =
        s.block_on(crate::ops::deployed::for_diff(&s.connector_for_a_person(), project, &set, args.change_set))?;
    // CloudFormation holds only the templates: compare those, not the other files.
    let new = set.artifacts.iter().filter(|(k, _)| k.stack().is_some()).map(|(k, v)| (k.clone(), v.clone())).collect();
    diff_finish(&old, &new, &set.environments, &verdicts, args, io)
}
