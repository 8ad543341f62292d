//! The drift workflow's issue step, as `slipway-drift.yml` synthesizes it and as GitHub Actions runs a
//! `run:` (`bash --noprofile --norc -eo pipefail`), against a loopback server that answers GitHub's issues
//! endpoints as the REST reference documents them (list open issues a page at a time, pull requests among
//! them; create; update; comment): one issue per environment, opened on drift, its text replaced while
//! the drift lasts, left alone when the stacks could not be read, closed when the drift is gone.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::tempdir;

const REPO: &str = "slipway-examples/webapp";

/// The repository's issues, as GitHub keeps them: number, title, body, open, whether a pull request, and
/// the comments.
#[derive(Default)]
struct Issues {
    items: Vec<Value>,
    comments: BTreeMap<u64, Vec<String>>,
    /// Method and path of every request.
    log: Vec<String>,
}

impl Issues {
    fn add(&mut self, title: &str, pull_request: bool) -> u64 {
        let number = self.items.len() as u64 + 1;
        let mut item = json!({"number": number, "title": title, "body": "", "state": "open"});
        if pull_request {
            item["pull_request"] = json!({"url": format!("https://api.github.com/repos/{REPO}/pulls/{number}")});
        }
        self.items.push(item);
        number
    }

    fn titled(&self, title: &str) -> Vec<&Value> {
        self.items.iter().filter(|i| i["title"] == title && i.get("pull_request").is_none()).collect()
    }

    fn answer(&mut self, method: &str, target: &str, body: Option<Value>) -> (u16, Value) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query: BTreeMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
        let prefix = format!("/repos/{REPO}/issues");
        let Some(rest) = path.strip_prefix(&prefix) else { return (404, json!({"message": "Not Found"})) };
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        match (method, parts.as_slice()) {
            ("GET", []) => {
                // Newest first, as GitHub sorts by default; `per_page` at most 100.
                let per_page: usize = query.get("per_page").map_or(30, |p| p.parse().unwrap()).min(100);
                let page: usize = query.get("page").map_or(1, |p| p.parse().unwrap());
                let open: Vec<Value> = self
                    .items
                    .iter()
                    .rev()
                    .filter(|i| query.get("state") != Some(&"open") || i["state"] == "open")
                    .cloned()
                    .collect();
                (200, Value::Array(open.into_iter().skip((page - 1) * per_page).take(per_page).collect()))
            }
            ("POST", []) => {
                let body = body.expect("a body");
                let number = self.add(body["title"].as_str().unwrap(), false);
                self.items[number as usize - 1]["body"] = body["body"].clone();
                (201, self.items[number as usize - 1].clone())
            }
            ("PATCH", [n]) => {
                let i = n.parse::<usize>().unwrap() - 1;
                for (k, v) in body.expect("a body").as_object().unwrap() {
                    self.items[i][k] = v.clone();
                }
                (200, self.items[i].clone())
            }
            ("POST", [n, "comments"]) => {
                let text = body.expect("a body")["body"].as_str().unwrap().to_string();
                self.comments.entry(n.parse().unwrap()).or_default().push(text.clone());
                (201, json!({"id": 1, "body": text}))
            }
            _ => (404, json!({"message": "Not Found"})),
        }
    }
}

/// A loopback server answering `issues`; one request per connection.
struct Server {
    url: String,
    issues: Arc<Mutex<Issues>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(issues: Issues) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let issues = Arc::new(Mutex::new(issues));
        let stop = Arc::new(AtomicBool::new(false));
        let (i, s) = (issues.clone(), stop.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &i),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, issues, stop }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, issues: &Mutex<Issues>) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap().to_string(), words.next().unwrap().to_string());
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let length: usize = headers.get("content-length").map_or(0, |l| l.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = (length > 0).then(|| serde_json::from_slice::<Value>(&body).expect("request bodies are JSON"));
    let (status, answer) = if headers.get("authorization").map(String::as_str) != Some("Bearer test-token") {
        (401, json!({"message": "Requires authentication"}))
    } else {
        let mut issues = issues.lock().unwrap();
        issues.log.push(format!("{method} {}", target.split('?').next().unwrap()));
        issues.answer(&method, &target, body)
    };
    let text = answer.to_string();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
    .unwrap();
}

/// The `run:` and `env:` of the step named `name` of the synthesized drift workflow's job, with the job's
/// `env:`.
fn step(name: &str) -> (String, BTreeMap<String, String>) {
    let set = crate::support::synth(&webapp::project(), &[]).expect("the reference definitions synthesize");
    let text = set.file(".github/workflows/slipway-drift.yml").expect("the drift workflow is synthesized");
    let workflow: Value = serde_yaml_ng::from_slice(text).unwrap();
    let job = &workflow["jobs"]["drift"];
    let step = job["steps"].as_array().unwrap().iter().find(|s| s["name"] == name);
    let step = step.unwrap_or_else(|| panic!("no step `{name}` in {:#}", job["steps"]));
    let mut env = BTreeMap::new();
    for vars in [&job["env"], &step["env"]] {
        for (k, v) in vars.as_object().into_iter().flatten() {
            env.insert(k.clone(), v.as_str().unwrap().to_string());
        }
    }
    (step["run"].as_str().unwrap().to_string(), env)
}

