//! Images through the docker command line of the machine slipway runs on (`DOCKER_HOST`, as the docker
//! CLI reads it): `build`, `save` and `load` for the release store, `tag` and `push` for a compose host's
//! registry, `image inspect` for what an image is. Every call is bounded in time, and a failure names the
//! command and shows the tail of what docker said, so that a CI log says why a build failed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use super::process::{self, Output, RunError};
use super::wire::tail;

/// How long a build may take, unless told otherwise.
pub const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(1800);

/// Why a docker command about images failed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The command could not run, or did not finish in time.
    #[error("`{command}`: {source}")]
    Run {
        /// The command line.
        command: String,
        /// What went wrong.
        source: RunError,
    },
    /// The command exited with an error.
    #[error("`{command}` failed{}; docker said:\n{}", code.map(|c| format!(" (exit {c})")).unwrap_or_default(), said.trim_end())]
    Failed {
        /// The command line.
        command: String,
        /// Its exit code.
        code: Option<i32>,
        /// The last lines it printed (stdout, then stderr).
        said: String,
    },
    /// The command's output could not be read.
    #[error("`{command}` printed what slipway cannot read: {why}")]
    Unreadable {
        /// The command line.
        command: String,
        /// Why.
        why: String,
    },
}

/// What `docker image inspect` says of an image.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageDetails {
    /// Its ID (`sha256:...`): the digest of its configuration, the same wherever it is loaded.
    pub id: String,
    /// When it was built (RFC 3339).
    pub created: String,
    /// The registry digests it is known by (`127.0.0.1:5000/shop/api@sha256:...`), once pushed or pulled.
    #[serde(default)]
    pub repo_digests: Vec<String>,
}

/// The docker CLI, for images.
#[derive(Clone, Debug)]
pub struct Docker {
    program: PathBuf,
    /// How long a build may take.
    pub build_timeout: Duration,
    /// How long any other command may take (a push or load of a big image included).
    pub command_timeout: Duration,
}

impl Docker {
    /// The docker CLI at `program` (else `docker` on the `PATH`), reaching the engine `DOCKER_HOST` names.
    pub fn new(program: Option<&Path>) -> Docker {
        Docker {
            program: program.map_or_else(|| PathBuf::from("docker"), Path::to_path_buf),
            build_timeout: DEFAULT_BUILD_TIMEOUT,
            command_timeout: Duration::from_secs(600),
        }
    }

    fn shown(&self, args: &[&str]) -> String {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(args.iter().map(|a| a.to_string()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn run(&self, args: &[&str], dir: Option<&Path>, timeout: Duration) -> Result<Output, DockerError> {
        let mut command = Command::new(&self.program);
        command.args(args);
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let shown = self.shown(args);
        let out =
            process::run(command, timeout).map_err(|source| DockerError::Run { command: shown.clone(), source })?;
        if out.success() {
            return Ok(out);
        }
        let said = [tail(&out.stdout, 15), tail(&out.stderr, 15)].into_iter().filter(|t| !t.trim().is_empty());
        Err(DockerError::Failed { command: shown, code: out.code, said: said.collect::<Vec<_>>().join("\n") })
    }

    /// Builds the image of `context` (a directory) with its `dockerfile` (relative to it) as `tag`; its ID.
    pub fn build(&self, context: &Path, dockerfile: &str, tag: &str) -> Result<String, DockerError> {
        let file = context.join(dockerfile);
        let (file, dir) = (file.to_string_lossy(), context.to_string_lossy());
        self.run(&["build", "--file", &file, "--tag", tag, &dir], Some(context), self.build_timeout)?;
        Ok(self.inspect(tag)?.map(|i| i.id).unwrap_or_default())
    }

    /// Writes `image` as `docker save` does (a tar that `docker load` reads, its tag included) to `to`.
    pub fn save(&self, image: &str, to: &Path) -> Result<(), DockerError> {
        self.run(&["save", "--output", &to.to_string_lossy(), image], None, self.command_timeout).map(drop)
    }

    /// Loads the images of the tar at `from` (as `docker save` wrote it), with their tags.
    pub fn load(&self, from: &Path) -> Result<(), DockerError> {
        self.run(&["load", "--quiet", "--input", &from.to_string_lossy()], None, self.command_timeout).map(drop)
    }

    /// Tags `image` as `as_name` too.
    pub fn tag(&self, image: &str, as_name: &str) -> Result<(), DockerError> {
        self.run(&["tag", image, as_name], None, self.command_timeout).map(drop)
    }

    /// Pushes `image` to the registry its name starts with.
    pub fn push(&self, image: &str) -> Result<(), DockerError> {
        self.run(&["push", "--quiet", image], None, self.command_timeout).map(drop)
    }

    /// What the engine knows of `image`; `None` when it has no such image.
    pub fn inspect(&self, image: &str) -> Result<Option<ImageDetails>, DockerError> {
        let args = ["image", "inspect", image];
        match self.run(&args, None, self.command_timeout) {
            Ok(out) => {
                let mut all: Vec<ImageDetails> = serde_json::from_str(&out.stdout)
                    .map_err(|e| DockerError::Unreadable { command: self.shown(&args), why: e.to_string() })?;
                Ok(all.pop())
            }
            Err(DockerError::Failed { said, .. }) if said.contains("No such image") => Ok(None),
            Err(e) => Err(e),
        }
    }
}
