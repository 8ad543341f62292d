//! `slipway diff`: what the definitions synthesize now, compared with an earlier `slipway synth` output
//! directory or with the deployed stacks, or any two templates (or directories of them) given by path,
//! rendered for a terminal, a pull-request comment or a machine.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sha2::{Digest, Sha256};

use super::{CliError, Ui};
use crate::diff::render::{self, Format};
use crate::model::Project;
use crate::synth::{MANIFEST, Manifest};

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
    /// credential and region chain; `AWS_ENDPOINT_URL` overrides the endpoint). A directory named
    /// `deployed` is `./deployed`.
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

pub fn run(project: Project, args: &DiffArgs, ui: &mut Ui) -> Result<ExitCode, CliError> {
    match diff(project, args, ui) {
        Ok(differs) if args.exit_code && differs => Ok(ExitCode::from(2)),
        Ok(_) => Ok(ExitCode::SUCCESS),
        // `--exit-code` promises 1 for every error, whatever its kind; a closed pipe stays a quiet exit.
        Err(e) if args.exit_code && !e.is_broken_pipe() => {
            e.render(ui.err)?;
            Ok(ExitCode::from(1))
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
    let set = crate::synth::synth(&project, &only).map_err(|p| CliError::problems(&p))?;
    let (old, new, verdicts, source) = match against {
        Against::Dir(dir) => {
            let old = read_synth_dir(dir, &only, ui)?;
            (old, set.files.clone(), BTreeMap::new(), format!("`{}`", dir.display()))
        }
        Against::Deployed => {
            let (old, verdicts) = deployed(&project, &set, args.change_set)?;
            // CloudFormation holds only the templates: compare those, not the other files.
            let mut new = set.files.clone();
            new.retain(|path, _| path.contains("/cloudformation/"));
            (old, new, verdicts, "the deployed stacks".to_string())
        }
    };
    let mut diff = crate::diff::artifacts::diff_artifacts(&old, &new, &set.environments).map_err(|e| {
        CliError::user(format!("cannot compare with {source}: {e}"))
            .hint("a template that is neither JSON nor YAML cannot be compared; check where it came from")
    })?;
    for env in &mut diff.environments {
        for stack in &mut env.stacks {
            if let Some(v) = verdicts.get(&(env.name.clone(), stack.name.clone())) {
                stack.template.apply_verdicts(&v.resources, &v.properties);
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
    let compared = crate::diff::diff_paths(old, new).map_err(|e| {
        let hint = e.hint();
        CliError::user(e.to_string()).hint(hint)
    })?;
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

/// Change-set verdicts by environment and stack.
type AllVerdicts = BTreeMap<(String, String), crate::cloud::Verdicts>;

/// The deployed templates of every stack in `set`, at the paths `synth` would write them (a stack that
/// does not exist has no file, so it shows as added), and with `change_set` CloudFormation's verdicts.
fn deployed(
    project: &Project,
    set: &crate::synth::ArtifactSet,
    change_set: bool,
) -> Result<(BTreeMap<String, Vec<u8>>, AllVerdicts), CliError> {
    let runtime = super::runtime()?;
    let cloud_error = |e: crate::cloud::CloudError| {
        CliError::cloud(e.to_string()).hint(
            "credentials and region come from the standard AWS chain (AWS_PROFILE, AWS_REGION, ...); \
             AWS_ENDPOINT_URL overrides the endpoint",
        )
    };
    runtime.block_on(async {
        let config = crate::cloud::load_config().await;
        let mut files = BTreeMap::new();
        let mut verdicts = AllVerdicts::new();
        for (env_name, stacks) in &set.stacks {
            let target = project.find(env_name).and_then(|e| e.aws_target());
            let cloud = crate::cloud::Cloud::new(&config, target.map(|t| t.region.code()));
            if let Some(t) = target {
                let account = cloud.account().await.map_err(cloud_error)?;
                if account != t.account.as_str() {
                    return Err(CliError::user(format!(
                        "the AWS credentials are for account {account}, but environment `{env_name}` deploys to \
                         account {}; its stacks would all look new",
                        t.account
                    ))
                    .hint(format!(
                        "use credentials for account {} (AWS_PROFILE, or the environment's deploy role)",
                        t.account
                    ))
                    .hint("or compare one environment at a time with --env NAME"));
                }
            }
            for stack in stacks {
                let name = stack.stack_name(&project.name, env_name);
                let Some(body) = cloud.deployed_template(&name).await.map_err(cloud_error)? else { continue };
                files.insert(format!("{env_name}/cloudformation/{}.template.json", stack.name), body.into_bytes());
                if change_set {
                    let parameters: Vec<String> = stack.template.parameters.keys().cloned().collect();
                    let v = cloud
                        .change_set_verdicts(&name, &stack.template.to_json(), &parameters)
                        .await
                        .map_err(cloud_error)?;
                    verdicts.insert((env_name.clone(), stack.name.clone()), v);
                }
            }
        }
        Ok((files, verdicts))
    })
}

/// The files of an earlier `slipway synth` output directory, as its manifest lists them, restricted to
/// the environments in `only` (all when empty).
fn read_synth_dir(dir: &Path, only: &[String], ui: &mut Ui) -> Result<BTreeMap<String, Vec<u8>>, CliError> {
    let shown = dir.display();
    let again = format!("run `slipway synth --out {shown}` on the revision you want to compare against");
    if !dir.is_dir() {
        let e = CliError::user(format!("`{shown}` is not a directory"));
        if dir.as_os_str() == "deployed" {
            // Not built yet: say so rather than pretend.
            return Err(e.hint(
                "comparing against the deployed stacks (`--against deployed`) is not available yet; \
                 compare against a `slipway synth` directory of the deployed revision instead",
            ));
        }
        return Err(e.hint(again));
    }
    let manifest_path = dir.join(MANIFEST);
    let bytes = std::fs::read(&manifest_path).map_err(|e| {
        CliError::user(format!("`{shown}` is not a `slipway synth` output directory: cannot read {MANIFEST}: {e}"))
            .hint(again.clone())
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).ok().filter(|m: &Manifest| m.generator == "slipway").ok_or_else(|| {
            CliError::user(format!("`{}` is not a manifest slipway wrote", manifest_path.display())).hint(again.clone())
        })?;
    let mut files = BTreeMap::new();
    for entry in &manifest.files {
        let env = entry.path.split('/').next().unwrap_or("");
        if !only.is_empty() && !only.iter().any(|o| o == env) {
            continue;
        }
        let path = dir.join(&entry.path);
        let contents = std::fs::read(&path).map_err(|e| {
            CliError::user(format!("`{}`, which {MANIFEST} lists, cannot be read: {e}", path.display()))
                .hint(again.clone())
        })?;
        let sha: String = Sha256::digest(&contents).iter().map(|b| format!("{b:02x}")).collect();
        if sha != entry.sha256 {
            writeln!(
                ui.err,
                "note: `{}` changed after `slipway synth` wrote it (its SHA-256 differs from {MANIFEST}); \
                 comparing what it holds now",
                path.display()
            )?;
        }
        files.insert(entry.path.clone(), contents);
    }
    Ok(files)
}
