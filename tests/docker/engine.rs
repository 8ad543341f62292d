//! `slipway::docker` against a real Docker engine and the real Compose v2 binary (both started
//! by `bash tests/run.sh`): a project comes up and answers on its published port, comes up again without
//! changing anything, goes down twice; a failing service is reported by name with what it said.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use slipway::docker::{Compose, ComposeError, ServiceChange};

use crate::support::{ProjectCleanup, docker, free_port, http_get, tempdir, unique_name};

/// A compose file whose `web` serves `/www` over HTTP from the test image, on host port `port`,
/// with a named volume and a label, plus `extra` services (already indented YAML).
fn web_bundle(dir: &Path, image: &str, port: u16, extra: &str) {
    let file = format!(
        r#"services:
  web:
    image: {image}
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    labels:
      slipway.environment: "engine-test"
    ports: ["127.0.0.1:{port}:8080"]
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/ > /dev/null"]
      interval: 1s
      timeout: 3s
      retries: 5
{extra}volumes:
  data: {{}}
"#
    );
    std::fs::write(dir.join("docker-compose.yml"), file).unwrap();
}

fn volumes(project: &str) -> Vec<String> {
    let out = docker().cli(&["volume", "ls", "-q", "--filter", &format!("label=com.docker.compose.project={project}")]);
    String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect()
}

#[test]
fn a_project_comes_up_answers_comes_up_unchanged_and_goes_down_twice() {
    let engine = docker();
    let compose = engine.compose();
    let dir = tempdir();
    let port = free_port();
    web_bundle(dir.path(), &engine.image, port, "");
    let project = unique_name("slipway-engine-up");
    let _cleanup = ProjectCleanup::new(&engine, &project);

    let first = compose.up(dir.path(), &project, &engine.host).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.changes, BTreeMap::from([("web".to_string(), ServiceChange::Created)]));
    assert!(first.services.iter().all(|s| s.is_ready()), "{:?}", first.services);
    let ports = first.published();
    assert_eq!(ports.len(), 1, "{ports:?}");
    assert_eq!((ports[0].service.as_str(), ports[0].published, ports[0].target), ("web", port, 8080));
    let url = ports[0].url("127.0.0.1");
    assert_eq!(http_get(&url), Ok((200, "slipway test image\n".to_string())), "GET {url}");
    assert_eq!(compose.published_ports(&project, &engine.host).unwrap(), ports);

    let listed = compose.projects(&engine.host).unwrap();
    let mine = listed.iter().find(|p| p.name == project).unwrap_or_else(|| panic!("{project} not in {listed:?}"));
    assert_eq!(mine.label("slipway.environment"), Some("engine-test"));
    assert!(mine.status.starts_with("running"), "{}", mine.status);

    let again = compose.up(dir.path(), &project, &engine.host).unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.changed(), "a second up of the same file changed {:?}", again.changes);
    assert_eq!(again.services[0].id, first.services[0].id, "the container was kept");
    assert_eq!(volumes(&project).len(), 1);

    let down = compose.down(&project, &engine.host, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(down.removed, [first.services[0].container.clone()]);
    assert!(compose.services(&project, &engine.host).unwrap().is_empty());
    assert_eq!(volumes(&project), Vec::<String>::new(), "down with volumes removes the project's volume");
    assert!(http_get(&url).is_err(), "{url} still answers after down");

    let twice = compose.down(&project, &engine.host, true).unwrap_or_else(|e| panic!("a second down failed: {e}"));
    assert!(twice.removed.is_empty());
}

#[test]
fn a_failing_health_check_is_reported_by_service_with_what_it_said() {
    let engine = docker();
    let compose = engine.compose().with_wait_timeout(Duration::from_secs(60));
    let dir = tempdir();
    let image = &engine.image;
    // `api` answers 404 on the path its health check asks for; `worker` waits for `api` to be healthy.
    let extra = format!(
        r#"  api:
    image: {image}
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 3s
      retries: 2
  worker:
    image: {image}
    init: true
    command: ["sleep", "600"]
    depends_on:
      api:
        condition: service_healthy
"#
    );
    web_bundle(dir.path(), image, free_port(), &extra);
    let project = unique_name("slipway-engine-unhealthy");
    let _cleanup = ProjectCleanup::new(&engine, &project);

    let err = compose.up(dir.path(), &project, &engine.host).unwrap_err();
    let text = err.to_string();
    let ComposeError::UpFailed { failures, .. } = &err else { panic!("{text}") };
    let services: Vec<(&str, &str)> = failures.iter().map(|f| (f.service.as_str(), f.health.as_str())).collect();
    assert_eq!(services, [("api", "unhealthy"), ("worker", "")], "{text}");
    assert!(failures[0].why.starts_with("unhealthy: its health check failed"), "{text}");
    assert_eq!(failures[0].said, ["wget: server returned error: HTTP/1.1 404 Not Found", "(exit 1)"], "{text}");
    assert!(failures[1].why.starts_with("never started"), "{text}");
    assert!(text.starts_with(&format!("compose project `{project}` did not come up:\n  service `api`")), "{text}");
}

