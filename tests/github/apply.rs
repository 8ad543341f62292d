//! `slipway github apply` against a loopback HTTP server that plays GitHub's REST API (environments, their
//! deployment branch policies, users, teams) and records every request: each request has the method,
//! path, headers and body GitHub documents (bodies judged by schemas written from the REST reference), a
//! second run changes nothing, drift is put back, `--dry-run` only reads, and every failure names its
//! endpoint. The server answers only on 127.0.0.1 and stops by itself.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Run, slipway_with, snapshots, tempdir};

/// One request as the server received it.
#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    /// The path with its query.
    target: String,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
}

impl Recorded {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap()
    }

    fn changes(&self) -> bool {
        self.method != "GET"
    }
}

/// GitHub's state as the fake keeps it.
#[derive(Default)]
struct Fake {
    users: BTreeMap<String, u64>,
    teams: BTreeMap<String, u64>,
    /// Environment name -> the last PUT body.
    environments: BTreeMap<String, Value>,
    /// Environment name -> (id, name, type).
    policies: BTreeMap<String, Vec<(u64, String, String)>>,
    next_id: u64,
    /// Answer this method and path with this status.
    fail: Option<(String, String, u16)>,
    /// Read requests and never answer.
    silent: bool,
    /// The repository's `created_at`, `owner.id` and `id` (`GET /repos/{owner}/{repo}`).
    repository: (String, u64, u64),
    /// The repository's OIDC subject template (`GET .../actions/oidc/customization/sub`); `None`: the default.
    subject_template: Option<Vec<String>>,
}

const REPO: &str = "/repos/slipway-examples/webapp/environments/";

impl Fake {
    /// GitHub with the reference project's approvers as users.
    fn with_users() -> Fake {
        let users = ["amara", "jonas", "priya", "mateo", "ines"];
        Fake {
            users: users.iter().enumerate().map(|(i, u)| (u.to_string(), 1000 + i as u64)).collect(),
            next_id: 1,
            // Created before GitHub put immutable IDs in new repositories' OIDC claims.
            repository: ("2025-03-04T05:06:07Z".into(), 4242, 8484),
            ..Fake::default()
        }
    }

