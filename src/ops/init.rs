//! `slipway init DIR`: a new team's repository of definitions that builds and synthesizes as it stands: its
//! `Cargo.toml` (slipway's pure part, as a git dependency pinned to a revision or a local path), its program,
//! one environment, one stack made with the library's deploy-role pattern, a README that says how to add an
//! environment, a service and a stack, `.gitignore`, and the GitHub workflows its definitions synthesize.
//!
//! All or nothing: the files are written, and the program built and run once (which also proves it builds),
//! in a directory beside `DIR`, which becomes `DIR` only when everything worked.

use std::path::{Path, PathBuf};

use crate::app::program::Program;
use crate::app::{App, AppError};
use crate::model::{AccountId, Region, name_problem};
use crate::synth::ArtifactKind;
use crate::synth::templates::{RenderError, render};

/// Where the new repository's slipway comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlipwaySource {
    /// A git repository, pinned to a revision.
    Git {
        /// The repository's URL.
        url: String,
        /// The revision (a commit or tag).
        rev: String,
    },
    /// A local checkout.
    Path(PathBuf),
}

impl SlipwaySource {
    fn dependency(&self) -> String {
        let toml = crate::synth::templates::toml_str;
        match self {
            SlipwaySource::Git { url, rev } => {
                format!("slipway = {{ git = {}, rev = {}, default-features = false }}", toml(url), toml(rev))
            }
            SlipwaySource::Path(path) => {
                format!("slipway = {{ path = {}, default-features = false }}", toml(&path.display().to_string()))
            }
        }
    }

    fn install(&self) -> String {
        match self {
            SlipwaySource::Git { url, rev } => format!("--git {url} --rev {rev} slipway"),
            SlipwaySource::Path(path) => format!("--path {}", path.display()),
        }
    }
}

/// What the new repository is.
#[derive(Clone, Debug)]
pub struct InitRequest {
    /// Where it goes (new, or empty).
    pub dir: PathBuf,
    /// The project's name (and its crate's).
    pub name: String,
    /// Its GitHub repository, `owner/name`.
    pub repository: (String, String),
    /// The AWS account of its `dev` environment.
    pub account: String,
    /// The region of its `dev` environment (`us-east-1`).
    pub region: String,
    /// Where slipway comes from.
    pub source: SlipwaySource,
    /// Whether to build the program and write the workflows it synthesizes.
    pub synthesize: bool,
}

/// What `init` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Initialized {
    /// Every file, relative to the directory, sorted.
    pub files: Vec<String>,
}

/// Why the repository could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The directory holds files already.
    #[error("`{}` exists and is not empty; init makes a new repository in a new or empty directory", .0.display())]
    NotEmpty(PathBuf),
    /// The name cannot be a project's.
    #[error("`{name}` cannot be the project's name: it {why} (it begins every stack's and app's name)")]
    BadName {
        /// The name.
        name: String,
        /// Why.
        why: &'static str,
    },
    /// The account is not twelve digits.
    #[error("`{0}` is not an AWS account ID: it must be twelve digits")]
    BadAccount(String),
    /// The region is not one slipway deploys to.
    #[error("`{0}` is not an AWS region slipway deploys to (us-east-1, eu-west-1, ...)")]
    BadRegion(String),
    /// A file could not be written.
    #[error("cannot write `{}`: {why}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The new program did not build or synthesize.
    #[error("the new repository's program did not synthesize: {0}")]
    Synth(#[from] AppError),
}

/// The files of the new repository (relative paths and contents), the workflows aside.
pub fn files(req: &InitRequest) -> Result<Vec<(String, String)>, InitError> {
    if let Some(why) = name_problem(&req.name) {
        return Err(InitError::BadName { name: req.name.clone(), why });
    }
    if !AccountId::is_valid(&req.account) {
        return Err(InitError::BadAccount(req.account.clone()));
    }
    let region: Region = serde_json::from_value(serde_json::Value::String(req.region.clone()))
        .map_err(|_| InitError::BadRegion(req.region.clone()))?;
    let data = serde_json::json!({
        "name": req.name,
        "owner": req.repository.0,
        "repo": req.repository.1,
        "account": req.account,
        "region": format!("{region:?}"),
        "dependency": req.source.dependency(),
        "install": req.source.install(),
    });
    let mut out = Vec::new();
    for (path, template) in [
        ("Cargo.toml", "init/Cargo.toml"),
        ("src/main.rs", "init/main.rs"),
        ("src/environments.rs", "init/environments.rs"),
        ("src/stacks.rs", "init/stacks.rs"),
        ("README.md", "init/README.md"),
        (".gitignore", "init/gitignore"),
    ] {
        out.push((path.to_string(), render(template, &data)?));
    }
    Ok(out)
}

/// Makes the repository `req` asks for; what it wrote.
pub fn init(req: &InitRequest) -> Result<Initialized, InitError> {
    let dir = &req.dir;
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(InitError::NotEmpty(dir.clone()));
    }
    let files = files(req)?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
    let staging =
        tempfile::Builder::new().prefix(".slipway-init-").tempdir_in(parent).map_err(|e| write_error(parent, e))?;
    for (path, text) in &files {
        put(&staging.path().join(path), text)?;
    }
    let mut written: Vec<String> = files.into_iter().map(|(p, _)| p).collect();
    if req.synthesize {
        let program = Program {
            command: ["cargo", "run", "--quiet", "--"].map(str::to_string).to_vec(),
            dir: staging.path().to_path_buf(),
            origin: "the new repository's Cargo.toml".into(),
        };
        let assembly = program.assembly(&[])?;
        for (key, bytes) in &assembly.set.artifacts {
            if key.kind == ArtifactKind::Workflow {
                let path = key.path();
                put(&staging.path().join(&path), &String::from_utf8_lossy(bytes))?;
                written.push(path);
            }
        }
        // The build is the new repository's own to make again; its Cargo.lock, which pins the slipway the
        // workflows install, stays.
        let _ = std::fs::remove_dir_all(staging.path().join("target"));
        written.push("Cargo.lock".into());
    }
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(|e| write_error(dir, e))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(|e| write_error(dir, e))?;
    written.sort();
    Ok(Initialized { files: written })
}

fn put(path: &Path, text: &str) -> Result<(), InitError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, e: std::io::Error) -> InitError {
    InitError::Write { path: path.to_path_buf(), why: e.to_string() }
}
