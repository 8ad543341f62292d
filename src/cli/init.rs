//! `slipway init DIR`: a new team's repository of definitions that builds and synthesizes as it stands.

use std::io::Write;
use std::path::PathBuf;

use super::{CliError, Exit, Session};
use crate::ops::init::{InitError, InitRequest, SlipwaySource};

/// Makes a new team's repository in DIR (new, or empty): its Cargo.toml (slipway's pure part, as a git
/// dependency pinned to a revision with --git and --rev, or a local checkout with --path), its program
/// (src/main.rs), one environment (dev, deployed on every push to main), one stack made with the
/// library's deploy-role pattern, a README that says how to add an environment, a service and a stack,
/// .gitignore, and the GitHub workflows its definitions synthesize (building it once, which is how init
/// knows it builds). Nothing is left behind when any step fails.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The directory of the new repository.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The project's name, which begins every stack's name (default: DIR's name).
    #[arg(long)]
    name: Option<String>,
    /// The GitHub repository, OWNER/NAME, whose workflows the deploy roles trust (default: OWNER/<name>,
    /// to change before the first deploy).
    #[arg(long, value_name = "OWNER/NAME")]
    repository: Option<String>,
    /// The AWS account of the dev environment (twelve digits; default: 123456789012, to change).
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// The AWS region of the dev environment.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// slipway as a git dependency: the repository's URL (with --rev).
    #[arg(long, value_name = "URL", requires = "rev", conflicts_with = "path")]
    git: Option<String>,
    /// The revision of --git to pin (a commit or tag).
    #[arg(long, value_name = "REV", requires = "git")]
    rev: Option<String>,
    /// slipway from a local checkout instead.
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// Write the files only: no build, no workflows (and no Cargo.lock) until `cargo run -- synth`.
    #[arg(long)]
    no_synth: bool,
}

pub fn run(s: &Session, args: &InitArgs) -> Result<Exit, CliError> {
    let source = match (&args.git, &args.rev, &args.path) {
        (Some(url), Some(rev), None) => SlipwaySource::Git { url: url.clone(), rev: rev.clone() },
        (None, None, Some(path)) => {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            if !path.join("Cargo.toml").is_file() {
                return Err(CliError::user(format!(
                    "`{}` holds no Cargo.toml: --path names a checkout of slipway",
                    path.display()
                )));
            }
            SlipwaySource::Path(path)
        }
        _ => {
            return Err(CliError::user("say where the new repository gets slipway from").hint(
                "`--git URL --rev REV` pins a revision of a git repository; `--path DIR` uses a local checkout",
            ));
        }
    };
    let dir = s.here().join(&args.dir);
    let name = match &args.name {
        Some(n) => n.clone(),
        None => dir.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default(),
    };
    let repository = match &args.repository {
        Some(r) => match r.split_once('/') {
            Some((owner, repo)) if !owner.is_empty() && !repo.is_empty() && !repo.contains('/') => {
                (owner.to_string(), repo.to_string())
            }
            _ => return Err(CliError::user(format!("`{r}` is not a GitHub repository: write OWNER/NAME"))),
        },
        None => ("OWNER".to_string(), name.clone()),
    };
    let req = InitRequest {
        dir,
        name,
        repository,
        account: args.account.clone(),
        region: args.region.clone(),
        source,
        synthesize: !args.no_synth,
    };
    if req.synthesize {
        writeln!(s.err(), "building the new definitions once (cargo run -- synth), to write their workflows...")?;
    }
    let done = crate::ops::init::init(&req).map_err(|e| match e {
        InitError::Synth(_) => {
            CliError::user(e.to_string()).hint("nothing was written; --no-synth writes the files alone")
        }
        InitError::BadName { .. } => CliError::user(e.to_string()).hint("give one with --name"),
        other => CliError::user(other.to_string()),
    })?;
    let mut out = s.out();
    writeln!(out, "made {} ({} files):", args.dir.display(), done.files.len())?;
    for file in &done.files {
        writeln!(out, "  {file}")?;
    }
    writeln!(out, "next: cd {} && cargo run -- check", args.dir.display())?;
    if req.repository.0 == "OWNER" || req.account == "123456789012" {
        writeln!(
            out,
            "then: set the repository (--repository) and dev's AWS account in src/environments.rs, and synthesize again"
        )?;
    }
    Ok(Exit::Success)
}