    fn environment_json(&self, name: &str) -> Value {
        let body = &self.environments[name];
        let mut rules = Vec::new();
        if body["wait_timer"].as_u64().unwrap_or(0) > 0 {
            rules.push(json!({"id": 1, "node_id": "W", "type": "wait_timer", "wait_timer": body["wait_timer"]}));
        }
        let reviewers: Vec<Value> = body["reviewers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| json!({"type": r["type"], "reviewer": {"id": r["id"]}}))
            .collect();
        if !reviewers.is_empty() {
            rules.push(json!({"id": 2, "node_id": "R", "type": "required_reviewers",
                              "prevent_self_review": body["prevent_self_review"], "reviewers": reviewers}));
        }
        if !body["deployment_branch_policy"].is_null() {
            rules.push(json!({"id": 3, "node_id": "B", "type": "branch_policy"}));
        }
        json!({"id": 7, "node_id": "E", "name": name, "url": "x", "html_url": "x",
               "created_at": "2026-11-24T00:00:00Z", "updated_at": "2026-11-24T00:00:00Z",
               "protection_rules": rules, "deployment_branch_policy": body["deployment_branch_policy"]})
    }

    fn answer(&mut self, r: &Recorded) -> (u16, Value) {
        if let Some((method, path, status)) = &self.fail
            && *method == r.method
            && path == r.path()
        {
            return (*status, json!({"message": "boom"}));
        }
        let not_found = (404, json!({"message": "Not Found"}));
        let parts: Vec<&str> = r.path().trim_start_matches('/').split('/').collect();
        match (r.method.as_str(), parts.as_slice()) {
            ("GET", ["users", login]) => match self.users.get(*login) {
                Some(id) => (200, json!({"login": login, "id": id, "type": "User"})),
                None => not_found,
            },
            ("GET", ["orgs", _, "teams", slug]) => match self.teams.get(*slug) {
                Some(id) => (200, json!({"slug": slug, "id": id, "name": slug})),
                None => not_found,
            },
            ("GET", ["repos", owner, repo]) => {
                let (created, owner_id, id) = self.repository.clone();
                (
                    200,
                    json!({"id": id, "name": repo, "full_name": format!("{owner}/{repo}"),
                             "owner": {"login": owner, "id": owner_id, "type": "Organization"},
                             "created_at": created}),
                )
            }
            ("GET", ["repos", _, _, "actions", "oidc", "customization", "sub"]) => match &self.subject_template {
                None => (200, json!({"use_default": true})),
                Some(keys) => (200, json!({"use_default": false, "include_claim_keys": keys})),
            },
            ("GET", ["repos", _, _, "environments", env]) => {
                if self.environments.contains_key(*env) {
                    (200, self.environment_json(env))
                } else {
                    not_found
                }
            }
            ("PUT", ["repos", _, _, "environments", env]) => {
                self.environments.insert(env.to_string(), r.body.clone().unwrap_or(Value::Null));
                (200, self.environment_json(env))
            }
            ("GET", ["repos", _, _, "environments", env, "deployment-branch-policies"]) => {
                let page: u32 = r.target.split("page=").nth(1).and_then(|p| p.parse().ok()).unwrap_or(1);
                let all = self.policies.get(*env).cloned().unwrap_or_default();
                let listed: Vec<Value> = if page == 1 {
                    all.iter().map(|(id, n, t)| json!({"id": id, "node_id": "P", "name": n, "type": t})).collect()
                } else {
                    vec![]
                };
                (200, json!({"total_count": all.len(), "branch_policies": listed}))
            }
            ("POST", ["repos", _, _, "environments", env, "deployment-branch-policies"]) => {
                let body = r.body.clone().unwrap();
                let id = self.next_id;
                self.next_id += 1;
                let (name, kind) =
                    (body["name"].as_str().unwrap().to_string(), body["type"].as_str().unwrap_or("branch").to_string());
                self.policies.entry(env.to_string()).or_default().push((id, name.clone(), kind.clone()));
                (200, json!({"id": id, "node_id": "P", "name": name, "type": kind}))
            }
            ("DELETE", ["repos", _, _, "environments", env, "deployment-branch-policies", id]) => {
                let id: u64 = id.parse().unwrap();
                self.policies.entry(env.to_string()).or_default().retain(|(i, _, _)| *i != id);
                (204, Value::Null)
            }
            _ => not_found,
        }
    }
}

/// The loopback server: one thread, one request per connection, stopped when dropped or after a minute.
struct Server {
    url: String,
    fake: Arc<Mutex<Fake>>,
    log: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(fake: Fake) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fake = Arc::new(Mutex::new(fake));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, l, s) = (fake.clone(), log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &f, &l, &s),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, fake, log, stop, thread: Some(thread) }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    fn apply(&self, dir: &std::path::Path, args: &[&str]) -> Run {
        let mut all = vec!["github", "apply"];
        all.extend(args);
        slipway_with(
            dir,
            &all,
            &[("GITHUB_API_URL", &self.url), ("GITHUB_TOKEN", "test-token"), ("SLIPWAY_GITHUB_TIMEOUT", "2")],
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, fake: &Mutex<Fake>, log: &Mutex<Vec<Recorded>>, stop: &AtomicBool) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
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
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = (length > 0).then(|| serde_json::from_slice(&body).expect("request bodies are JSON"));
    let recorded = Recorded { method, target, headers, body };
    log.lock().unwrap().push(recorded.clone());
    let mut fake = fake.lock().unwrap();
    if fake.silent {
        drop(fake);
        let until = Instant::now() + Duration::from_secs(10);
        while !stop.load(Ordering::Relaxed) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        return;
    }
    let (status, answer) = fake.answer(&recorded);
    let text = if answer.is_null() { String::new() } else { answer.to_string() };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

// ---- GitHub's documented request shapes ---------------------------------------------------------------

/// `PUT /repos/{owner}/{repo}/environments/{environment_name}`'s body, as the REST reference documents it.
fn put_environment_schema() -> jsonschema::Validator {
    jsonschema::validator_for(&json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "wait_timer": {"type": "integer", "minimum": 0, "maximum": 43200},
            "prevent_self_review": {"type": "boolean"},
            "reviewers": {"type": ["array", "null"], "maxItems": 6, "items": {
                "type": "object", "additionalProperties": false, "required": ["type", "id"],
                "properties": {"type": {"enum": ["User", "Team"]}, "id": {"type": "integer"}}}},
            "deployment_branch_policy": {"type": ["object", "null"], "additionalProperties": false,
                "required": ["protected_branches", "custom_branch_policies"],
                "properties": {"protected_branches": {"type": "boolean"}, "custom_branch_policies": {"type": "boolean"}}}
        }
    }))
    .unwrap()
}

