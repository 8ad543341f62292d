//! What the test modules share: running the real binary in a controlled environment, temporary
//! directories, the snapshot settings, and finding the external tools the test command installs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The reference definitions' program (the `webapp` crate's binary), built once per test run as a team
/// builds its own: without the engine, so that slipway's pure part is all it links.
pub fn webapp_program() -> &'static Path {
    program("webapp")
}

/// The program of the definitions crate `package` of this workspace (`webapp`, or a test project under
/// `tests/projects/`), built once per test run with `cargo build -p PACKAGE`: on slipway's pure part alone.
pub fn program(package: &str) -> &'static Path {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<BTreeMap<String, &'static Path>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(path) = built.get(package) {
        return path;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--locked", "-p", package])
        .current_dir(repo_root())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo build -p {package} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let bin = repo_root().join("target/debug").join(package);
    assert!(bin.is_file(), "cargo build -p {package} made no {}", bin.display());
    let path: &'static Path = Box::leak(bin.into_boxed_path());
    built.insert(package.to_string(), path);
    path
}

/// The `slipway` engine binary, run as a user runs it, with the reference definitions' program as its
/// app (`SLIPWAY_APP`).
pub fn engine() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
    cmd.env("SLIPWAY_APP", webapp_program());
    cmd
}

/// Synthesizes `definitions` (the environments `only`, all when empty) as their program does: every asset
/// hashed first, from the definitions' own directory ([`slipway::model::Definitions::assets_in`]).
pub fn synth(
    definitions: &slipway::model::Definitions,
    only: &[String],
) -> Result<slipway::synth::ArtifactSet, slipway::model::Problems> {
    let root = slipway::app::assets::root(definitions);
    let hashed = slipway::app::assets::hashed(definitions, &root).unwrap_or_else(|e| panic!("{e}"));
    let mut set = slipway::synth::synth(&hashed, only)?;
    set.assets = slipway::app::assets::files(&hashed, &root).unwrap_or_else(|e| panic!("{e}"));
    Ok(set)
}

