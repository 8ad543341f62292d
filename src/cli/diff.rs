//! `slipway diff`: what the definitions synthesize now, compared with an earlier `slipway synth` output
//! directory or with the deployed stacks, or any two templates (or directories of them) given by path,
//! rendered for a terminal, a pull-request comment or a machine.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{CliError, Exit, Ui};
use crate::apply::cloudformation::stack_name;
use crate::cloud::{
    ChangeSetOutcome, ChangeSetRequest, Cloud, Connector, Destination, ParameterValue, Poll, RegionRule, Settings,
    TemplateSource,
};
use crate::diff::Verdicts;
use crate::diff::render::{self, Format};
use crate::model::Project;
use crate::synth::{ArtifactKey, ArtifactSet, Artifacts, MANIFEST};

/// Shows what would change: every CloudFormation template the definitions synthesize now, compared
/// resource by resource with the same file in DIR or with the deployed stack (security changes first,
/// each resource with its impact: create, update, orphan, may-replace, replace, destroy), and a unified
/// diff of every other file.
///
/// `slipway diff OLD NEW` compares two CloudFormation templates that slipway need not have written
/// (JSON or YAML, one of each if you like, read as CloudFormation reads them), or two directories of
/// templates matched by relative path. In a directory, files ending in .json, .yaml, .yml or .template
/// are templates: one only a side has is added or removed, and one that is neither JSON nor YAML is an
/// error. Other files, and hidden files and directories, are not compared (a note lists them).
///
/// With --exit-code, the exit status is 0 when nothing differs, 2 when something does, and 1 on any error.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old template, or directory of templates (with NEW, instead of --against).
    #[arg(value_name = "OLD", requires = "new", conflicts_with_all = ["against", "envs", "demos", "change_set"])]
    old: Option<PathBuf>,
    /// The new template, or directory of templates.
    #[arg(value_name = "NEW")]
    new: Option<PathBuf>,
    /// Compare only this environment (repeatable); all of them by default.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Also synthesize the feature-demo instance NAME (repeatable), as `slipway synth --demo` did.
    #[arg(long = "demo", value_name = "NAME")]
    demos: Vec<String>,
    /// What to compare with: a directory an earlier `slipway synth --out DIR` wrote (it has a
    /// manifest.json), or `deployed` for the stacks deployed now (GetTemplate through the standard AWS
    /// credential and region chain, refused when the credentials are for another account than the
    /// environment's; `AWS_ENDPOINT_URL` overrides the endpoint). A directory named `deployed` is
    /// `./deployed`.
    #[arg(long, value_name = "DIR|deployed", value_parser = parse_against)]
    against: Option<Against>,
    /// With `--against deployed`: also create a change set on each deployed stack, take CloudFormation's
    /// replacement verdicts over slipway's own, and delete the change set again.
    #[arg(long)]
    change_set: bool,
    /// How to show the differences: `text` (coloured on a terminal unless NO_COLOR is set), `markdown`
    /// (a pull-request comment) or `json` (a stable shape, see the README).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 0 when nothing differs, 2 when something does, 1 on any error (like `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
}

/// What `--against` names.
#[derive(Clone, Debug)]
enum Against {
    /// An earlier `slipway synth` output directory.
    Dir(PathBuf),
    /// The deployed stacks.
    Deployed,
}

fn parse_against(s: &str) -> Result<Against, String> {
    Ok(if s == "deployed" { Against::Deployed } else { Against::Dir(PathBuf::from(s)) })
}

pub fn run(project: Project, args: &DiffArgs, ui: &mut Ui) -> Result<Exit, CliError> {
    match diff(project, args, ui) {
        Ok(differs) if args.exit_code && differs => Ok(Exit::Differs),
        Ok(_) => Ok(Exit::Success),
        // `--exit-code` promises 1 for every error, whatever its kind; a closed pipe stays a quiet exit.
        Err(e) if args.exit_code && !e.is_broken_pipe() => {
            e.render(ui.err)?;
            Ok(Exit::Refused)
        }
        Err(e) => Err(e),
    }
}

/// Computes and renders the diff; whether anything differs.
fn diff(project: Project, args: &DiffArgs, ui: &mut Ui) -> Result<bool, CliError> {
    let against = match (&args.old, &args.new, &args.against) {
        (Some(old), Some(new), _) => return diff_paths(old, new, args, ui),
        (_, _, Some(against)) => against,
        _ => {
            return Err(CliError::user(
                "nothing to compare: give `--against DIR|deployed`, or two templates (or directories of \
                 templates) as `OLD NEW`",
            )
            .hint(
                "`--against DIR` compares the definitions with an earlier `slipway synth --out DIR`, \
                 `--against deployed` with the deployed stacks",
            ));
        }
    };
    let project = super::with_demos(project, &args.demos)?;
    let only = super::resolve_envs(&project, &args.envs)?;
    if args.change_set && !matches!(against, Against::Deployed) {
        return Err(CliError::user(
            "--change-set needs --against deployed: a change set compares with a deployed stack",
        ));
    }
    let set = crate::synth::synth(&project, &only)?;
    let (old, new, verdicts) = match against {
        Against::Dir(dir) => {
            let read = crate::synth::read_dir(dir, &only)?;
            for path in &read.changed {
                writeln!(
                    ui.err,
                    "note: `{}` changed after `slipway synth` wrote it (its SHA-256 differs from {MANIFEST}); \
                     comparing what it holds now",
                    dir.join(path).display()
                )?;
            }
            (read.artifacts, set.artifacts.clone(), BTreeMap::new())
        }
        Against::Deployed => {
            let (old, verdicts) = deployed(&project, &set, args.change_set)?;
            // CloudFormation holds only the templates: compare those, not the other files.
            let new = set.artifacts.iter().filter(|(k, _)| k.stack().is_some()).map(|(k, v)| (k.clone(), v.clone()));
            (old, new.collect(), verdicts)
        }
    };
    let mut diff = crate::diff::artifacts::diff_artifacts(&old, &new, &set.environments)?;
    for env in &mut diff.environments {
        for stack in &mut env.stacks {
            if let Some(v) = verdicts.get(&ArtifactKey::template(&env.name, &stack.name)) {
                stack.template.apply_verdicts(v);
            }
        }
    }
    show(&diff, args, ui)
}

