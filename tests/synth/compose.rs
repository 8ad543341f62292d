//! docker-compose bundles: one per environment with a compose target, valid against the Compose
//! Specification's schema and accepted by the real Compose v2 (`docker compose config`), `.env.example`
//! listing exactly what the file reads, feature demos that can share a host, and `slipway check` refusing
//! demos whose ports would collide.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use slipway::model::{ComposeHost, Definitions};

use crate::synth::artifacts::{DEMOS, assert_valid, files_ending, project, schema, synth, yaml_to_json};

const SCHEMA: &str = "compose-spec.json";

#[test]
fn every_compose_environment_gets_a_file_that_the_schema_accepts() {
    let set = synth(&project());
    let files = files_ending(&set, "/compose/docker-compose.yml");
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "checkout-redesign/compose/docker-compose.yml",
            "dark-mode/compose/docker-compose.yml",
            "dev/compose/docker-compose.yml"
        ]
    );
    let validator = schema(SCHEMA);
    for (path, text) in &files {
        assert_valid(&validator, path, &yaml_to_json(text));
    }
}

/// The `.env` an operator writes from `.env.example`: every variable it lists, given a value (the example
/// leaves them empty on purpose). `RELEASE` gets `release`; the others a made-up secret.
pub fn filled_env(example: &str, release: &str) -> String {
    example
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let name = l.trim_end_matches('=');
            if name == "RELEASE" { format!("{name}={release}\n") } else { format!("{name}=not-a-real-{name}\n") }
        })
        .collect()
}

/// Writes environment `env`'s compose bundle from `set` into `dir`, with a `.env` from
/// [`filled_env`].
pub fn write_bundle(set: &slipway::synth::ArtifactSet, env: &str, dir: &std::path::Path, release: &str) {
    for file in ["docker-compose.yml", ".env.example"] {
        let path = format!("{env}/compose/{file}");
        std::fs::write(dir.join(file), set.file(&path).unwrap_or_else(|| panic!("{path} was not synthesized")))
            .unwrap();
    }
    let example = std::fs::read_to_string(dir.join(".env.example")).unwrap();
    std::fs::write(dir.join(".env"), filled_env(&example, release)).unwrap();
}

#[test]
fn docker_compose_config_accepts_every_compose_file_synth_writes() {
    // The real Compose v2 judges the files, beside the schema: it also resolves the interpolations,
    // the `depends_on` graph, port and volume syntax, and the `name:` that v1 rejects.
    let compose = crate::support::docker().compose();
    let set = synth(&project());
    let files = files_ending(&set, "/compose/docker-compose.yml");
    assert_eq!(files.len(), 1 + DEMOS.len());
    for (path, _) in &files {
        let env = path.split('/').next().unwrap();
        let dir = crate::support::tempdir();
        write_bundle(&set, env, dir.path(), "v1.2.3");
        let resolved = compose.config(dir.path()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let resolved = yaml_to_json(&resolved);
        assert_eq!(resolved["name"], format!("webapp-{env}"), "{path}");
        assert_eq!(
            resolved["services"]["backend"]["image"], "ghcr.io/slipway-examples/webapp-backend:v1.2.3",
            "{path}: RELEASE comes from .env"
        );
        assert_eq!(resolved["services"]["backend"]["environment"]["SECRET_KEY"], "not-a-real-SECRET_KEY", "{path}");

        // With .env.example as it is (every value empty), compose stops and says what to set.
        std::fs::copy(dir.path().join(".env.example"), dir.path().join(".env")).unwrap();
        let err = compose.config(dir.path()).expect_err("empty values must stop compose").to_string();
        assert!(err.contains("in .env (see .env.example)"), "{path}: {err}");
    }
}

/// Every `${NAME...}` the compose file interpolates (a `$$` is an escaped dollar, not a reference).
fn interpolated(compose: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = compose.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            if bytes.get(i + 1) == Some(&b'$') {
                i += 2;
                continue;
            }
            let rest = &compose[i + 1..];
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            assert!(!name.is_empty(), "a lone `$` at byte {i} would be read by compose as a reference");
            names.insert(name);
        }
        i += 1;
    }
    names
}