/// Makes release `info` of `set` in `store` as `release create` does: its assets kept in the store under
/// their hashes, then the release listing them.
pub async fn create_release(
    store: &slipway::store::Store,
    info: &slipway::release::ReleaseInfo,
    set: &slipway::synth::ArtifactSet,
) -> slipway::release::Created {
    use slipway::release::assets::{StoredAsset, put};
    let key = slipway::synth::ArtifactKey::project_file(slipway::synth::ArtifactKind::Rules, "project.json");
    let rules = slipway::synth::rules::Rules::read(&set.artifacts[&key]).expect("the synthesis's rules");
    let mut stored = Vec::new();
    for asset in rules.project.assets.iter().filter(|a| a.is_file()) {
        let bytes = &set.assets[&asset.object_key().expect("a hashed asset")];
        let entry = StoredAsset::of(asset, bytes).expect("a hashed asset");
        put(store, &entry, bytes.clone()).await.expect("the asset is kept");
        stored.push(entry);
    }
    slipway::release::create(store, info, &set.artifacts, &stored).await.expect("the release is made")
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
    let out = engine()
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

/// A clock the test moves (`slipway::clock::Clock`, given to `cli::run_at` or an operation's context), so
/// that a rule about time (an expiry, a wait) is tried by moving the clock, never by sleeping past it. Like
/// a real clock it has moved on a little (a millisecond) each time it is read.
pub struct TestClock(std::sync::Mutex<slipway::clock::Timestamp>);

impl TestClock {
    /// A clock that starts at the system's time now.
    pub fn starting_now() -> TestClock {
        use slipway::clock::Clock;
        TestClock(std::sync::Mutex::new(slipway::clock::SystemClock.now()))
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: slipway::clock::Timestamp) {
        *self.0.lock().unwrap() = at;
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.0.lock().unwrap();
        *now = now.plus(by);
    }
}

impl slipway::clock::Clock for TestClock {
    fn now(&self) -> slipway::clock::Timestamp {
        let mut now = self.0.lock().unwrap();
        *now = now.plus(std::time::Duration::from_millis(1));
        *now
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

/// The Docker engine, Compose v2 and test image that the test command (`bash tests/run.sh`) installs,
/// starts and builds, and exports as environment variables.
pub struct Docker {
    /// The docker CLI.
    pub docker: PathBuf,
    /// The Compose v2 binary.
    pub compose: PathBuf,
    /// The private engine's socket.
    pub host: slipway::docker::DockerHost,
    /// A locally built image holding a static busybox (`sh`, `httpd`, `wget`, ...).
    pub image: String,
}

/// What to do when the Docker harness is missing.
const HOW: &str = "the Docker tests need the private engine, Compose v2 and test images that `bash tests/run.sh` \
                   installs, starts and builds (it exports DOCKER_HOST, DOCKER_CONFIG, SLIPWAY_DOCKER, \
                   SLIPWAY_COMPOSE, SLIPWAY_TEST_IMAGE and SLIPWAY_TEST_POSTGRES_IMAGE); run the whole suite with \
                   `bash tests/run.sh`, or some tests with `bash tests/run.sh cargo test --locked FILTER`";

/// The value of `name`, one of the variables the test command exports for the Docker tests; panics with
/// how to get it when it is not set.
pub fn harness_var(name: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| panic!("{name} is not set: {HOW}"))
}

/// The test command's Docker engine; panics with the command that provides it when it is missing or
/// does not answer. Never a skip: a test that needs Docker and finds none fails.
pub fn docker() -> Docker {
    let var = harness_var;
    let docker = Docker {
        docker: PathBuf::from(var("SLIPWAY_DOCKER")),
        compose: PathBuf::from(var("SLIPWAY_COMPOSE")),
        host: slipway::docker::DockerHost::parse(&var("DOCKER_HOST")).expect("DOCKER_HOST is a Docker host"),
        image: var("SLIPWAY_TEST_IMAGE"),
    };
    let out = docker.cli(&["image", "inspect", "--format", "{{.Id}}", &docker.image]);
    assert!(
        out.status.success(),
        "the engine at {} does not answer or lacks {}: {}\n{HOW}",
        docker.host,
        docker.image,
        String::from_utf8_lossy(&out.stderr)
    );
    docker
}

impl Docker {
    /// The compose CLI of the test command, found as slipway finds it when given a path.
    pub fn compose(&self) -> slipway::docker::Compose {
        slipway::docker::Compose::locate(Some(&self.compose))
            .expect("the test command's compose binary is Compose v2")
            .with_docker_cli(&self.docker)
    }

    /// Runs the docker CLI against the test engine.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.docker)
            .args(args)
            .env("DOCKER_HOST", self.host.as_str())
            .output()
            .expect("the docker CLI runs")
    }
}

/// A name no other test (and no other run on this machine) uses: `prefix` and a unique suffix, lowercase.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A TCP port on the loopback that nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `GET url` (plain `http://host:port/path`): the status code and the body. Bounded to a few seconds.
pub fn http_get(url: &str) -> Result<(u16, String), String> {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url} is not http://"))?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let timeout = std::time::Duration::from_secs(5);
    // `localhost` may resolve to ::1 first while the port is bound on IPv4 only: try each address.
    let mut last = format!("{url}: no address");
    let mut connected = None;
    for addr in authority.to_socket_addrs().map_err(|e| format!("{url}: {e}"))? {
        match std::net::TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                connected = Some(s);
                break;
            }
            Err(e) => last = format!("{url} ({addr}): {e}"),
        }
    }
    let mut stream = connected.ok_or(last)?;
    stream.set_read_timeout(Some(timeout)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| format!("{url}: {e}"))?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(format!("{url}: {response}"))?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// Takes compose project `project` down (with its volumes) when dropped, so that a test that fails
/// half-way leaves nothing running on the test engine for the next one to trip over.
pub struct ProjectCleanup {
    compose: slipway::docker::Compose,
    host: slipway::docker::DockerHost,
    /// The project.
    pub project: String,
}

impl ProjectCleanup {
    /// Guards `project` on the test engine.
    pub fn new(engine: &Docker, project: &str) -> Self {
        ProjectCleanup { compose: engine.compose(), host: engine.host.clone(), project: project.to_string() }
    }
}

impl Drop for ProjectCleanup {
    fn drop(&mut self) {
        if let Err(e) = self.compose.down(&self.project, &self.host, true) {
            eprintln!("could not take {} down: {e}", self.project);
        }
    }
}

/// The bootstrap stack's template (`slipway bootstrap`) for the account and region of `project`'s first
/// environment with an AWS target, and a path to write it at (`bootstrap/slipway-bootstrap.template.json`),
/// for the judges of templates.
pub fn bootstrap_template(project: &slipway::model::Project) -> (String, Vec<u8>) {
    let target = project.environments.iter().find_map(|e| e.aws_target()).expect("an environment on AWS");
    let template = slipway::model::bootstrap::template(target, &[]);
    ("bootstrap/slipway-bootstrap.template.json".to_string(), template.to_json().into_bytes())
}