/// `POST .../deployment-branch-policies`'s body.
fn create_policy_schema() -> jsonschema::Validator {
    jsonschema::validator_for(&json!({
        "type": "object", "additionalProperties": false, "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1}, "type": {"enum": ["branch", "tag"]}}
    }))
    .unwrap()
}

fn assert_documented(requests: &[Recorded]) {
    let put = put_environment_schema();
    let post = create_policy_schema();
    for r in requests {
        assert_eq!(r.headers.get("authorization").map(String::as_str), Some("Bearer test-token"), "{r:?}");
        assert_eq!(r.headers.get("accept").map(String::as_str), Some("application/vnd.github+json"), "{r:?}");
        assert_eq!(r.headers.get("x-github-api-version").map(String::as_str), Some("2022-11-28"), "{r:?}");
        assert!(r.headers.get("user-agent").is_some_and(|u| u.starts_with("slipway/")), "{r:?}");
        match (r.method.as_str(), r.body.as_ref()) {
            ("PUT", Some(body)) => {
                assert!(r.path().starts_with(REPO), "{r:?}");
                let errors: Vec<String> = put.iter_errors(body).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "PUT {} body {body}: {errors:?}", r.path());
                assert_eq!(r.headers.get("content-type").map(String::as_str), Some("application/json"));
            }
            ("POST", Some(body)) => {
                assert!(r.path().ends_with("/deployment-branch-policies"), "{r:?}");
                let errors: Vec<String> = post.iter_errors(body).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "POST {} body {body}: {errors:?}", r.path());
            }
            ("GET" | "DELETE", None) => {}
            _ => panic!("a request GitHub does not document: {r:?}"),
        }
    }
}

fn summary(requests: &[Recorded]) -> Vec<String> {
    requests.iter().map(|r| format!("{} {}", r.method, r.target)).collect()
}

// ---- the tests ------------------------------------------------------------------------------------------

#[test]
fn apply_creates_every_environment_with_the_requests_github_documents() {
    let server = Server::start(Fake::with_users());
    let dir = tempdir();
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let requests = server.requests();
    assert_documented(&requests);
    snapshots(|| {
        insta::assert_snapshot!("cli_github_apply", run.transcript(dir.path()));
        insta::assert_snapshot!("github_apply_requests", summary(&requests).join("\n"));
    });
    let put_prod = requests.iter().find(|r| r.method == "PUT" && r.path() == format!("{REPO}prod")).unwrap();
    assert_eq!(
        put_prod.body.as_ref().unwrap(),
        &json!({
            // prod waits 30 minutes; slipway's policy counts that, once, so GitHub's own timer is off.
            "wait_timer": 0,
            "prevent_self_review": true,
            "reviewers": [{"type": "User", "id": 1002}, {"type": "User", "id": 1003}, {"type": "User", "id": 1004}],
            "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}
        })
    );
    let posted: Vec<&Value> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path() == format!("{REPO}prod/deployment-branch-policies"))
        .map(|r| r.body.as_ref().unwrap())
        .collect();
    assert_eq!(posted, [&json!({"name": "main", "type": "branch"}), &json!({"name": "release/*", "type": "branch"})]);
    // Each reviewer is looked up once, however many environments name them.
    let amara = requests.iter().filter(|r| r.target == "/users/amara").count();
    assert_eq!(amara, 1);
    // An environment is made (with custom policies on) before its policies are added.
    let first_put = requests.iter().position(|r| r.method == "PUT" && r.path() == format!("{REPO}prod")).unwrap();
    let first_post =
        requests.iter().position(|r| r.method == "POST" && r.path().starts_with(&format!("{REPO}prod/"))).unwrap();
    assert!(first_put < first_post);
}