#[test]
fn env_example_lists_every_variable_the_file_reads_and_no_values() {
    let set = synth(&project());
    for (path, compose) in files_ending(&set, "/compose/docker-compose.yml") {
        let example_path = path.replace("docker-compose.yml", ".env.example");
        let example = std::str::from_utf8(set.file(&example_path).unwrap()).unwrap();
        let mut listed = BTreeSet::new();
        for line in example.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let (name, value) = line.split_once('=').expect("NAME=value lines");
            assert_eq!(value, "", "{example_path} gives `{name}` a value; it must leave it to the operator");
            listed.insert(name.to_string());
        }
        let read = interpolated(&compose);
        assert_eq!(listed, read, "{example_path} against {path}");
        assert!(read.contains("SECRET_KEY") && read.contains("DB_PASSWORD"), "secrets come from .env");
    }
}

#[test]
fn a_deploy_reads_back_from_env_example_every_variable_and_which_are_secrets() {
    let definitions = project();
    for env in definitions.project.environments.iter().chain(&definitions.project.demos) {
        let Some(bundle) = slipway::synth::compose::bundle(&definitions.project, env) else { continue };
        let text = slipway::synth::compose::render_env_example(&bundle).unwrap();
        let read = slipway::synth::compose::read_env_example(&text);
        let names = |vs: &[slipway::synth::compose::ComposeVariable]| {
            vs.iter().map(|v| (v.name.clone(), v.secret)).collect::<Vec<_>>()
        };
        assert_eq!(names(&read), names(&bundle.variables), "{}", env.name);
        assert!(read.iter().any(|v| v.secret) && read.iter().any(|v| !v.secret), "{}: {read:?}", env.name);
    }
}

fn services(file: &Value) -> &serde_json::Map<String, Value> {
    file["services"].as_object().expect("services is a map")
}

#[test]
fn services_wait_for_healthy_dependencies() {
    let set = synth(&project());
    let file = yaml_to_json(std::str::from_utf8(set.file("dev/compose/docker-compose.yml").unwrap()).unwrap());
    let services = services(&file);
    assert_eq!(services.keys().collect::<Vec<_>>(), ["backend", "db", "frontend"]);
    for (name, service) in services {
        let test = service["healthcheck"]["test"].as_array().unwrap_or_else(|| panic!("{name} has no healthcheck"));
        assert_eq!(test[0], "CMD-SHELL");
    }
    assert_eq!(services["backend"]["depends_on"]["db"]["condition"], "service_healthy");
    assert_eq!(services["frontend"]["depends_on"]["backend"]["condition"], "service_healthy");
    // A developer's machine publishes on the loopback only, on fixed ports.
    assert_eq!(services["frontend"]["ports"], serde_json::json!(["127.0.0.1:3000:8080"]));
    assert_eq!(
        services["backend"]["healthcheck"]["test"][1],
        "if command -v curl > /dev/null 2>&1; then curl -fsS 'http://127.0.0.1:8080/health' > /dev/null; elif command \
         -v wget > /dev/null 2>&1; then wget -q -O /dev/null 'http://127.0.0.1:8080/health'; else python3 -c \"import \
         sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)\" 'http://127.0.0.1:8080/health'; fi"
    );
    // Every container says whose it is, so that a host's slipway projects can be found by label; the app's
    // own services say which release they run (the database does not, so a release never recreates it).
    for (name, service) in services {
        let mut labels = serde_json::json!({"slipway.environment": "dev", "slipway.project": "webapp"});
        if name != "db" {
            labels["slipway.release"] = "${RELEASE:?set RELEASE in .env (see .env.example)}".into();
        }
        assert_eq!(service["labels"], labels, "{name}");
    }
    // The command runs in a shell as on cloud.gov; `$$` is compose's escape, so the shell sees `$PORT`.
    assert_eq!(
        services["backend"]["command"],
        serde_json::json!(["/bin/sh", "-c", "python3 -m webapp.serve --port $$PORT"])
    );
}

