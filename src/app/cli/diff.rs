//! `slipway diff`: what the definitions synthesize now, compared with an earlier `slipway synth` output
//! directory, or any two templates (or directories of them) given by path, rendered for a terminal, a
//! pull-request comment or a machine. The comparison with the deployed stacks reads AWS, so it is the
//! engine's; it ends the same way ([`finish`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{CliError, Exit, Streams, unknown_environment};
use crate::diff::{Verdicts, render};
use crate::model::Definitions;
use crate::synth::{ArtifactKey, Artifacts, MANIFEST};

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
    pub old: Option<PathBuf>,
    /// The new template, or directory of templates.
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    /// Compare only this environment (repeatable); all of them by default.
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    /// Also synthesize the feature-demo instance NAME (repeatable), as `slipway synth --demo` did.
    #[arg(long = "demo", value_name = "NAME")]
    pub demos: Vec<String>,
    /// What to compare with: a directory an earlier `slipway synth --out DIR` wrote (it has a
    /// manifest.json), or `deployed` for the stacks deployed now (GetTemplate through the standard AWS
    /// credential and region chain, refused when the credentials are for another account than the
    /// environment's; `AWS_ENDPOINT_URL` overrides the endpoint). A directory named `deployed` is
    /// `./deployed`.
    #[arg(long, value_name = "DIR|deployed", value_parser = parse_against)]
    pub against: Option<Against>,
    /// With `--against deployed`: also create a change set on each deployed stack, take CloudFormation's
    /// replacement verdicts over slipway's own, and delete the change set again.
    #[arg(long)]
    pub change_set: bool,
    /// How to show the differences: `text` (coloured on a terminal unless NO_COLOR is set), `markdown`
    /// (a pull-request comment) or `json` (a stable shape, see the README).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 0 when nothing differs, 2 when something does, 1 on any error (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
}

/// How to show the differences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// For a terminal or a CI log.
    Text,
    /// For a pull-request comment.
    Markdown,
    /// For machines: a stable, documented shape (see the README).
    Json,
}

impl From<Format> for render::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => render::Format::Text,
            Format::Markdown => render::Format::Markdown,
            Format::Json => render::Format::Json,
        }
    }
}

/// What `--against` names.
#[derive(Clone, Debug)]
pub enum Against {
    /// An earlier `slipway synth` output directory.
    Dir(PathBuf),
    /// The deployed stacks.
    Deployed,
}

fn parse_against(s: &str) -> Result<Against, String> {
    Ok(if s == "deployed" { Against::Deployed } else { Against::Dir(PathBuf::from(s)) })
}

/// `slipway diff` without the cloud: against a synth directory, or `OLD NEW`.
pub fn run(d: &Definitions, args: &DiffArgs, io: &mut Streams) -> Result<Exit, CliError> {
    ending(args, io, |io| diff(d, args, io))
}

/// How a diff ends: 0 (or 2 with `--exit-code` when something differs), and with `--exit-code` every
/// error is 1, whatever its kind; a closed pipe stays a quiet exit.
pub fn ending(
    args: &DiffArgs,
    io: &mut Streams,
    diff: impl FnOnce(&mut Streams) -> Result<bool, CliError>,
) -> Result<Exit, CliError> {
    match diff(io) {
        Ok(differs) if args.exit_code && differs => Ok(Exit::Differs),
        Ok(_) => Ok(Exit::Success),
        Err(e) if args.exit_code && !e.is_broken_pipe() => {
            e.render(io.err)?;
            Ok(Exit::Refused)
        }
        Err(e) => Err(e),
    }
}

/// Computes and renders the diff; whether anything differs.
fn diff(d: &Definitions, args: &DiffArgs, io: &mut Streams) -> Result<bool, CliError> {
    let dir = match (&args.old, &args.new, &args.against) {
        (Some(old), Some(new), _) => return diff_paths(old, new, args, io),
        (_, _, Some(Against::Dir(dir))) => dir,
        (_, _, Some(Against::Deployed)) => {
            return Err(CliError::user("`diff --against deployed` reads AWS, which the definitions' program does not")
                .hint("run it with the slipway engine: `slipway diff --against deployed`"));
        }
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
    if args.change_set {
        return Err(CliError::user(
            "--change-set needs --against deployed: a change set compares with a deployed stack",
        ));
    }
    let (project, _) = super::with_demos(d, &args.demos)?;
    for env in &args.envs {
        project.find(env).ok_or_else(|| unknown_environment(&project, env))?;
    }
    let set = crate::synth::synth(&project, &args.envs)?;
    let read = crate::synth::read_dir(dir, &args.envs)?;
    for path in &read.changed {
        writeln!(
            io.err,
            "note: `{}` changed after `slipway synth` wrote it (its SHA-256 differs from {MANIFEST}); comparing what \
             it holds now",
            dir.join(path).display()
        )?;
    }
    finish(&read.artifacts, &set.artifacts, &set.environments, &BTreeMap::new(), args, io)
}

/// Compares `old` with `new` for `environments`, takes CloudFormation's `verdicts` over slipway's own
/// where there are any, and renders the diff as asked; whether anything differs.
pub fn finish(
    old: &Artifacts,
    new: &Artifacts,
    environments: &[String],
    verdicts: &BTreeMap<ArtifactKey, Verdicts>,
    args: &DiffArgs,
    io: &mut Streams,
) -> Result<bool, CliError> {
    let mut diff = crate::diff::artifacts::diff_artifacts(old, new, environments)?;
    for env in &mut diff.environments {
        for stack in &mut env.stacks {
            if let Some(v) = verdicts.get(&ArtifactKey::template(&env.name, &stack.name)) {
                stack.template.apply_verdicts(v);
            }
        }
    }
    show(&diff, args, io)
}

/// Renders `diff` as asked; whether anything differs.
fn show(diff: &crate::diff::Diff, args: &DiffArgs, io: &mut Streams) -> Result<bool, CliError> {
    let color = args.format == Format::Text && std::env::var_os("NO_COLOR").is_none() && io.color;
    render::render(diff, args.format.into(), color, io.out)?;
    Ok(!diff.is_empty())
}

/// `slipway diff OLD NEW`: two templates or two directories of them, no definitions involved.
fn diff_paths(old: &Path, new: &Path, args: &DiffArgs, io: &mut Streams) -> Result<bool, CliError> {
    let compared = crate::diff::diff_paths(old, new)?;
    if !compared.skipped.is_empty() {
        const SHOWN: usize = 5;
        let mut list = compared.skipped.iter().take(SHOWN).map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
        if compared.skipped.len() > SHOWN {
            list.push_str(&format!(" and {} more", compared.skipped.len() - SHOWN));
        }
        writeln!(io.err, "note: not compared, as not templates (.json, .yaml, .yml, .template): {list}")?;
    }
    show(&compared.diff, args, io)
}