/// Runs the issue step of `env` in `dir` as GitHub Actions would, after its check step exited `code`
/// with `markdown`: what it printed, having succeeded.
fn keep_issue(server: &Server, dir: &Path, env: &str, code: i32, markdown: &str) -> String {
    let (run, vars) = step(&format!("Keep the drift issue of {env} up to date"));
    assert_eq!(vars["SLIPWAY_ENV"], env);
    assert_eq!(vars["GH_TOKEN"], "${{ github.token }}");
    std::fs::create_dir_all(dir.join("drift")).unwrap();
    std::fs::write(dir.join(format!("drift/{env}.code")), format!("{code}\n")).unwrap();
    std::fs::write(dir.join(format!("drift/{env}.md")), markdown).unwrap();
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &run])
        .current_dir(dir)
        .env("SLIPWAY_ENV", env)
        .env("GH_TOKEN", "test-token")
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_API_URL", &server.url)
        .output()
        .expect("bash runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the step failed:\n{stdout}\n{stderr}");
    stdout.into_owned()
}

#[test]
fn one_issue_per_environment_opened_on_drift_updated_while_it_lasts_and_closed_when_it_is_gone() {
    for tool in ["curl", "jq"] {
        let found = std::process::Command::new(tool).arg("--version").output().is_ok();
        assert!(found, "`{tool}` runs the drift workflow's step (as on GitHub's runners): apt-get install {tool}");
    }
    // Open issues, staging's drift among them, and a pull request with the very title, which is never
    // taken for the issue.
    let mut issues = Issues::default();
    issues.add("slipway: drift in dev", true);
    let staging = issues.add("slipway: drift in staging", false);
    for n in 0..20 {
        issues.add(&format!("a bug, #{n}"), false);
    }
    let server = Server::start(issues);
    let dir = tempdir();
    let title = "slipway: drift in dev";

    let said = keep_issue(&server, dir.path(), "dev", 2, "DRIFTED: webapp-dev-monitoring\n");
    let opened = {
        let issues = server.issues.lock().unwrap();
        let found = issues.titled(title);
        assert_eq!(found.len(), 1, "one issue opened");
        assert!(found[0]["body"].as_str().unwrap().contains("DRIFTED: webapp-dev-monitoring"), "{:#}", found[0]);
        assert!(found[0]["body"].as_str().unwrap().contains("slipway deploy --env dev --revert-drift"));
        found[0]["number"].as_u64().unwrap()
    };
    assert_eq!(said.trim(), format!("opened issue #{opened}: {title}"));

    // Still drifted, and more of it: the same issue, its text replaced, found past the first page of open
    // issues (a hundred newer ones come first).
    for n in 0..100 {
        server.issues.lock().unwrap().add(&format!("a newer bug, #{n}"), false);
    }
    let said = keep_issue(&server, dir.path(), "dev", 2, "DRIFTED: webapp-dev-monitoring, webapp-dev-app\n");
    assert_eq!(said.trim(), format!("updated issue #{opened}: {title}"));
    {
        let issues = server.issues.lock().unwrap();
        let found = issues.titled(title);
        assert_eq!(found.len(), 1, "no second issue");
        assert!(found[0]["body"].as_str().unwrap().contains("webapp-dev-monitoring, webapp-dev-app"));
        let pages = issues.log.iter().filter(|l| **l == format!("GET /repos/{REPO}/issues")).count();
        assert_eq!(pages, 1 + 2, "one page to open it, two to find it again: {:?}", issues.log);
    }

    // The stacks could not be read: nothing is said of the drift, so the issue is left as it is.
    let before = server.issues.lock().unwrap().log.len();
    keep_issue(&server, dir.path(), "dev", 3, "");
    let log = server.issues.lock().unwrap().log[before..].to_vec();
    assert!(log.iter().all(|l| l.starts_with("GET ")), "{log:?}");

    // The drift is gone: a comment says so and the issue is closed; staging's issue is left alone.
    let said = keep_issue(&server, dir.path(), "dev", 0, "");
    assert_eq!(said.trim(), format!("closed issue #{opened}: no drift in dev any more"));
    {
        let issues = server.issues.lock().unwrap();
        assert_eq!(issues.items[opened as usize - 1]["state"], "closed");
        assert_eq!(issues.items[opened as usize - 1]["state_reason"], "completed");
        assert_eq!(
            issues.comments[&opened],
            ["No drift any more: every stack of `dev` holds what the ledger says was applied."]
        );
        assert_eq!(issues.items[staging as usize - 1]["state"], "open");
        assert_eq!(issues.items[0]["state"], "open", "the pull request is not touched");
    }

    // No drift and no open issue: nothing is written.
    let before = server.issues.lock().unwrap().log.len();
    assert_eq!(keep_issue(&server, dir.path(), "dev", 0, ""), "");
    let log = server.issues.lock().unwrap().log[before..].to_vec();
    assert!(log.iter().all(|l| l.starts_with("GET ")), "{log:?}");
}
