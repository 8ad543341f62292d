//! `slipway diff`: what the definitions synthesize now, compared with an earlier `slipway synth` output
//! directory, rendered for a terminal, a pull-request comment or a machine.

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
/// resource by resource with the same file in DIR (security changes first, each resource with its impact:
/// create, update, orphan, may-replace, replace, destroy), and a unified diff of every other file.
///
/// With --exit-code, the exit status is 0 when nothing differs, 2 when something does, and 1 on any error.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Compare only this environment (repeatable); all of them by default.
    #[arg(long = "env", value_name = "NAME")]
    envs: Vec<String>,
    /// Also synthesize the feature-demo instance NAME (repeatable), as `slipway synth --demo` did.
    #[arg(long = "demo", value_name = "NAME")]
    demos: Vec<String>,
    /// A directory an earlier `slipway synth --out DIR` wrote (it has a manifest.json).
    #[arg(long, value_name = "DIR")]
    against: PathBuf,
    /// How to show the differences: `text` (coloured on a terminal unless NO_COLOR is set), `markdown`
    /// (a pull-request comment) or `json` (a stable shape, see the README).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 0 when nothing differs, 2 when something does, 1 on any error (like `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
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
    let project = super::with_demos(project, &args.demos)?;
    let only = super::resolve_envs(&project, &args.envs)?;
    let old = read_synth_dir(&args.against, &only, ui)?;
    let set = crate::synth::synth(&project, &only).map_err(|p| CliError::problems(&p))?;
    let diff = crate::diff::artifacts::diff_artifacts(&old, &set.files, &set.environments).map_err(|e| {
        CliError::user(format!("cannot compare: {e}"))
            .hint(format!("`{}` should hold what `slipway synth` wrote; run it again there", args.against.display()))
    })?;
    let color =
        args.format == Format::Text && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    render::render(&diff, args.format, color, ui.out)?;
    Ok(!diff.is_empty())
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
