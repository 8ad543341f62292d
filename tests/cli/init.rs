//! `slipway init DIR` as a new team runs it: a repository that builds and synthesizes as it stands (built
//! by init once, through cargo, as the team's own program), whose files are formatted as rustfmt writes
//! them, which the engine then checks, synthesizes and deploys to a fresh account on the test endpoint;
//! and init refuses, writing nothing, what it cannot make.

use std::process::Command;

use crate::deploy::reference::stacks_in;
use crate::moto::Moto;
use crate::support::{Run, repo_root, tempdir};

/// The engine in `dir`, with no app named (it finds the new repository's Cargo.toml), its builds in this
/// repository's target directory (so that slipway's pure part is built once per test run).
fn engine_in(dir: &std::path::Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .current_dir(dir)
        .env_remove("SLIPWAY_APP")
        .env("CARGO_TARGET_DIR", repo_root().join("target"))
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_new_repository_builds_checks_synthesizes_and_deploys_its_one_environment() {
    let root = tempdir();
    let repo = repo_root().display().to_string();
    let made = engine_in(
        root.path(),
        &["init", "shop", "--path", &repo, "--repository", "acme/shop", "--account", "111111111111"],
        &[],
    );
    assert_eq!(made.status, 0, "{}\n{}", made.stdout, made.stderr);
    let dir = root.path().join("shop");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        ".gitignore",
        "src/main.rs",
        "src/environments.rs",
        "src/stacks.rs",
        ".github/workflows/slipway-deploy-dev.yml",
        ".github/workflows/slipway-pull-request.yml",
    ] {
        assert!(dir.join(file).is_file(), "init wrote no {file}:\n{}", made.stdout);
    }
    assert!(!dir.join("target").exists() && !dir.join("out").exists(), "init leaves no build behind");
    let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(cargo_toml.contains("default-features = false"), "the definitions use slipway's pure part:\n{cargo_toml}");
    let fmt = Command::new("rustfmt")
        .args(["--check", "--edition", "2024"])
        .args(["src/main.rs", "src/environments.rs", "src/stacks.rs"])
        .current_dir(&dir)
        .output()
        .expect("rustfmt runs (it comes with the Rust toolchain)");
    assert!(fmt.status.success(), "init writes code as rustfmt would:\n{}", String::from_utf8_lossy(&fmt.stdout));
    // Its workflows name nothing of this repository's layout.
    let deploy = std::fs::read_to_string(dir.join(".github/workflows/slipway-deploy-dev.yml")).unwrap();
    assert!(deploy.contains("target/release/shop") && !deploy.contains("webapp"), "{deploy}");

    let check = engine_in(&dir, &["check"], &[]);
    assert_eq!(check.status, 0, "{}", check.stderr);
    assert!(check.stdout.starts_with("ok: 1 environments and 1 stacks pass every check"), "{}", check.stdout);
    let synth = engine_in(&dir, &["synth"], &[]);
    assert_eq!(synth.status, 0, "{}", synth.stderr);
    // The committed workflows are the synthesized ones: its pull-request check passes as it stands.
    for entry in std::fs::read_dir(dir.join(".github/workflows")).unwrap() {
        let path = entry.unwrap().path();
        let synthesized = dir.join("out/.github/workflows").join(path.file_name().unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&synthesized).unwrap(), "{}", path.display());
    }

    let moto = Moto::start_as("111111111111");
    let mut env: Vec<(&str, String)> = moto.env();
    env.push(("GITHUB_REF", "refs/heads/main".into()));
    let store = dir.join(".slipway").display().to_string();
    let deploy = engine_in(
        &dir,
        &["deploy", "--env", "dev", "--release", "r1", "--yes", "--commit", "abc123", "--allow-dirty"],
        &[env.clone(), vec![("SLIPWAY_STORE", store)]].concat(),
    );
    assert_eq!(deploy.status, 0, "{}\n{}", deploy.stdout, deploy.stderr);
    let stacks = stacks_in(&moto);
    let stack = &stacks["shop-dev-deploy-role"];
    assert_eq!(stack.status, "CREATE_COMPLETE");
    assert!(stack.template.contains("repo:acme/shop:environment:dev"), "the deploy role trusts the new repository");
}

#[test]
fn init_refuses_a_directory_with_files_and_bad_values_and_writes_nothing() {
    let root = tempdir();
    let repo = repo_root().display().to_string();
    std::fs::create_dir(root.path().join("taken")).unwrap();
    std::fs::write(root.path().join("taken/notes.txt"), "mine").unwrap();
    let run = engine_in(root.path(), &["init", "taken", "--path", &repo, "--no-synth"], &[]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("exists and is not empty"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(root.path().join("taken")).unwrap().count(), 1);

    let run = engine_in(root.path(), &["init", "fresh", "--path", &repo, "--account", "12345", "--no-synth"], &[]);
    assert_eq!(run.status, 1);
    assert_eq!(run.stderr.lines().next().unwrap(), "error: `12345` is not an AWS account ID: it must be twelve digits");
    let run = engine_in(root.path(), &["init", "Fresh_Name", "--path", &repo, "--no-synth"], &[]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("cannot be the project's name"), "{}", run.stderr);
    let run = engine_in(root.path(), &["init", "fresh"], &[]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("--git URL --rev REV"), "{}", run.stderr);
    let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["taken"], "nothing else was written, no staging directory left");
}