/// Every name a compose project claims on its host: project, containers, networks, volumes, host ports.
fn claims(file: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::from([format!("project {}", file["name"].as_str().unwrap())]);
    for service in services(file).values() {
        out.insert(format!("container {}", service["container_name"].as_str().unwrap()));
        for port in service["ports"].as_array().into_iter().flatten() {
            let spec = port.as_str().unwrap();
            let host_port = spec.rsplit(':').nth(1).unwrap();
            out.insert(format!("port {host_port}"));
        }
    }
    for kind in ["networks", "volumes"] {
        for v in file[kind].as_object().unwrap().values() {
            out.insert(format!("{kind} {}", v["name"].as_str().unwrap()));
        }
    }
    out
}

#[test]
fn two_demos_on_one_host_claim_nothing_in_common() {
    let set = synth(&project());
    let [a, b] = DEMOS.map(|d| {
        yaml_to_json(std::str::from_utf8(set.file(&format!("{d}/compose/docker-compose.yml")).unwrap()).unwrap())
    });
    let (a, b) = (claims(&a), claims(&b));
    assert_eq!(a.len(), 8, "{a:?}");
    assert_eq!(a.intersection(&b).count(), 0, "{a:?} and {b:?} share names");
}

#[test]
fn demo_ports_are_derived_from_the_name_alone() {
    let host = ComposeHost::Server("anywhere.example".into());
    let other = ComposeHost::Server("elsewhere.example".into());
    let (frontend, backend) = (webapp::frontend(), webapp::backend());
    let services = [&frontend, &backend];
    let ports = host.ports_for("checkout-redesign", &services);
    assert_eq!(ports, other.ports_for("checkout-redesign", &services));
    assert_eq!(ports["backend"], ports["frontend"] + 1);
    assert!((20000..30000).contains(&ports["frontend"]));
    assert_ne!(ports, host.ports_for("dark-mode", &services));
}

#[test]
fn check_refuses_two_demos_whose_derived_ports_collide() {
    // Find two demo names that land in the same slot, as a team eventually will.
    let host = ComposeHost::Server("demo.example".into());
    let (frontend, backend) = (webapp::frontend(), webapp::backend());
    let services = [&frontend, &backend];
    let mut by_port = std::collections::BTreeMap::new();
    let (first, second) = (0..)
        .map(|i| format!("demo-{i}"))
        .find_map(|name| by_port.insert(host.ports_for(&name, &services), name.clone()).map(|earlier| (earlier, name)))
        .unwrap();
    let ports = host.ports_for(&first, &services);
    let project: Definitions = [&first, &second].iter().fold(webapp::project(), |p, d| p.with_demo(d).unwrap());
    let problems: Vec<String> = slipway::model::check(&project).iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [format!(
            "environment `{second}`, compose published ports: publishes port {} and {} like environment `{first}` if \
             they ever share a demo server; the ports are derived from the demo name, so choose another name for one \
             of the demos",
            ports["frontend"], ports["backend"]
        )]
    );
}

#[test]
fn demo_install_scripts_are_valid_bash_that_names_the_demo() {
    let set = synth(&project());
    let scripts = files_ending(&set, "/compose/install.sh");
    assert_eq!(scripts.len(), DEMOS.len());
    assert!(set.file("dev/compose/install.sh").is_none(), "a local environment needs none");
    for (path, text) in scripts {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &text).unwrap();
        let out = Command::new("bash").arg("-n").arg(file.path()).output().expect("bash runs");
        assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        let demo = path.split('/').next().unwrap();
        assert!(text.contains(&format!("project='webapp-{demo}'")), "{path}");
        assert!(text.contains("up -d --wait"), "{path}");
    }
}

