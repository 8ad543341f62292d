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
    let apps_differ = cloud_gov_apps(s, project, &set, io)?;
    let hosts_differ = compose_hosts(project, &set, io)?;
    Ok(diff_finish(&old, &new, &set.environments, &verdicts, args, io)? || apps_differ || hosts_differ)
}

/// Compares each environment's compose host (on a server) with what the definitions synthesize for it,
/// by meaning (see [`crate::ops::compose_diff`]): a line per service, saying what runs and how it differs;
/// whether any differs. A host nothing says how to reach is said not compared.
fn compose_hosts(
    project: &crate::model::Project,
    set: &crate::synth::ArtifactSet,
    io: &mut Streams,
) -> Result<bool, CliError> {
    use crate::ops::compose_host::{HostError, reach_to_read};
    let mut differs = false;
    for env in set.environments.iter().filter_map(|name| project.find(name)) {
        let Some(bundle) = crate::synth::compose::bundle(project, env) else { continue };
        let reach = match reach_to_read(env) {
            Ok(Some(reach)) => reach,
            Ok(None) => continue,
            Err(e @ HostError::NoDockerHost(_)) => {
                writeln!(io.err, "note: the compose host of {} was not compared: {e}", env.name)?;
                continue;
            }
            Err(e) => return Err(CliError::user(e.to_string())),
        };
        let diff = crate::ops::compose_diff::against(&reach, &bundle).map_err(|e| {
            CliError::cloud(format!("reading compose project {} on {}: {e}", bundle.project, reach.host))
        })?;
        writeln!(io.out, "compose {} on {} (project {}):", env.name, diff.host, diff.project)?;
        for service in &diff.services {
            let runs = service.runs.as_deref().unwrap_or("nothing");
            writeln!(io.out, "  {}: {runs}", service.service)?;
            for difference in &service.differences {
                writeln!(io.out, "    differs: {difference}")?;
            }
        }
        differs |= diff.differs();
    }
    Ok(differs)
}

/// Compares each environment's cloud.gov apps with its synthesized manifest, by meaning (instances,
/// memory, disk, health check, routes, the names of the variables, bound services), a line per
/// difference; whether any differs. Without CF_API and credentials it says what it did not compare.
fn cloud_gov_apps(
    s: &Session,
    project: &crate::model::Project,
    set: &crate::synth::ArtifactSet,
    io: &mut Streams,
) -> Result<bool, CliError> {
    use crate::synth::{ArtifactKey, ArtifactKind};
    let manifests: Vec<(&crate::model::Environment, &Vec<u8>)> = set
        .environments
        .iter()
        .filter_map(|name| project.find(name))
        .filter(|env| env.cloud_gov_target().is_some())
        .filter_map(|env| {
            set.artifacts
                .get(&ArtifactKey::env_file(&env.name, ArtifactKind::CloudGov, "manifest.yml"))
                .map(|m| (env, m))
        })
        .collect();
    if manifests.is_empty() {
        return Ok(false);
    }
    let cf = match crate::cloudfoundry::Settings::from_env().and_then(crate::cloudfoundry::CloudFoundry::new) {
        Ok(cf) => cf,
        Err(e) => {
            let names: Vec<&str> = manifests.iter().map(|(e, _)| e.name.as_str()).collect();
            writeln!(io.err, "note: the cloud.gov apps of {} were not compared: {e}", names.join(", "))?;
            return Ok(false);
        }
    };
    let mut differs = false;
    for (env, manifest) in manifests {
        let apps = s.block_on(crate::ops::cloudgov::deployed(&cf, env, manifest, "synthesized", None))?;
        for (app, what) in apps {
            for line in &what {
                writeln!(io.out, "cloud.gov {} app {app}: {line}", env.name)?;
            }
            differs |= !what.is_empty();
        }
    }
    Ok(differs)
}
