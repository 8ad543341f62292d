//! promote, rollback, unhold and `--approvals github` through the real binary, as CI runs them: on moto
//! in its many-account mode, where the run's own credentials act in moto's default account and the
//! reference `dev` and `test` are each in their own account, reached by assuming a role there through
//! STS. GitHub is a loopback server that answers the documented shape of the run-approvals endpoint.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::deploy::reference::Api;
use crate::faults::Faults;
use crate::ledger::cli::slipway_with;
use crate::moto::{Moto, block_on};
use crate::support::{Run, tempdir};

/// A request's line (`GET /path HTTP/1.1`) and headers (names in lower case).
type Request = (String, BTreeMap<String, String>);

/// A loopback GitHub: answers each path with the status and JSON it is given (404 otherwise), and
/// records every request's line and headers.
struct Github {
    url: String,
    answers: Arc<Mutex<BTreeMap<String, (u16, Value)>>>,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Github {
    fn start() -> Github {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answers: Arc<Mutex<BTreeMap<String, (u16, Value)>>> = Arc::default();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let (routes, seen) = (answers.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut headers = BTreeMap::new();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = header.trim().split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let line = line.trim().to_string();
                let path = line.split(' ').nth(1).unwrap_or_default().to_string();
                seen.lock().unwrap().push((line, headers));
                let (status, body) =
                    routes.lock().unwrap().get(&path).cloned().unwrap_or((404, json!({"message": "Not Found"})));
                let body = body.to_string();
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: \
                     close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Github { url, answers, requests }
    }

    fn answer(&self, path: &str, status: u16, body: Value) {
        self.answers.lock().unwrap().insert(path.into(), (status, body));
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// A review of a run's pending deployment, in the documented shape (the fields slipway reads, and
/// the others GitHub sends beside them).
fn review(login: &str, state: &str, environments: &[&str]) -> Value {
    json!({
        "state": state,
        "comment": "looks right",
        "user": { "login": login, "id": 1, "type": "User", "site_admin": false },
        "environments": environments
            .iter()
            .map(|e| json!({ "id": 7, "node_id": "EN_1", "name": e, "url": "https://api.github.com/x", "html_url": "https://github.com/x", "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z" }))
            .collect::<Vec<_>>(),
    })
}

fn account(env: &str) -> String {
    webapp::project().find(env).unwrap().aws_target().unwrap().account.to_string()
}

fn role(env: &str) -> String {
    format!("arn:aws:iam::{}:role/slipway-deploy", account(env))
}

/// The release `stack` of `env` runs, in `env`'s account (through STS), or `None` when it has no such stack.
fn running_in(moto: &Moto, env: &str, stack: &str) -> Option<String> {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "tests"));
    block_on(async {
        let connector = slipway::cloud::Connector::load_from(loader, slipway::cloud::Settings::default()).await;
        let account = account(env);
        let dest = slipway::cloud::Destination { environment: env, account: &account, region: "us-east-1" };
        let cloud =
            connector.connect_assuming(&dest, slipway::cloud::RegionRule::Environment, &role(env)).await.unwrap();
        cloud.describe_stack(stack).await.unwrap().map(|s| s.parameters["Release"].clone())
    })
}

fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    [args, more].concat()
}

fn ok(run: &Run) {
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn a_release_promoted_across_accounts_rolled_back_held_and_released_through_the_binary() {
    let moto = Moto::start_accounts();
    moto.bootstrap_envs(
        webapp::project()
            .environments
            .clone()
            .into_iter()
            .map(|e| {
                let role = role(&e.name);
                e.assume_role(role)
            })
            .collect(),
    );
    // On moto the app's `ApiUrl` is a placeholder: the proxy reports a loopback API that answers instead.
    let faults = Faults::start(&moto.endpoint);
    let api = Api::start(200);
    faults.output("webapp-dev-app", "ApiUrl", &api.url);
    let github = Github::start();
    let dir = tempdir();
    let (dir, actor) = (dir.path(), ("GITHUB_ACTOR", "ci-bot"));
    let through_proxy = ("AWS_ENDPOINT_URL", faults.endpoint.as_str());
    let apply = ["--yes", "--no-smoke", "--progress", "events", "--poll-ms", "20", "--target", "aws"];
    let slipway = |extra: &[(&str, &str)], args: &[&str]| {
        let mut env = vec![actor, through_proxy];
        env.extend_from_slice(extra);
        slipway_with(dir, &moto, &env, args)
    };

    // The run's credentials are for moto's default account: dev's is another, so slipway refuses,
    // and says how to reach it.
    let refused = slipway(&[], &with(&["deploy", "--env", "dev", "--release", "r1"], &apply));
    assert_eq!(refused.status, 3, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "the AWS credentials belong to account 123456789012 but environment `dev` deploys to account {}",
            account("dev")
        )),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--assume-role ARN"), "{}", refused.stderr);
    let dev_role = role("dev");
    ok(&slipway(&[], &with(&["deploy", "--env", "dev", "--release", "r1", "--assume-role", &dev_role], &apply)));
    assert_eq!(running_in(&moto, "dev", "webapp-dev-app").as_deref(), Some("r1"));

    // A dry run prints the verdict and changes nothing. A deploy with --no-smoke leaves r1 without
    // evidence in dev, so nothing promotes it from there until its checks have run.
    let dry = slipway(&[], &["promote", "--release", "r1", "--to", "test", "--dry-run"]);
    assert_eq!(dry.status, 1, "{}", dry.stderr);
    assert_eq!(
        dry.stdout,
        "refused: promote release r1 from dev to test (no approvals counted):\n  [source] release r1's smoke check \
         `api-health` was not run in `dev` (skipped: deployed with --no-smoke), so nothing shows it healthy there; run \
         its checks with `slipway verify --env dev`\n  [approvals] `test` needs 1 approval from qa, by people other \
         than the one running this and the release's author (ci-bot); none counted\n"
    );
    let verified = slipway(&[], &["verify", "--env", "dev", "--assume-role", &dev_role]);
    ok(&verified);
    assert_eq!(verified.stdout, "verified: dev runs release r1, and every smoke check passed\n");
    assert_eq!(api.requests(), ["GET /health HTTP/1.1"], "verify ran the check against what dev runs");
    let dry = slipway(&[], &["promote", "--release", "r1", "--to", "test", "--dry-run"]);
    assert_eq!(dry.status, 1, "{}", dry.stderr);
    assert_eq!(
        dry.stdout,
        "refused: promote release r1 from dev to test (no approvals counted):\n  [approvals] `test` needs 1 approval \
         from qa, by people other than the one running this and the release's author (ci-bot); none counted\n"
    );

    // In GitHub Actions, the run's reviewers are the approvals: amara approved `test`; a rejection, and
    // an approval of another environment, do not count.
    let run_path = "/repos/slipway-examples/webapp/actions/runs/4242/approvals";
    github.answer(
        run_path,
        200,
        json!([
            review("jonas", "rejected", &["test"]),
            review("amara", "approved", &["test"]),
            review("priya", "approved", &["staging"])
        ]),
    );
    let actions = [
        ("GITHUB_API_URL", github.url.as_str()),
        ("GITHUB_TOKEN", "t0ken"),
        ("GITHUB_REPOSITORY", "slipway-examples/webapp"),
        ("GITHUB_RUN_ID", "4242"),
    ];
    let from_github = ["promote", "--release", "r1", "--to", "test", "--approvals", "github"];
    let dry = slipway(&actions, &with(&from_github, &["--dry-run"]));
    ok(&dry);
    assert_eq!(dry.stdout, "allowed: promote release r1 from dev to test (approvals counted: amara)\n");
    let (line, headers) = github.requests().remove(0);
    assert_eq!(line, format!("GET {run_path} HTTP/1.1"));
    assert_eq!(headers["authorization"], "Bearer t0ken");
    assert_eq!(headers["accept"], "application/vnd.github+json");
    assert!(running_in(&moto, "test", "webapp-test-app").is_none(), "a dry run changes nothing");

    // The same, for real, into test's own account by assuming its role.
    let test_role = role("test");
    let promoted = slipway(&actions, &with(&from_github, &with(&["--assume-role", &test_role], &apply)));
    ok(&promoted);
    assert_eq!(promoted.stdout.lines().last(), Some("deployed: test is on release r1"));
    assert_eq!(running_in(&moto, "test", "webapp-test-app").as_deref(), Some("r1"));
    let history =
        serde_json::from_str::<Vec<Value>>(&slipway(&[], &["history", "--env", "test", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(history[0]["kind"], "promote");
    assert_eq!(history[0]["from"], "dev");
    assert_eq!(history[0]["approvals"], json!([{ "by": "amara", "source": "github run 4242" }]));

    // GitHub's failures are named, and nothing is changed.
    let no_run = slipway(&actions[..3], &with(&from_github, &["--dry-run"]));
    assert_eq!(no_run.status, 1, "{}", no_run.stderr);
    assert!(
        no_run.stderr.contains("--approvals github needs GITHUB_RUN_ID, which GitHub Actions sets in every run"),
        "{}",
        no_run.stderr
    );
    github.answer(run_path, 403, json!({"message": "Resource not accessible by integration"}));
    let forbidden = slipway(&actions, &with(&from_github, &["--dry-run"]));
    assert_eq!(forbidden.status, 3, "{}", forbidden.stderr);
    assert!(
        forbidden.stderr.contains(&format!(
            "GET {}{run_path}: GitHub answered 403: Resource not accessible by integration",
            github.url
        )),
        "{}",
        forbidden.stderr
    );
    assert!(forbidden.stderr.contains("actions: read"), "{}", forbidden.stderr);

    // r2 reaches dev; a rollback takes dev back to r1, records why, and holds it.
    let deploy_r2 = with(&["deploy", "--env", "dev", "--release", "r2", "--assume-role", &dev_role], &apply);
    ok(&slipway(&[], &deploy_r2));
    assert_eq!(running_in(&moto, "dev", "webapp-dev-app").as_deref(), Some("r2"));
    let back = slipway(
        &[],
        &with(&["rollback", "--env", "dev", "--reason", "r2 breaks logins", "--assume-role", &dev_role], &apply),
    );
    ok(&back);
    assert_eq!(back.stdout.lines().last(), Some("deployed: dev is on release r1"));
    assert!(
        back.stderr.contains(
            "note: dev is held on release r1: automatic deploys are refused until `slipway unhold --env dev`, or a \
             promotion names a release"
        ),
        "{}",
        back.stderr
    );
    assert_eq!(running_in(&moto, "dev", "webapp-dev-app").as_deref(), Some("r1"));
    // The next push to main is refused, naming the rollback; unhold lets it through.
    let held = slipway(&[], &deploy_r2);
    assert_eq!(held.status, 1, "{}", held.stderr);
    assert!(held.stderr.contains("[hold] `dev` is held since ci-bot rolled it back to r1 at "), "{}", held.stderr);
    assert!(held.stderr.contains(" (r2 breaks logins), so its automatic deploys are refused"), "{}", held.stderr);
    let unhold = slipway(&[], &["unhold", "--env", "dev"]);
    ok(&unhold);
    assert_eq!(unhold.stdout, "lifted the hold on dev\n");
    ok(&slipway(&[], &deploy_r2));
    assert_eq!(running_in(&moto, "dev", "webapp-dev-app").as_deref(), Some("r2"));

    let history =
        serde_json::from_str::<Vec<Value>>(&slipway(&[], &["history", "--env", "dev", "--format", "json"]).stdout)
            .unwrap();
    let what: Vec<String> = history
        .iter()
        .rev()
        .map(|r| {
            let release = r["release"].as_str().map(|x| format!(" {x}")).unwrap_or_default();
            format!("{}{release} {}", r["kind"].as_str().unwrap(), r["phase"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        what,
        [
            "deploy r1 started",
            "deploy r1 finished",
            "verify r1 done",
            "deploy r2 started",
            "deploy r2 finished",
            "rollback r1 started",
            "rollback r1 finished",
            "unhold done",
            "deploy r2 started",
            "deploy r2 finished",
        ]
    );
    let rollback = history.iter().find(|r| r["kind"] == "rollback").unwrap();
    assert_eq!(rollback["reason"], "r2 breaks logins");
}