/// Renders `diff` as asked; whether anything differs.
fn show(diff: &crate::diff::Diff, args: &DiffArgs, ui: &mut Ui) -> Result<bool, CliError> {
    let color =
        args.format == Format::Text && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    render::render(diff, args.format, color, ui.out)?;
    Ok(!diff.is_empty())
}

/// `slipway diff OLD NEW`: two templates or two directories of them, no definitions involved.
fn diff_paths(old: &Path, new: &Path, args: &DiffArgs, ui: &mut Ui) -> Result<bool, CliError> {
    let compared = crate::diff::diff_paths(old, new)?;
    if !compared.skipped.is_empty() {
        const SHOWN: usize = 5;
        let mut list = compared.skipped.iter().take(SHOWN).map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
        if compared.skipped.len() > SHOWN {
            list.push_str(&format!(" and {} more", compared.skipped.len() - SHOWN));
        }
        writeln!(ui.err, "note: not compared, as not templates (.json, .yaml, .yml, .template): {list}")?;
    }
    show(&compared.diff, args, ui)
}

/// The deployed template of every stack in `set` (a stack that does not exist has none, so it shows as
/// added), and with `change_set` CloudFormation's verdicts on each.
///
/// Every environment is connected to at once, then every stack of all of them is read at once: the cloud
/// layer bounds the calls in flight and pauses them all when AWS throttles (see `cloud::limit`), and the
/// results are taken in the definitions' order, the first failure in that order being the one reported.
fn deployed(
    project: &Project,
    set: &ArtifactSet,
    change_set: bool,
) -> Result<(Artifacts, BTreeMap<ArtifactKey, Verdicts>), CliError> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let connector = Connector::load(Settings::from_env().with_deadline(Settings::PERSON_WAITING)).await;
        let envs: Vec<(&String, &Vec<String>, Destination)> = set
            .stacks
            .iter()
            .filter(|(_, stacks)| !stacks.is_empty())
            .filter_map(|(env_name, stacks)| {
                let target = project.find(env_name).and_then(|e| e.aws_target())?;
                let dest = Destination {
                    environment: env_name,
                    account: target.account.as_str(),
                    region: target.region.code(),
                };
                Some((env_name, stacks, dest))
            })
            .collect();
        let connected =
            join_all(envs.iter().map(|(_, _, dest)| connector.connect(dest, RegionRule::Environment))).await;
        let clouds = connected.into_iter().collect::<Result<Vec<_>, _>>()?;
        let reads = envs
            .iter()
            .zip(&clouds)
            .flat_map(|((env_name, stacks, _), cloud)| stacks.iter().map(move |stack| (*env_name, stack, cloud)));
        let read: Vec<Option<(ArtifactKey, String, Option<Verdicts>)>> = stream::iter(reads)
            .map(|(env_name, stack, cloud)| async move {
                let name = stack_name(&project.name, env_name, stack);
                let Some((state, body)) = cloud.deployed(&name).await? else { return Ok(None) };
                let key = ArtifactKey::template(env_name, stack);
                let verdicts = match change_set {
                    true => {
                        let template = String::from_utf8_lossy(&set.artifacts[&key]).into_owned();
                        Some(change_set_verdicts(cloud, &state, &template).await?)
                    }
                    false => None,
                };
                Ok::<_, CliError>(Some((key, body, verdicts)))
            })
            .buffered(crate::cloud::limit::IN_FLIGHT)
            .try_collect()
            .await?;
        let mut templates = Artifacts::new();
        let mut verdicts = BTreeMap::new();
        for (key, body, v) in read.into_iter().flatten() {
            if let Some(v) = v {
                verdicts.insert(key.clone(), v);
            }
            templates.insert(key, body.into_bytes());
        }
        Ok((templates, verdicts))
    })
}

/// Creates a change set that would update the deployed stack to `template` (its parameters keeping their
/// current values), reads CloudFormation's verdicts from it, and deletes it again.
async fn change_set_verdicts(
    cloud: &Cloud,
    state: &crate::cloud::StackState,
    template: &str,
) -> Result<Verdicts, CliError> {
    let declared: Vec<String> = crate::diff::parse_template(template)
        .ok()
        .and_then(|t| t.get("Parameters").and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect()))
        .unwrap_or_default();
    let name = format!("slipway-diff-{}", std::process::id());
    let request = ChangeSetRequest {
        stack: &state.name,
        name: &name,
        create: false,
        template: TemplateSource::Body(template),
        parameters: declared
            .into_iter()
            .filter(|p| state.parameters.contains_key(p))
            .map(|p| (p, ParameterValue::UsePrevious))
            .collect(),
        tags: None,
    };
    match cloud.create_change_set(&request, &Poll::from_min(Duration::from_millis(500))).await? {
        ChangeSetOutcome::NoChanges => Ok(Verdicts::default()),
        ChangeSetOutcome::Failed(reason) => {
            Err(CliError::cloud(format!("CloudFormation refused a change set for stack `{}`: {reason}", state.name)))
        }
        ChangeSetOutcome::Ready(cs) => {
            let verdicts = Verdicts::of(&cs.changes);
            cloud.delete_change_set(&state.name, &cs.id).await?;
            Ok(verdicts)
        }
    }
}
