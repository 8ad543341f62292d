//! A token is never printed, checked on the `slipway` binary as CI runs it (the team's program of
//! `tests/projects/tdp` as its app): deploys of `experiment` signed in as the service account (`CF_API`,
//! `CF_USERNAME`, `CF_PASSWORD`): one that succeeds, one whose frontend fails staging (the backend is put
//! back), one with a wrong password that the token endpoint refuses; then with a token given directly
//! (`CF_TOKEN`, as `cf oauth-token` prints it), valid and then expired; and `status`, which reads the apps.
//! Every byte of every run's stdout and stderr, and every file the runs wrote to the store (releases,
//! ledger, locks), is searched for every token the server issued and for both passwords.

use serde_json::json;

use super::promote::{Team, ended};
use super::{PASSWORD, slipway};
use crate::support::Run;

#[test]
fn no_run_of_the_binary_prints_or_stores_a_token_or_the_password() {
    let team = Team::new();
    let mut runs: Vec<(&str, Run)> = Vec::new();
    let deploy = |release: &str, cf: &[(&str, &str)]| {
        let args = ["deploy", "--env", "experiment", "--release", release, "--yes", "--progress", "events"];
        slipway(team.dir.path(), cf, &[("GITHUB_ACTOR", "vendor1")], &[&args[..], &["--poll-ms", "20"]].concat())
    };
    let account = team.account();
    let password: Vec<(&str, &str)> = account.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let first = deploy("r1", &password);
    ended(&first, 0);
    runs.push(("a deploy", first));

    team.server
        .script(json!({ "kind": "fail_staging", "app": "tdp-frontend-experiment", "error_id": "NoAppDetectedError" }));
    let failed = deploy("r2", &password);
    ended(&failed, 4);
    assert!(failed.stdout.contains("rollback:"), "the backend was put back:\n{}", failed.stdout);
    runs.push(("a deploy rolled back", failed));

    let wrong_password = format!("{PASSWORD}-wrong");
    let wrong: Vec<(&str, &str)> =
        password.iter().map(|(k, v)| (*k, if *k == "CF_PASSWORD" { wrong_password.as_str() } else { v })).collect();
    let issued = team.server.tokens().len();
    let refused = deploy("r3", &wrong);
    ended(&refused, 3);
    let said = format!("POST {}/uaa/oauth/token: Cloud Foundry answered 401", team.server.url);
    assert!(
        refused.stdout.contains(&said),
        "the run names the token endpoint:\n{}\n{}",
        refused.stdout,
        refused.stderr
    );
    assert!(refused.stdout.contains("nothing was changed"), "{}", refused.stdout);
    assert_eq!(team.server.tokens().len(), issued, "the token endpoint issued nothing for the wrong password");
    runs.push(("a wrong password", refused));

    // A token given directly, as `cf oauth-token` prints it: it deploys, and once expired it is refused.
    let tokens = team.server.tokens();
    let given = format!("bearer {}", tokens.last().unwrap());
    let with_token = [("CF_API", team.server.url.as_str()), ("CF_TOKEN", given.as_str())];
    let by_token = deploy("r3", &with_token);
    ended(&by_token, 0);
    runs.push(("a deploy with CF_TOKEN", by_token));
    team.server.script(json!({ "kind": "expire_tokens" }));
    let expired = deploy("r4", &with_token);
    ended(&expired, 3);
    runs.push(("an expired CF_TOKEN", expired));

    let status = slipway(team.dir.path(), &password, &[], &["status"]);
    ended(&status, 0);
    assert!(status.stdout.contains("experiment"), "{}", status.stdout);
    runs.push(("status", status));

    // Everything the runs wrote: their streams, whole, and every file of the store.
    let mut written: Vec<(String, String)> = Vec::new();
    for (what, run) in &runs {
        written.push((format!("{what}: stdout"), run.stdout.clone()));
        written.push((format!("{what}: stderr"), run.stderr.clone()));
    }
    let store = team.dir.path().join(".slipway");
    for entry in walkdir::WalkDir::new(&store) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            written.push((entry.path().display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    let files = written.len() - 2 * runs.len();
    assert!(files >= 10, "the store holds the releases and the ledger: {files} files");
    let tokens = team.server.tokens();
    assert!(tokens.len() >= 3, "each password run fetched a token: {tokens:?}");
    for secret in tokens.iter().map(String::as_str).chain([PASSWORD, wrong_password.as_str()]) {
        let leaks: Vec<&str> =
            written.iter().filter(|(_, text)| text.contains(secret)).map(|(w, _)| w.as_str()).collect();
        assert!(leaks.is_empty(), "a secret is in {leaks:?}");
    }
    // What was searched is the runs' real output: progress, the apps, the failures.
    let all: String = written.iter().map(|(_, t)| t.as_str()).collect();
    assert!(all.contains("tdp-backend-experiment: deployment"), "progress is shown:\n{all}");
    assert!(all.contains("NoAppDetectedError"), "the staging failure is shown");
}
