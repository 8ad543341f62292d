//! slipway's Cloud Foundry v3 client (`slipway::cloudfoundry`) end to end, against the v3 API server of
//! `tests/cloudfoundry/server.py`: written from the v3 reference, run with the system `python3` on a free
//! loopback port, one per test. It is not cloud.gov; tests/README.md says what it models and what not.
//!
//! The tests assert on behaviour and on what the server received (its `/_test/state`: requests with the
//! number of the token they carried, uploads with their size and hash, environment variables, processes
//! and their instances), never only on status codes. The areas: authentication and faults
//! ([`faults`]), an app's configuration ([`apps`]), packages, builds and deployments ([`deploys`]), and
//! secrets that must never show ([`secrets`]). The cloud.gov flow is walked through the code the commands
//! run ([`flow`]) and through the `slipway` binary as CI runs it, with a team's program as its app:
//! promotions ([`promote`]), and every output stream of a run searched for the token ([`binary`]).

mod apps;
mod binary;
mod deploys;
mod faults;
mod flow;
mod promote;
mod secrets;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use slipway::cloudfoundry::{CfError, CloudFoundry, Credentials, InstanceState, Secret, Settings};

use crate::support::{Run, repo_root};

/// The service account every test signs in as.
pub const USER: &str = "deployer";
/// Its password.
pub const PASSWORD: &str = "correct-horse-battery-staple";
/// The organization, spaces, domain and service instances every test finds.
pub const ORG: &str = "sandbox-gsa";
pub const SPACE: &str = "dev";
pub const DOMAIN: &str = "app.cloud.gov";

/// A running v3 API server, stopped on drop.
pub struct CfServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: tempfile::NamedTempFile,
}

impl CfServer {
    /// Starts the server with the system `python3` and seeds it with the user, the organization and its
    /// spaces, the domain and two service instances (`db`, managed; `config`, user-provided).
    pub fn start() -> CfServer {
        let script = repo_root().join("tests/cloudfoundry/server.py");
        let log = tempfile::Builder::new().prefix("slipway-cf-").suffix(".log").tempfile().unwrap();
        let mut child = Command::new("python3")
            .arg("-B") // no __pycache__ in the source tree
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `python3 {}`: {e}. The Cloud Foundry tests run their v3 API server with the system \
                     python3 (3.8 or newer, standard library only): install it (Debian: `apt-get install python3`) \
                     and put it on PATH",
                    script.display()
                )
            });
        // The server prints `listening on http://127.0.0.1:PORT` once it listens.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let Some(url) = line.trim().strip_prefix("listening on ").map(str::to_string) else {
            let _ = child.kill();
            panic!(
                "python3 {} did not start (it printed {line:?}); it wrote:\n{}",
                script.display(),
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
        };
        let server = CfServer { child, url, log };
        server.control(
            "POST",
            "/_test/seed",
            &json!({
                "users": { USER: PASSWORD },
                "organizations": [{ "name": ORG, "spaces": [SPACE, "staging"] }],
                "domains": [DOMAIN],
                "service_instances": [
                    { "name": "db", "space": SPACE, "type": "managed" },
                    { "name": "config", "space": SPACE, "type": "user-provided" },
                ],
            }),
        );
        server
    }

    /// A request to the server's own control endpoints (`/_test/...`), the answer's JSON.
    pub fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        let authority = self.url.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(authority).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = if body.is_null() { String::new() } else { body.to_string() };
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "{method} {path}: {answer}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body}"))
    }

    /// Asks for faults (`{"kind": ...}`; server.py's docstring lists them).
    pub fn script(&self, faults: Value) {
        self.control("POST", "/_test/script", &faults);
    }

    /// What the server holds and received.
    pub fn state(&self) -> Value {
        self.control("GET", "/_test/state", &Value::Null)
    }

    /// The requests received for `method` and a path starting with `prefix`.
    pub fn received(&self, method: &str, prefix: &str) -> Vec<Value> {
        let state = self.state();
        state["received"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == method && r["path"].as_str().unwrap().starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Every token the token endpoint issued.
    pub fn tokens(&self) -> Vec<String> {
        self.state()["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
    }

    /// What the server wrote (a line per request, and any traceback).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Settings for this server as the service account, patient enough for a test and no more.
    pub fn settings(&self) -> Settings {
        let credentials = Credentials::Password { username: USER.into(), password: Secret::new(PASSWORD) };
        let mut settings = Settings::new(&self.url, credentials);
        settings.timeout = Duration::from_secs(5);
        settings.poll_interval = Duration::from_millis(10);
        settings.retry_after_limit = Duration::from_secs(3);
        settings
    }

    /// A client with [`CfServer::settings`].
    pub fn client(&self) -> CloudFoundry {
        CloudFoundry::new(self.settings()).unwrap()
    }
}

impl Drop for CfServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- the v3 API server's log\n{}", self.log());
        }
    }
}

