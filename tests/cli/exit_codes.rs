//! Every documented exit status, produced by the real binary the way a user meets it, and the table in
//! `--help`. The scenarios are listed by [`Exit`], so a status added to the table without a scenario
//! fails here.

use slipway::cli::Exit;

use crate::faults::{Failure, Faults};
use crate::moto::Moto;
use crate::support::{Run, slipway, tempdir};

/// The reference environment's stacks.
const DEV_STACKS: [&str; 5] = ["network", "data", "app", "monitoring", "deploy-role"];

/// `slipway ARGS` with the AWS settings of `env` only (nothing from this machine).
fn slipway_with(env: &[(&str, String)], args: &[&str]) -> Run {
    let dir = tempdir();
    let mut cmd = crate::support::engine();
    cmd.args(args).current_dir(dir.path()).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("GITHUB_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("GITHUB_REF", "refs/heads/main")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/slipway-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/slipway-test-credentials");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// A first deploy of the reference `dev` whose every stack fails as `failure` says.
fn failing_deploy(failure: Failure) -> Run {
    let moto = Moto::start();
    let faults = Faults::start(&moto.endpoint);
    for stack in DEV_STACKS {
        faults.fail(&format!("webapp-dev-{stack}"), failure);
    }
    let args =
        ["deploy", "--env", "dev", "--release", "r1", "--yes", "--no-smoke", "--progress", "events", "--target", "aws"];
    slipway_with(&aws_env(&faults.endpoint), &[&args[..], &["--poll-ms", "20"]].concat())
}

/// Runs the scenario that ends in `exit`; what it checks besides the status is asserted inside.
fn scenario(exit: Exit) -> Run {
    match exit {
        Exit::Success => slipway(tempdir().path(), &["envs"]),
        Exit::Refused => {
            let run = slipway(tempdir().path(), &["synth", "--env", "stagign"]);
            assert!(run.stderr.contains("did you mean `staging`?"), "{}", run.stderr);
            run
        }
        Exit::Differs => {
            let dir = tempdir();
            assert_eq!(slipway(dir.path(), &["synth", "--out", "old"]).status, 0);
            let manifest = dir.path().join("old/dev/cloudgov/manifest.yml");
            let text = std::fs::read_to_string(&manifest).unwrap();
            std::fs::write(&manifest, text.replacen("instances: 1", "instances: 2", 1)).unwrap();
            slipway(dir.path(), &["diff", "--against", "old", "--exit-code"])
        }
        Exit::CloudFailed => {
            let run = slipway_with(
                &[("AWS_REGION", "us-east-1".into())],
                &["deploy", "--env", "dev", "--release", "r1", "--yes"],
            );
            assert!(run.stderr.starts_with("cloud error: no usable AWS credentials"), "{}", run.stderr);
            run
        }
        Exit::RolledBack => {
            let run = failing_deploy(Failure::CreateRollsBack);
            assert!(
                run.stdout.lines().last().unwrap_or_default().starts_with("rolled back: dev is back where it was"),
                "{}",
                run.stdout
            );
            run
        }
        Exit::RollbackIncomplete => {
            let run = failing_deploy(Failure::CreateAndDeleteFail);
            assert!(run.stdout.contains("ROLLBACK INCOMPLETE: dev failed"), "{}", run.stdout);
            assert!(run.stdout.contains("DELETE_FAILED"), "{}", run.stdout);
            run
        }
        Exit::NotBootstrapped => {
            let moto = Moto::start_bare("111111111111");
            let args = ["deploy", "--env", "dev", "--release", "r1", "--yes", "--no-smoke", "--target", "aws"];
            let run = slipway_with(&aws_env(&moto.endpoint), &args);
            let refusal =
                "error: account 111111111111 in us-east-1 is not bootstrapped: run `slipway bootstrap --env dev`";
            assert!(run.stderr.lines().any(|l| l == refusal), "{}", run.stderr);
            run
        }
        Exit::Internal => {
            let run = slipway(tempdir().path(), &["internal-error-test"]);
            assert!(run.stderr.starts_with("internal error: slipway panicked at "), "{}", run.stderr);
            assert!(run.stderr.contains("this is a bug in slipway"), "{}", run.stderr);
            run
        }
        Exit::Interrupted => crate::deploy::runs::interrupted_deploy(),
    }
}

#[test]
fn every_documented_exit_status_through_the_real_binary() {
    for exit in Exit::ALL {
        let run = scenario(exit);
        assert_eq!(run.status, i32::from(exit.code()), "{exit:?}:\n{}\n{}", run.stdout, run.stderr);
    }
}

#[test]
fn help_lists_the_table_of_exit_statuses() {
    let table = Exit::table();
    for args in [&["--help"][..], &["deploy", "--help"], &["diff", "--help"]] {
        let run = slipway(tempdir().path(), args);
        assert_eq!(run.status, 0);
        assert!(run.stdout.contains(&table), "{args:?} does not list the exit statuses:\n{}", run.stdout);
    }
    for exit in Exit::ALL {
        assert!(table.contains(&format!("  {:<4}{}", exit.code(), exit.meaning())), "{exit:?}");
    }
}