#[test]
fn a_service_that_exits_is_reported_with_its_exit_code_and_last_log_lines() {
    let engine = docker();
    let compose = engine.compose().with_wait_timeout(Duration::from_secs(60));
    let dir = tempdir();
    let extra = format!(
        r#"  migrate:
    image: {}
    command: ["sh", "-c", "echo reading /etc/app.conf; echo 'no such file: /etc/app.conf' >&2; sleep 0.5; exit 3"]
"#,
        engine.image
    );
    web_bundle(dir.path(), &engine.image, free_port(), &extra);
    let project = unique_name("slipway-engine-exits");
    let _cleanup = ProjectCleanup::new(&engine, &project);

    let err = compose.up(dir.path(), &project, &engine.host).unwrap_err();
    let text = err.to_string();
    let ComposeError::UpFailed { failures, .. } = &err else { panic!("{text}") };
    assert_eq!(failures.len(), 1, "{text}");
    assert_eq!(failures[0].service, "migrate");
    assert!(failures[0].why.starts_with("exited with code 3"), "{text}");
    // Its stdout and stderr, in whichever order the engine interleaved them.
    let mut said = failures[0].said.clone();
    said.sort();
    assert_eq!(said, ["no such file: /etc/app.conf", "reading /etc/app.conf"], "{text}");
}

#[test]
fn a_service_that_fails_just_after_compose_is_satisfied_still_fails_up() {
    // `up --wait` counts a service without a health check as ready once it runs; `crash` runs long enough
    // for that and exits before `web` is healthy, so compose says success and slipway must not.
    let engine = docker();
    let compose = engine.compose().with_wait_timeout(Duration::from_secs(60));
    let dir = tempdir();
    let extra = format!(
        r#"  crash:
    image: {}
    command: ["sh", "-c", "echo 'lost the database connection' >&2; sleep 0.3; exit 4"]
"#,
        engine.image
    );
    web_bundle(dir.path(), &engine.image, free_port(), &extra);
    // `web` is checked after an interval of 1 s; make that 3 s so `crash` is surely gone by then.
    let file =
        std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap().replace("interval: 1s", "interval: 3s");
    std::fs::write(dir.path().join("docker-compose.yml"), file).unwrap();
    let project = unique_name("slipway-engine-crash");
    let _cleanup = ProjectCleanup::new(&engine, &project);

    let err = compose.up(dir.path(), &project, &engine.host).unwrap_err();
    let text = err.to_string();
    let ComposeError::UpFailed { failures, .. } = &err else { panic!("{text}") };
    assert_eq!(failures.iter().map(|f| f.service.as_str()).collect::<Vec<_>>(), ["crash"], "{text}");
    assert!(failures[0].why.starts_with("exited with code 4"), "{text}");
    assert!(failures[0].said.contains(&"lost the database connection".to_string()), "{text}");
}

#[test]
fn up_gives_up_when_the_wait_ends_and_says_which_service_was_still_starting() {
    let engine = docker();
    let compose = engine.compose().with_wait_timeout(Duration::from_secs(3));
    let dir = tempdir();
    // A health check that never runs within the wait: the service stays `starting`.
    let extra = format!(
        r#"  slow:
    image: {}
    init: true
    command: ["sleep", "600"]
    healthcheck:
      test: ["CMD-SHELL", "true"]
      interval: 1h
      start_period: 1h
"#,
        engine.image
    );
    web_bundle(dir.path(), &engine.image, free_port(), &extra);
    let project = unique_name("slipway-engine-slow");
    let _cleanup = ProjectCleanup::new(&engine, &project);

    // The wait's end, not the container's (it sleeps for 600 s), ends `up`: the service is still starting.
    let err = compose.up(dir.path(), &project, &engine.host).unwrap_err();
    let text = err.to_string();
    let failures = match &err {
        ComposeError::UpFailed { failures, .. } | ComposeError::UpTimedOut { failures, .. } => failures,
        _ => panic!("{text}"),
    };
    assert_eq!(failures.iter().map(|f| f.service.as_str()).collect::<Vec<_>>(), ["slow"], "{text}");
    assert!(failures[0].why.starts_with("still starting"), "{text}");
}

#[test]
fn compose_is_found_as_the_docker_cli_plugin_and_refuses_bad_input_before_running() {
    let engine = docker();
    // run.sh links the v2 binary as a plugin in DOCKER_CONFIG, so `docker compose` finds it.
    let plugin = Compose::locate(None).unwrap_or_else(|e| panic!("{e}"));
    assert!(plugin.version().starts_with("2."), "{}", plugin.version());
    let compose = engine.compose();
    assert_eq!(compose.version(), plugin.version());

    let err = compose.up(tempdir().path(), "no-bundle", &engine.host).unwrap_err();
    assert!(err.to_string().contains("holds no docker-compose.yml"), "{err}");
    let err = compose.down("Not A Name", &engine.host, false).unwrap_err();
    assert!(matches!(err, ComposeError::BadProjectName { .. }), "{err}");
    // A project that was never there goes down without complaint.
    assert!(compose.down(&unique_name("never-there"), &engine.host, true).unwrap().removed.is_empty());
}

#[test]
fn an_image_that_cannot_be_pulled_is_said_to_be_one() {
    let engine = docker();
    let compose = engine.compose().with_wait_timeout(Duration::from_secs(60));
    let dir = tempdir();
    // A registry on a loopback port nothing listens on: the pull fails at once, with no network needed.
    let missing = format!("127.0.0.1:{}/slipway-test/missing:1", free_port());
    web_bundle(dir.path(), &missing, free_port(), "");
    let project = unique_name("slipway-engine-pull");
    let _cleanup = ProjectCleanup::new(&engine, &project);

    let text = compose.up(dir.path(), &project, &engine.host).unwrap_err().to_string();
    assert!(!text.contains("no service failed"), "{text}");
    assert!(text.contains("service `web`: its image could not be pulled: "), "{text}");
    assert!(text.contains(missing.split('/').next().unwrap()), "the registry it tried: {text}");
}