/// The `slipway` binary in `dir` as CI runs it, with the cloud.gov team's program (`tests/projects/tdp`)
/// as its app, and only the Cloud Foundry settings `cf` gives (none of this machine's `CF_*`), besides
/// `extra` variables.
pub fn slipway(dir: &Path, cf: &[(&str, &str)], extra: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = crate::projects::command("tdp", dir, None, extra, args);
    for (key, _) in std::env::vars() {
        if key.starts_with("CF_") || key == "SLIPWAY_CF_TIMEOUT" {
            cmd.env_remove(key);
        }
    }
    cmd.envs(cf.iter().copied());
    let out = cmd.output().expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a future to completion on a fresh runtime.
pub fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The guid of the space every test works in.
pub async fn space(cf: &CloudFoundry) -> String {
    let org = cf.organization(ORG).await.unwrap();
    cf.space(&org.guid, SPACE).await.unwrap().guid
}

/// Polls the process's stats until `n` instances are RUNNING; their states.
pub async fn wait_running(cf: &CloudFoundry, process: &str, n: usize) -> Vec<InstanceState> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let states: Vec<InstanceState> =
            cf.process_stats(process).await.unwrap().into_iter().map(|i| i.state).collect();
        if states.iter().filter(|s| **s == InstanceState::Running).count() == n && states.len() == n {
            return states;
        }
        assert!(Instant::now() < deadline, "process {process} did not get to {n} running instances: {states:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The error a call should have failed with.
pub fn err<T: std::fmt::Debug>(result: Result<T, CfError>) -> CfError {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// A zip archive of `files`, stored (not compressed), as a release zips a buildpack app's source
/// (`slipway::release::bits::zip`): local headers, the central directory and its end record, each entry
/// with its CRC-32 (which Python's zipfile checks).
pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    slipway::release::bits::zip(files).expect("a small zip")
}

#[test]
fn settings_come_from_the_environment() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    let s = Settings::from_lookup(vars(&[
        ("CF_API", "https://api.fr.cloud.gov/"),
        ("CF_USERNAME", "deployer"),
        ("CF_PASSWORD", "pw-1"),
        ("CF_TOKEN", "ignored-when-a-password-is-set"),
        ("SLIPWAY_CF_TIMEOUT", "7"),
    ]))
    .unwrap();
    assert_eq!(s.api_url, "https://api.fr.cloud.gov");
    assert_eq!(s.timeout, Duration::from_secs(7));
    assert!(
        matches!(&s.credentials, Credentials::Password { username, password } if username == "deployer" && *password == Secret::new("pw-1"))
    );
    assert!(!format!("{s:?}").contains("pw-1"), "{s:?}");

    // `cf oauth-token` prints `bearer <token>`; the default timeout is 30 s.
    let s = Settings::from_lookup(vars(&[("CF_API", "https://api.example"), ("CF_TOKEN", "bearer abc.def")])).unwrap();
    assert!(matches!(&s.credentials, Credentials::Token(t) if *t == Secret::new("abc.def")));
    assert_eq!(s.timeout, Duration::from_secs(30));
    assert!(!format!("{s:?}").contains("abc.def"), "{s:?}");

    let message = |pairs| Settings::from_lookup(vars(pairs)).unwrap_err().to_string();
    assert!(message(&[]).starts_with("CF_API is not set"));
    assert!(message(&[("CF_API", "api.example")]).contains("not an http(s) URL"));
    assert!(message(&[("CF_API", "https://api.example")]).contains("set CF_USERNAME and CF_PASSWORD"));
    assert!(message(&[("CF_API", "https://api.example"), ("CF_USERNAME", "u")]).contains("go together"));
    let timeout = message(&[("CF_API", "https://a.example"), ("CF_TOKEN", "t"), ("SLIPWAY_CF_TIMEOUT", "soon")]);
    assert!(timeout.contains("SLIPWAY_CF_TIMEOUT is `soon`"), "{timeout}");
}
