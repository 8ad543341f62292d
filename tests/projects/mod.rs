//! Projects of other teams, each a crate of its own under this folder that depends on slipway by path
//! and uses only its public API, built as a team builds its program and run by the engine as its app
//! (`SLIPWAY_APP`): a serverless API in three accounts (`orders`), four compose services with feature
//! demos (`bazaar`), the promotion graph with optional approvals (`ledger`), releases that advance on
//! evidence: an alarm through a bake, soak and a deny window (`watched`), and four cloud.gov environments
//! (`tdp`, run against the Cloud Foundry v3 API server in `tests/cloudfoundry/promote.rs` and `binary.rs`).

pub mod code;
pub mod compose;
pub mod evidence;
pub mod graph;
pub mod serverless;

use std::path::Path;

use crate::moto::Moto;
use crate::support::Run;

/// The engine in `dir` with `package`'s program as its app, moto's settings (no AWS or GitHub settings of
/// this machine), on `main`, and `extra` variables.
pub(crate) fn engine(package: &str, dir: &Path, moto: Option<&Moto>, extra: &[(&str, &str)], args: &[&str]) -> Run {
    let out = command(package, dir, moto, extra, args).output().expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The command [`engine`] runs, for a test that watches it as it runs.
pub(crate) fn command(
    package: &str,
    dir: &Path,
    moto: Option<&Moto>,
    extra: &[(&str, &str)],
    args: &[&str],
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_slipway"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").env("SLIPWAY_APP", crate::support::program(package));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key.starts_with("GITHUB_") || key == "SLIPWAY_STORE" {
            cmd.env_remove(key);
        }
    }
    for (key, value) in moto.map(Moto::env).unwrap_or_default() {
        cmd.env(key, value);
    }
    cmd.env("GITHUB_REF", "refs/heads/main").env("GITHUB_ACTOR", "ci-bot");
    cmd.envs(extra.iter().copied());
    cmd
}

/// Fails the test with everything the run said unless it succeeded.
pub(crate) fn ok(run: &Run) {
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
}
