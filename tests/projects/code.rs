//! The serverless team's code travels with its releases (`tests/projects/orders`, whose function's code is
//! the directory asset `code/`): a fresh account is refused until it is bootstrapped; then a deploy
//! publishes the code where the template points, with no upload of the team's own; a release with the same
//! code publishes nothing and shares the stored asset; one that changes the code changes only the
//! function; a rollback brings the earlier code back; and `gc` removes exactly what no record uses.

use std::path::Path;

use serde_json::Value;

use super::{engine, ok};
use crate::moto::{Function, Moto};
use crate::support::tempdir;

const DEV: &str = "200000000001";

/// The stored assets a release lists (`releases/ID/assets.json` in the store): (name, key).
fn assets_of(moto: &Moto, release: &str) -> Vec<(String, String)> {
    let path = moto.store.path().join(format!("releases/{release}/assets.json"));
    let listed: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    listed.iter().map(|a| (a["name"].as_str().unwrap().into(), a["key"].as_str().unwrap().into())).collect()
}

/// The keys below the store's `assets/`.
fn stored(moto: &Moto) -> Vec<String> {
    let dir = moto.store.path().join("assets");
    let mut keys: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| format!("assets/{}", e.unwrap().file_name().to_string_lossy())).collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The orders function of dev, as moto holds it.
fn handler(moto: &Moto) -> Function {
    let found: Vec<Function> =
        moto.functions().into_iter().filter(|f| f.account == DEV && f.name.contains("Handler")).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

/// Lambda's `CodeSha256` of `bytes`: their SHA-256, base64 (worked out by Python, not by slipway).
fn code_sha256(bytes: &[u8]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes)?;
            child.wait_with_output()
        })
        .expect("python3 runs");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn edit_code(dir: &Path, line: &str) {
    let file = dir.join("code/orders.py");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(line);
    std::fs::write(file, text).unwrap();
}

#[test]
fn the_code_is_published_with_each_release_shared_rolled_back_and_collected() {
    let moto = Moto::start_accounts();
    let dir = tempdir();
    super::serverless::checkout(dir.path());
    let run = |args: &[&str]| engine("orders", dir.path(), Some(&moto), &[], args);
    let deploy = |release: &str| {
        let args = ["deploy", "--env", "dev", "--release", release, "--yes", "--progress", "events", "--poll-ms", "20"];
        run(&args)
    };

    // A fresh account has no bootstrap bucket to publish to: refused, naming the command that fixes it.
    let refused = deploy("r1");
    assert_ne!(refused.status, 0, "{}", refused.stdout);
    assert!(refused.stderr.contains("slipway bootstrap --env dev"), "{}", refused.stderr);
    assert!(moto.functions().is_empty());

    super::serverless::bootstrap(dir.path(), &moto, "dev");
    let first = deploy("r1");
    ok(&first);
    assert!(
        first.stderr.contains("assets: 1 published to s3://slipway-assets-200000000001-us-east-1, 0 there"),
        "{}",
        first.stderr
    );
    let [(name, key)] = &assets_of(&moto, "r1")[..] else { panic!("{:?}", assets_of(&moto, "r1")) };
    assert_eq!(name, "handler");
    let zip = std::fs::read(moto.store.path().join(key)).unwrap();
    let f = handler(&moto);
    assert_eq!((f.bucket.as_str(), f.key.as_str()), ("slipway-assets-200000000001-us-east-1", key.as_str()));
    assert_eq!(f.code_sha256, code_sha256(&zip), "the function runs the released code");

    // The same code again: one stored asset, nothing published.
    let same = deploy("r2");
    ok(&same);
    assert!(
        same.stderr.contains("assets: 0 published to s3://slipway-assets-200000000001-us-east-1, 1 there"),
        "{}",
        same.stderr
    );
    assert_eq!(assets_of(&moto, "r2"), assets_of(&moto, "r1"));
    assert_eq!(stored(&moto), std::slice::from_ref(key));

    // New code: a new asset, and of the stack only the function changes.
    edit_code(dir.path(), "\n# takes orders in batches\n");
    let changed = deploy("r3");
    ok(&changed);
    let [(_, new_key)] = &assets_of(&moto, "r3")[..] else { panic!() };
    assert_ne!(new_key, key);
    let changes: Vec<&str> = changed.stdout.lines().filter(|l| l.starts_with("api: ") && l.contains("AWS::")).collect();
    assert!(changes.iter().all(|l| l.contains("Handler")), "only the function changes:\n{}", changed.stdout);
    assert_eq!(handler(&moto).key, *new_key);
    assert_eq!(handler(&moto).code_sha256, code_sha256(&std::fs::read(moto.store.path().join(new_key)).unwrap()));

    // A rollback brings r1's code back.
    ok(&run(&[
        "rollback",
        "--env",
        "dev",
        "--to",
        "r1",
        "--reason",
        "the batch code is wrong",
        "--yes",
        "--progress",
        "events",
        "--poll-ms",
        "20",
    ]));
    assert_eq!(handler(&moto).key, *key);
    assert_eq!(handler(&moto).code_sha256, code_sha256(&zip));

    // Releases no record names: r4 (r3's code) and r5 (new code). gc lists exactly them and r5's code.
    ok(&run(&["release", "create", "--id", "r4", "--commit", "c4"]));
    edit_code(dir.path(), "\n# and refunds\n");
    ok(&run(&["release", "create", "--id", "r5", "--commit", "c5"]));
    let [(_, r5_key)] = &assets_of(&moto, "r5")[..] else { panic!() };
    let dry = run(&["gc", "--older-than", "0s", "--dry-run"]);
    ok(&dry);
    let listed: Vec<&str> = dry.stdout.lines().filter(|l| l.starts_with("would remove")).collect();
    assert_eq!(listed.len(), 3, "{}", dry.stdout);
    assert!(listed[0].starts_with("would remove release r4 "), "{}", dry.stdout);
    assert!(listed[1].starts_with("would remove release r5 "), "{}", dry.stdout);
    assert_eq!(listed[2], format!("would remove {r5_key} (no release left lists it)"));
    assert_eq!(stored(&moto).len(), 3, "a dry run removes nothing");
    ok(&run(&["gc", "--older-than", "0s"]));
    assert_eq!(stored(&moto), {
        let mut kept = vec![key.clone(), new_key.clone()];
        kept.sort();
        kept
    });
    assert!(!moto.store.path().join("releases/r4").exists() && !moto.store.path().join("releases/r5").exists());
    // What the ledger names stays deployable: a rollback to r3 publishes nothing and runs r3's code.
    let back = run(&[
        "rollback",
        "--env",
        "dev",
        "--to",
        "r3",
        "--reason",
        "batches are fine after all",
        "--yes",
        "--progress",
        "events",
        "--poll-ms",
        "20",
    ]);
    ok(&back);
    assert_eq!(handler(&moto).key, *new_key);
}