#[test]
fn a_second_run_changes_nothing() {
    let server = Server::start(Fake::with_users());
    let dir = tempdir();
    assert_eq!(server.apply(dir.path(), &[]).status, 0);
    let before = server.requests().len();
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let again = &server.requests()[before..];
    assert!(again.iter().all(|r| !r.changes()), "a second run changed something: {:?}", summary(again));
    assert_eq!(
        run.stdout,
        "nothing to change: the 5 GitHub environments of slipway-examples/webapp are as the definitions say\n"
    );
}

#[test]
fn drift_is_put_back_and_stale_policies_removed() {
    let mut fake = Fake::with_users();
    fake.environments.insert(
        "prod".into(),
        json!({"wait_timer": 5, "prevent_self_review": false, "reviewers": [{"type": "User", "id": 1000}],
               "deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}}),
    );
    fake.policies
        .insert("prod".into(), vec![(77, "hotfix/*".into(), "branch".into()), (78, "main".into(), "branch".into())]);
    fake.next_id = 100;
    let server = Server::start(fake);
    let dir = tempdir();
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let prod: Vec<String> = run.stdout.lines().filter(|l| l.starts_with("changed prod:")).map(str::to_string).collect();
    assert_eq!(
        prod,
        [
            "changed prod: wait timer 5 -> 0 minutes",
            "changed prod: reviewers: ines, mateo, priya",
            "changed prod: prevent self-review false -> true",
            "changed prod: remove the branch policy `hotfix/*`",
            "changed prod: add the branch policy `release/*`",
        ]
    );
    let requests = server.requests();
    assert_documented(&requests);
    assert!(
        requests
            .iter()
            .any(|r| r.method == "DELETE" && r.path() == format!("{REPO}prod/deployment-branch-policies/77"))
    );
    assert!(!requests.iter().any(|r| r.method == "DELETE" && r.path().ends_with("/78")), "`main` stays");
    let policies = &server.fake.lock().unwrap().policies["prod"];
    let names: Vec<&str> = policies.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(names, ["main", "release/*"]);
}

#[test]
fn dry_run_only_reads_and_says_what_it_would_change() {
    let server = Server::start(Fake::with_users());
    let dir = tempdir();
    let run = server.apply(dir.path(), &["--dry-run"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.method == "GET"), "{:?}", summary(&requests));
    assert_documented(&requests);
    snapshots(|| insta::assert_snapshot!("cli_github_apply_dry_run", run.transcript(dir.path())));
    // What it said it would do is what a real run then does.
    let real = server.apply(dir.path(), &[]);
    let would: Vec<String> =
        run.stdout.lines().filter_map(|l| l.strip_prefix("would change ")).map(str::to_string).collect();
    let did: Vec<String> = real.stdout.lines().filter_map(|l| l.strip_prefix("changed ")).map(str::to_string).collect();
    assert_eq!(would, did);
}

#[test]
fn a_workflow_naming_an_unknown_environment_is_refused_before_any_request() {
    let server = Server::start(Fake::with_users());
    let dir = tempdir();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::write(
        workflows.join("hand-made.yml"),
        "on: push\njobs:\n  ship:\n    runs-on: x\n    environment: prodution\n    steps: []\n",
    )
    .unwrap();
    std::fs::write(
        workflows.join("computed.yaml"),
        "on: push\njobs:\n  ship:\n    runs-on: x\n    environment:\n      name: ${{ inputs.env }}\n    steps: []\n",
    )
    .unwrap();
    let run = server.apply(dir.path(), &["--workflows", "workflows"]);
    assert_eq!(run.status, 1);
    snapshots(|| insta::assert_snapshot!("cli_github_apply_unknown_environment", run.transcript(dir.path())));
    assert!(server.requests().is_empty(), "{:?}", summary(&server.requests()));
}

#[test]
fn a_reviewer_github_does_not_know_is_named_with_the_endpoint() {
    let mut fake = Fake::with_users();
    fake.users.remove("ines");
    let server = Server::start(fake);
    let dir = tempdir();
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let first = run.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "error: user `ines`, a reviewer of environment `prod`, does not exist on GitHub (GET {}/users/ines \
             answered 404)",
            server.url
        )
    );
    assert!(!server.requests().iter().any(|r| r.method == "PUT" && r.path().ends_with("/prod")));
}