#[test]
fn synthesis_with_demos_gives_the_same_bytes_every_time() {
    let first = synth(&project());
    let second = synth(&project());
    let (a, b) = (first.files(), second.files());
    assert_eq!(a.iter().map(|f| &f.0).collect::<Vec<_>>(), b.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((path, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{path} differs between two runs");
    }
}

/// Runs a demo's `install.sh` the way an operator does, as root with Docker and its compose plugin on
/// `PATH` (the test command's engine and Compose v2), installing into `root/opt`.
fn run_install(bundle: &std::path::Path, root: &std::path::Path, release: &str) -> std::process::Output {
    let engine = crate::support::docker();
    let docker_dir = engine.docker.parent().expect("the docker CLI is in a directory").to_path_buf();
    Command::new("bash")
        .arg(bundle.join("install.sh"))
        .arg(release)
        .env("PATH", format!("{}:/usr/bin:/bin", docker_dir.display()))
        .env("DOCKER_HOST", engine.host.as_str())
        .env("DOCKER_CONFIG", crate::support::harness_var("DOCKER_CONFIG"))
        .env("INSTALL_DIR", root.join("opt"))
        .output()
        .expect("bash runs")
}

#[test]
fn a_demo_install_script_writes_its_env_keeps_its_secrets_and_brings_the_demo_up() {
    use std::os::unix::fs::PermissionsExt;
    // A demo of the local project, whose images the test engine has, so that `docker compose up --wait`
    // in the script really brings it up.
    let engine = crate::support::docker();
    let demo = crate::support::unique_name("install");
    let project = crate::demo::local::local_project().with_demo(&demo).unwrap();
    let set = synth(&project);
    let bundle_of = slipway::synth::compose::bundle(&project, project.find(&demo).unwrap()).unwrap();
    let _cleanup = crate::support::ProjectCleanup::new(&engine, &bundle_of.project);
    let (repository, first_release) = crate::demo::local::local_image();
    // The next release is the same image under another tag.
    let second_release = format!("{first_release}-next");
    let tagged = engine.cli(&["tag", &engine.image, &format!("{repository}:{second_release}")]);
    assert!(tagged.status.success(), "{}", String::from_utf8_lossy(&tagged.stderr));

    let root = crate::support::tempdir();
    let bundle = root.path().join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    for file in ["install.sh", "docker-compose.yml", ".env.example"] {
        std::fs::write(bundle.join(file), set.file(&format!("{demo}/compose/{file}")).unwrap()).unwrap();
    }

    let refused = run_install(&bundle, root.path(), "v1 ; rm -rf /");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("usage:"));

    let first = run_install(&bundle, root.path(), &first_release);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let opt = root.path().join("opt");
    let env_file = || std::fs::read_to_string(opt.join(".env")).unwrap();
    let vars = |text: &str| -> std::collections::BTreeMap<String, String> {
        text.lines().map(|l| l.split_once('=').unwrap()).map(|(k, v)| (k.into(), v.into())).collect()
    };
    let before = vars(&env_file());
    assert_eq!(before.keys().collect::<Vec<_>>(), ["DB_PASSWORD", "RELEASE", "SECRET_KEY"]);
    assert_eq!(before["RELEASE"], first_release);
    for secret in ["DB_PASSWORD", "SECRET_KEY"] {
        let v = &before[secret];
        assert!(v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()), "{secret}={v}");
    }
    assert_ne!(before["DB_PASSWORD"], before["SECRET_KEY"]);
    let mode = std::fs::metadata(opt.join(".env")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, ".env holds secrets");
    assert_eq!(
        std::fs::read(opt.join("docker-compose.yml")).unwrap(),
        set.file(&format!("{demo}/compose/docker-compose.yml")).unwrap()
    );
    let frontend = &bundle_of.urls.iter().find(|(c, _)| c == "frontend").unwrap().1;
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains(&format!("frontend: {frontend}")), "the script prints the URLs: {stdout}");
    assert_eq!(crate::support::http_get(frontend), Ok((200, format!("{demo} frontend {first_release}\n"))));

    let second = run_install(&bundle, root.path(), &second_release);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let after = vars(&env_file());
    assert_eq!(after["RELEASE"], second_release);
    assert_eq!((&after["DB_PASSWORD"], &after["SECRET_KEY"]), (&before["DB_PASSWORD"], &before["SECRET_KEY"]));
    assert_eq!(crate::support::http_get(frontend), Ok((200, format!("{demo} frontend {second_release}\n"))));
    // The database kept its data (and its password) across the upgrade: the backend reached it again.
    let backend = &bundle_of.urls.iter().find(|(c, _)| c == "backend").unwrap().1;
    assert_eq!(crate::support::http_get(&format!("{backend}/health")), Ok((200, "ok\n".into())));
}

