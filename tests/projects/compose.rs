//! The compose team (`tests/projects/bazaar`): web, api, PostgreSQL and an object store, as a feature demo
//! on the test Docker engine. The engine, with the team's program as its app, brings the demo up from a
//! branch, the URLs it prints answer with what each service serves, every service of the four runs with
//! the team's labels, `demo ls` lists it, and `demo down` removes all of it. With its image asset (`site`),
//! a demo's `up` builds it into the store, pushes it to the registry its host pulls from, and runs it.

use std::collections::BTreeSet;

use super::{engine, ok};
use crate::demo::local::{demo_name, local_image};
use crate::support::{ProjectCleanup, docker, harness_var, http_get, tempdir};

#[test]
fn four_services_come_up_as_a_feature_demo_answer_and_go_down() {
    let docker = docker();
    let (repository, release) = local_image();
    let name = demo_name("bazaar");
    let _cleanup = ProjectCleanup::new(&docker, &format!("bazaar-{name}"));
    let dir = tempdir();
    let store = dir.path().join("store").display().to_string();
    let images = [
        ("BAZAAR_IMAGE", repository),
        ("BAZAAR_FILES_IMAGE", harness_var("SLIPWAY_TEST_IMAGE")),
        ("BAZAAR_POSTGRES_IMAGE", harness_var("SLIPWAY_TEST_POSTGRES_IMAGE")),
        ("BAZAAR_DEMO_HOST", "127.0.0.1".to_string()),
    ];
    let env: Vec<(&str, &str)> = images.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = |args: &[&str]| {
        let args = [args, &["--host", docker.host.as_str(), "--store", &store]].concat();
        engine("bazaar", dir.path(), None, &env, &args)
    };
    let branch = format!("feature-demo/{name}");
    let up =
        run(&["demo", "up", "--branch", &branch, "--release", &release, "--progress", "events", "--poll-ms", "20"]);
    ok(&up);
    let url = |what: &str| {
        let prefix = format!("  {what}: ");
        let line =
            up.stdout.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {what}:\n{}", up.stdout));
        line[prefix.len()..].to_string()
    };
    assert_eq!(http_get(&url("web")), Ok((200, format!("{name} web {release}\n"))));
    assert_eq!(http_get(&format!("{}/health", url("api"))), Ok((200, "ok\n".into())));

    let projects = docker.compose().projects(&docker.host).unwrap();
    let project = projects.iter().find(|p| p.name == format!("bazaar-{name}")).expect("the demo's compose project");
    assert_eq!(project.label("slipway.project"), Some("bazaar"));
    let services: BTreeSet<String> = docker
        .cli(&[
            "ps",
            "--filter",
            &format!("label=com.docker.compose.project=bazaar-{name}"),
            "--format",
            "{{.Label \"com.docker.compose.service\"}}",
        ])
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    assert_eq!(services, ["api", "db", "files", "web"].map(String::from).into(), "every service of the four runs");

    let ls = run(&["demo", "ls"]);
    ok(&ls);
    assert!(ls.stdout.lines().any(|l| l.starts_with(&format!("{name}: up"))), "{}", ls.stdout);
    let down = run(&["demo", "down", "--branch", &branch, "--progress", "events", "--poll-ms", "20"]);
    ok(&down);
    let left = docker.compose().projects(&docker.host).unwrap();
    assert!(!left.iter().any(|p| p.name == format!("bazaar-{name}")), "down removed the project");
}

#[test]
fn a_demo_builds_pushes_and_runs_its_image_asset() {
    let docker = docker();
    let (repository, release) = local_image();
    let registry = harness_var("SLIPWAY_TEST_REGISTRY");
    let name = demo_name("site");
    let _cleanup = ProjectCleanup::new(&docker, &format!("bazaar-{name}"));
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("site/www")).unwrap();
    let dockerfile = format!("FROM {}\nCOPY www /site\n", harness_var("SLIPWAY_TEST_IMAGE"));
    std::fs::write(dir.path().join("site/Dockerfile"), dockerfile).unwrap();
    std::fs::write(dir.path().join("site/www/index.html"), format!("the {name} site\n")).unwrap();
    std::fs::write(dir.path().join("site/www/health"), "ok\n").unwrap();
    let store = dir.path().join("store").display().to_string();
    let vars = [
        ("BAZAAR_IMAGE", repository),
        ("BAZAAR_FILES_IMAGE", harness_var("SLIPWAY_TEST_IMAGE")),
        ("BAZAAR_POSTGRES_IMAGE", harness_var("SLIPWAY_TEST_POSTGRES_IMAGE")),
        ("BAZAAR_DEMO_HOST", "127.0.0.1".to_string()),
        ("BAZAAR_SITE_CONTEXT", "site".to_string()),
        ("BAZAAR_REGISTRY", registry.clone()),
    ];
    let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = |args: &[&str]| {
        let args = [args, &["--host", docker.host.as_str(), "--store", &store]].concat();
        engine("bazaar", dir.path(), None, &env, &args)
    };
    let branch = format!("feature-demo/{name}");
    let up_args = ["demo", "up", "--branch", &branch, "--release", &release, "--progress", "events", "--poll-ms", "20"];
    let up = run(&up_args);
    ok(&up);
    let pushed = format!("images: 1 pushed ({registry}/bazaar/site:");
    assert!(up.stderr.contains("image asset `site`: built as bazaar/site:"), "{}", up.stderr);
    assert!(up.stderr.contains(&pushed), "{}", up.stderr);
    let line = up.stdout.lines().find(|l| l.starts_with("  site: ")).unwrap_or_else(|| panic!("{}", up.stdout));
    assert_eq!(http_get(&line["  site: ".len()..]), Ok((200, format!("the {name} site\n"))));
    let hash = up.stderr.split(&pushed).nth(1).and_then(|rest| rest.split(')').next()).unwrap().to_string();
    assert!(crate::deploy::images::tags(&registry).contains(&hash));
    let container = docker.cli(&["inspect", "--format", "{{.Image}}", &format!("bazaar-{name}-site")]);
    let image = String::from_utf8_lossy(&container.stdout).trim().to_string();
    assert_eq!(image, crate::deploy::images::config_digest(&registry, &hash));

    // The same code again: nothing built, nothing pushed.
    let again = run(&up_args);
    ok(&again);
    assert!(again.stderr.contains("image asset `site`: in the store already"), "{}", again.stderr);
    assert!(again.stderr.contains("images: 0 pushed, 1 in the registry already"), "{}", again.stderr);
    ok(&run(&["demo", "down", "--branch", &branch, "--progress", "events", "--poll-ms", "20"]));
}
