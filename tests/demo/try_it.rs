//! The README's "Try one on this machine", command for command: the reference app's images built from
//! `app/` with `docker build`, the demo server's name pointed at this machine, and `demo up`, `ls` and
//! `down` of the reference definitions, on the test command's engine. What differs from a person's machine,
//! and only that: the images' base is the tests' own Python image (`--build-arg PYTHON=...`, since the
//! tests pull nothing) and `postgres:16-alpine` is the tests' PostgreSQL image under that tag; the `--host`
//! the README names is the test engine's socket; the `/etc/hosts` line is added in a mount namespace of
//! the engine's own (`unshare --mount`), so the machine's file is left alone.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{Run, docker, harness_var, http_get, program, repo_root, tempdir};

/// The commands of the README's section, in order.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme.split("### Try one on this machine").nth(1).expect("the README has the section");
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block");
    block.lines().map(str::to_string).collect()
}

/// The engine as `cargo run --` runs it here, with `args`, the reference program as its app, in `dir`,
/// seeing `hosts` as /etc/hosts.
fn engine(dir: &Path, hosts: &Path, args: &[String], test_host: &str) -> Run {
    let args: Vec<String> = args
        .iter()
        .map(|a| if a == "unix:///var/run/docker.sock" { test_host.to_string() } else { a.clone() })
        .collect();
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", r#"mount --bind "$0" /etc/hosts && exec "$@""#])
        .arg(hosts)
        .arg(env!("CARGO_BIN_EXE_slipway"))
        .args(&args)
        .current_dir(dir)
        .env("SLIPWAY_APP", program("webapp"))
        .env("NO_COLOR", "1")
        .env_remove("SLIPWAY_STORE")
        .env_remove("GITHUB_REF")
        .output()
        .expect("unshare (util-linux) runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_readme_brings_a_demo_of_the_reference_app_up_on_this_machines_engine() {
    let engine_host = docker();
    let (dir, base) = (tempdir(), harness_var("SLIPWAY_TEST_PYTHON_IMAGE"));
    let postgres = harness_var("SLIPWAY_TEST_POSTGRES_IMAGE");
    assert!(engine_host.cli(&["tag", &postgres, "postgres:16-alpine"]).status.success());
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, std::fs::read_to_string("/etc/hosts").unwrap()).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut up = None;
    for line in readme_commands() {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["docker", "build", rest @ ..] => {
                let out = Command::new(&engine_host.docker)
                    .args(["build", "--build-arg", &format!("PYTHON={base}")])
                    .args(rest)
                    .current_dir(repo_root())
                    .env("DOCKER_HOST", engine_host.host.as_str())
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
            }
            ["echo", ..] => {
                let entry = line.split('\'').nth(1).expect("a quoted hosts line");
                let mut text = std::fs::read_to_string(&hosts).unwrap();
                text.push_str(&format!("{entry}\n"));
                std::fs::write(&hosts, text).unwrap();
            }
            ["cargo", "run", "--", args @ ..] => {
                let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                let run = engine(&work, &hosts, &args, engine_host.host.as_str());
                assert_eq!(run.status, 0, "{line}\n{}\n{}", run.stdout, run.stderr);
                up = Some(run);
            }
            other => panic!("the test does not know how to run `{}`", other.join(" ")),
        }
    }
    let up = up.expect("the section runs `demo up`");
    // Every URL it prints answers on this machine, at the port it names.
    let urls: Vec<(String, String)> = up
        .stdout
        .lines()
        .filter_map(|l| l.trim().split_once(": http://"))
        .map(|(service, rest)| (service.trim().to_string(), format!("http://{rest}")))
        .collect();
    let names: Vec<&str> = urls.iter().map(|(s, _)| s.as_str()).collect();
    assert!(names.contains(&"frontend") && names.contains(&"backend"), "{}", up.stdout);
    for (service, url) in &urls {
        assert!(url.starts_with("http://try.demo.webapp.example:"), "{url}");
        let local = url.replace("try.demo.webapp.example", "127.0.0.1");
        let path = if service == "backend" { "/health" } else { "/" };
        let (status, body) = http_get(&format!("{local}{path}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, 200, "{service} at {local}{path}: {body}");
        let expected = if service == "backend" { "ok" } else { "<h1>webapp</h1>" };
        assert!(body.contains(expected), "{service}: {body}");
    }
    // `demo ls` and `demo down` as the section says, and then nothing is left.
    let host = ["--host".to_string(), engine_host.host.as_str().to_string()];
    let ls = engine(
        &work,
        &hosts,
        &[&["demo".into(), "ls".into(), "--format".into(), "json".into()][..], &host].concat(),
        "",
    );
    assert_eq!(ls.status, 0, "{}", ls.stderr);
    let listed: Value = serde_json::from_str(&ls.stdout).unwrap();
    let demo = listed.as_array().unwrap().iter().find(|d| d["name"] == "try").expect("ls lists the demo").clone();
    assert_eq!(demo["status"], "up", "{demo}");
    assert_eq!(demo["compose"], "webapp-try running(3)", "{demo}");
    let down = engine(&work, &hosts, &[&["demo".into(), "down".into(), "try".into()][..], &host].concat(), "");
    assert_eq!(down.status, 0, "{}\n{}", down.stdout, down.stderr);
    let left = engine_host.cli(&["ps", "-aq", "--filter", "label=com.docker.compose.project=webapp-try"]);
    assert!(String::from_utf8_lossy(&left.stdout).trim().is_empty(), "the demo's containers are gone");
}
