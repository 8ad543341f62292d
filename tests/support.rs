//! What the test modules share: running the real binary in a controlled environment, temporary
//! directories, the snapshot settings, and finding the external tools the test command installs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, which CI puts beside the repository; its absence is a broken checkout, not a skip.
pub fn shared_dir() -> PathBuf {
    let dir = repo_root().join("../shared");
    assert!(
        dir.join("design.md").is_file(),
        "{} is missing: the tests read the shared data and schemas from the `shared` directory beside \
         the repository (CI provides it); check it out there",
        dir.display()
    );
    dir
}

/// Runs insta assertions with snapshots stored in the top-level `snapshots/` directory.
pub fn snapshots<R>(f: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f)
}

/// What a run of the binary did.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Status, stdout and stderr together, with `dir` written as `[DIR]`: one snapshot for a whole run.
    pub fn transcript(&self, dir: &Path) -> String {
        let clean = |s: &str| s.replace(&dir.display().to_string(), "[DIR]");
        format!("status: {}\n--- stdout\n{}--- stderr\n{}", self.status, clean(&self.stdout), clean(&self.stderr))
    }
}

/// Runs `slipway args…` in `dir`, with no colour, a fixed terminal width and no inherited AWS settings.
pub fn slipway(dir: &Path, args: &[&str]) -> Run {
    slipway_with(dir, args, &[])
}

/// Like [`slipway`], with the environment variables `vars` set (and no inherited GitHub settings).
pub fn slipway_with(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_TOKEN")
        .env_remove("SLIPWAY_GITHUB_TIMEOUT")
        .envs(vars.iter().copied())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("slipway-test-").tempdir().expect("a temporary directory")
}

/// Every file below `dir`, as sorted relative paths with `/`, and contents.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The path of an executable the test command (`bash tests/run.sh`) installs into `target/py`, or the
/// one the environment variable `var` names. Panics with the command that installs it when missing.
pub fn python_tool(var: &str, name: &str) -> PathBuf {
    python_tool_in(var, "target/py", "tests/python-requirements.txt", name)
}

/// Like [`python_tool`], for a tool that has a virtualenv of its own, `venv`, built from `requirements`.
pub fn python_tool_in(var: &str, venv: &str, requirements: &str, name: &str) -> PathBuf {
    let path =
        std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| repo_root().join(venv).join("bin").join(name));
    assert!(
        path.is_file(),
        "{name} not found at {}: run `bash tests/run.sh`, which installs the pinned Python test tools \
         ({requirements}) into {venv}, or install them yourself with `python3 -m venv {venv} && \
         {venv}/bin/pip install -r {requirements}`, or set {var} to its path",
        path.display()
    );
    path
}