/// The reference project with its backend running image asset `backend-image` (its context a temporary
/// directory with a Dockerfile), and every compose target (dev's and the demos') pulling from `registry`,
/// when given.
fn with_image_asset(registry: Option<&str>) -> (Definitions, tempfile::TempDir) {
    let context = crate::support::tempdir();
    std::fs::write(context.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let mut defs = project();
    let path = context.path().to_str().unwrap();
    defs.project.assets.push(slipway::model::Asset::image("backend-image", path));
    let backend = defs.project.services.iter_mut().find(|s| s.name == "backend").expect("the reference has a backend");
    backend.image = Some("backend-image".into());
    let project = &mut defs.project;
    for target in project.environments.iter_mut().chain(project.demos.iter_mut()).flat_map(|e| &mut e.targets) {
        if let slipway::model::Target::Compose(compose) = target {
            compose.registry = registry.map(String::from);
        }
    }
    (defs, context)
}

#[test]
fn a_service_running_an_image_asset_runs_it_by_hash_from_its_hosts_registry() {
    let (defs, _context) = with_image_asset(Some("registry.example.org:5000"));
    let set = synth(&defs);
    let file = yaml_to_json(&String::from_utf8_lossy(set.file("dev/compose/docker-compose.yml").unwrap()));
    let services = services(&file);
    let image = services["backend"]["image"].as_str().unwrap();
    let hash = image.strip_prefix("registry.example.org:5000/webapp/backend-image:").expect(image);
    // The tag is the asset's hash: the key its build context was written under.
    assert!(set.assets.contains_key(&format!("assets/{hash}.context.zip")), "{image}: {:?}", set.assets.keys());
    // The frontend is not an asset: still its image at the release.
    assert_eq!(
        services["frontend"]["image"],
        "ghcr.io/slipway-examples/webapp-frontend:${RELEASE:?set RELEASE in .env (see .env.example)}"
    );
    let example = String::from_utf8_lossy(set.file("dev/compose/.env.example").unwrap());
    assert!(example.contains("# The release to run: the tag of the frontend image.\n"), "{example}");
}

#[test]
fn check_refuses_a_compose_host_running_an_image_asset_with_no_registry() {
    let (defs, _context) = with_image_asset(None);
    let problems: Vec<String> = slipway::model::check(&defs).iter().map(ToString::to_string).collect();
    let expected = "runs image asset `backend-image` on its compose host, which names no registry to pull it from; \
                    add `.registry(\"registry.example.org:5000\")` to the environment's `ComposeTarget`";
    assert!(problems.iter().any(|p| p.contains("dev") && p.contains(expected)), "{problems:#?}");
    let (bad, _context) = with_image_asset(Some("https://registry.example.org"));
    let problems: Vec<String> = slipway::model::check(&bad).iter().map(ToString::to_string).collect();
    assert!(problems.iter().any(|p| p.contains("without a scheme or path")), "{problems:#?}");
}