#[test]
fn a_failing_endpoint_is_named_and_exits_3() {
    let mut fake = Fake::with_users();
    fake.fail = Some(("PUT".into(), format!("{REPO}staging"), 500));
    let server = Server::start(fake);
    let dir = tempdir();
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!("cloud error: PUT {}{REPO}staging: GitHub answered 500: boom\n", server.url)),
        "{}",
        run.stderr
    );
}

#[test]
fn a_silent_server_is_given_up_on_in_bounded_time() {
    let mut fake = Fake::with_users();
    fake.silent = true;
    let server = Server::start(fake);
    let dir = tempdir();
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(run.stderr.contains(": no answer within 2 s"), "{}", run.stderr);
}

#[test]
fn apply_without_a_token_is_refused() {
    let dir = tempdir();
    let run = slipway_with(dir.path(), &["github", "apply"], &[("GITHUB_API_URL", "http://127.0.0.1:9")]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.starts_with("error: GITHUB_TOKEN is not set"), "{}", run.stderr);
}

/// A repository created after 2026-06-18 gets OIDC claims with immutable IDs; definitions that name it by
/// name only would make roles no job can assume, so `apply` refuses (a dry run too) before any change, and
/// says which IDs to give. A repository whose claims follow a template of its own is refused the same way.
#[test]
fn roles_that_would_not_trust_the_repositorys_tokens_are_refused_before_any_change() {
    let mut fake = Fake::with_users();
    fake.repository = ("2026-07-01T00:00:00Z".into(), 4242, 8484);
    let server = Server::start(fake);
    let dir = tempdir();
    for args in [&["--dry-run"][..], &[]] {
        let run = server.apply(dir.path(), args);
        assert_eq!(run.status, 1, "{}", run.stderr);
        assert!(
            run.stderr.starts_with(
                "error: repository slipway-examples/webapp was created on 2026-07-01, after 2026-06-18: its OIDC claims \
                 name it `repo:slipway-examples@4242/webapp@8484:...`"
            ),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("`Repository::new(..).with_ids(4242, 8484)`"), "{}", run.stderr);
    }
    assert!(server.requests().iter().all(|r| r.method == "GET"), "{:?}", summary(&server.requests()));
    assert!(!server.requests().iter().any(|r| r.path().contains("/environments/")), "nothing read past the check");

    let mut fake = Fake::with_users();
    fake.subject_template = Some(vec!["repo".into(), "context".into(), "job_workflow_ref".into()]);
    let server = Server::start(fake);
    let run = server.apply(dir.path(), &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("makes its OIDC subject claim from its own template (repo, context, job_workflow_ref)")
    );
    assert!(run.stderr.contains("\"use_default\": true"), "{}", run.stderr);
    assert!(server.requests().iter().all(|r| r.method == "GET"));
}

/// Definitions that give IDs are checked against GitHub's: other IDs are refused, naming both; GitHub's pass.
#[test]
fn repository_ids_in_the_definitions_are_checked_against_githubs() {
    let mut fake = Fake::with_users();
    fake.repository = ("2026-09-01T00:00:00Z".into(), 4242, 8484);
    let server = Server::start(fake);
    let github = slipway::github::GitHub::new(slipway::github::Settings {
        api_url: server.url.clone(),
        token: Some("t".into()),
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let check = |repository: slipway::model::Repository| rt.block_on(slipway::ops::oidc::check(&github, &repository));
    let named = slipway::model::Repository::new("slipway-examples", "webapp");
    assert_eq!(check(named.clone().with_ids(4242, 8484)).unwrap(), None);
    let wrong = check(named.clone().with_ids(4242, 1)).unwrap_err().to_string();
    assert_eq!(
        wrong,
        "the definitions give repository slipway-examples/webapp the IDs owner 4242, repository 1; GitHub says owner \
         4242, repository 8484"
    );
    assert!(matches!(check(named), Err(slipway::ops::oidc::OidcError::IdsMissing { owner_id: 4242, .. })));
}
