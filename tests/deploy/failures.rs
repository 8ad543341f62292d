//! The reference `dev` environment deployed by the real binary where the endpoint itself refuses a real
//! resource, as AWS does, rather than the fault proxy playing a failure: a Lambda function given more
//! memory than Lambda allows (on create and on update), and a replacement that would change an export
//! another stack imports. Each deploy must end with the whole environment back where it was (exit 4),
//! naming the resource or the stacks and why. The endpoint is moto, patched (tests/moto/server.py) to fail
//! these as AWS does; the templates are the definitions' own, edited in a `synth --out` directory as a team
//! would edit its definitions, and deployed with `--from`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::deploy::reference::{Deployed, deploy_in, exports_in, stacks, stacks_in, start};
use crate::moto::Moto;
use crate::support::tempdir;

/// `slipway synth --out out` in `dir`, then `edit` applied to the template of `dev`'s stack `short`, with the
/// manifest's record of the file brought up to date (as a synth of definitions that say so would write it).
fn synth_edited(dir: &Path, short: &str, edit: impl FnOnce(&mut Value)) {
    let run = crate::support::slipway(dir, &["synth", "--env", "dev", "--out", "out"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let path = format!("dev/cloudformation/{short}.template.json");
    let file = dir.join("out").join(&path);
    let mut template: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    edit(&mut template);
    let bytes = serde_json::to_vec_pretty(&template).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let manifest_path = dir.join("out/manifest.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let entry = manifest["files"].as_array_mut().unwrap().iter_mut().find(|f| f["path"] == path.as_str()).unwrap();
    entry["sha256"] = json!(slipway::synth::sha256_hex(&bytes));
    entry["bytes"] = json!(bytes.len());
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

/// A stack's template, parameters and tags.
type Held = (String, BTreeMap<String, String>, BTreeMap<String, String>);

/// Every stack's template, parameters and tags, which a rollback must give back exactly.
fn held(moto: &Moto) -> BTreeMap<String, Held> {
    let all: BTreeMap<String, Deployed> = stacks_in(moto);
    all.into_iter().map(|(name, s)| (name, (s.template, s.parameters, s.tags))).collect()
}

/// The line of stack `name` in a deploy's summary.
fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}: ");
    stdout
        .lines()
        .find(|l| l.starts_with(&prefix) && !l.contains(": rollback: "))
        .unwrap_or_else(|| panic!("no {name} in {stdout}"))
}

/// The start of the reason CloudFormation gives when Lambda refuses a function's memory (the request's own
/// IDs follow).
const MEMORY_REFUSED: &str = "Backend (AWS::Lambda::Function) {}: Resource handler returned message: \"'MemorySize' \
                              value failed to satisfy constraint: Member must have value less than or equal to 10240 \
                              (Service: Lambda, Status Code: 400, Request ID: ";

fn with_more_memory(template: &mut Value) {
    template["Resources"]["Backend"]["Properties"]["MemorySize"] = json!(20480);
}

#[test]
fn a_function_lambda_refuses_fails_the_first_deploy_and_every_stack_is_deleted_again() {
    let (moto, faults) = start();
    let dir = tempdir();
    synth_edited(dir.path(), "app", with_more_memory);
    let run = deploy_in(dir.path(), &moto, &faults, "r1", &["--from", "out", "--no-smoke"]);
    let log = format!("{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    assert_eq!(run.status, 4, "{log}");
    let refused = MEMORY_REFUSED.replace("{}", "CREATE_FAILED");
    let app = line(&run.stdout, "webapp-dev-app");
    assert!(app.starts_with(&format!("webapp-dev-app: FAILED: {refused}")), "{log}");
    assert!(app.ends_with("; create failed; the empty stack was deleted"), "{app}");
    assert_eq!(line(&run.stdout, "webapp-dev-monitoring"), "webapp-dev-monitoring: not started");
    for stack in stacks().iter().filter(|s| !s.ends_with("-app") && !s.ends_with("-monitoring")) {
        let rollback = format!("{stack}: rollback: deleted: it did not exist before this deploy");
        assert!(run.stdout.lines().any(|l| l == rollback), "{rollback:?} in {log}");
    }
    let last = run.stdout.lines().last().unwrap();
    let cause = format!("rolled back: dev is back where it was before this deploy, because webapp-dev-app: {refused}");
    assert!(last.starts_with(&cause), "{last}");
    assert_eq!(held(&moto), BTreeMap::new(), "no stack is left");
    assert_eq!(exports_in(&moto), BTreeMap::new(), "and no export");
}

#[test]
fn a_function_lambda_refuses_fails_an_update_and_every_stack_returns_to_the_release_it_had() {
    let (moto, faults) = start();
    let first = tempdir();
    synth_edited(first.path(), "app", |_| {});
    let run = deploy_in(first.path(), &moto, &faults, "r1", &["--from", "out", "--no-smoke"]);
    assert_eq!(run.status, 0, "{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    let before = held(&moto);
    let exports = exports_in(&moto);

    let second = tempdir();
    synth_edited(second.path(), "app", with_more_memory);
    let run = deploy_in(second.path(), &moto, &faults, "r2", &["--from", "out", "--no-smoke"]);
    let log = format!("{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    assert_eq!(run.status, 4, "{log}");
    let refused = MEMORY_REFUSED.replace("{}", "UPDATE_FAILED");
    let app = line(&run.stdout, "webapp-dev-app");
    assert!(app.starts_with(&format!("webapp-dev-app: FAILED: {refused}")), "{log}");
    assert!(app.ends_with("; CloudFormation rolled the update back"), "{app}");
    let last = run.stdout.lines().last().unwrap();
    let cause = format!("rolled back: dev is back where it was before this deploy, because webapp-dev-app: {refused}");
    assert!(last.starts_with(&cause), "{last}");
    assert_eq!(held(&moto), before, "every stack has r1's template, parameters and tags again");
    assert_eq!(exports_in(&moto), exports);
    assert!(stacks_in(&moto).values().all(|s| !s.status.contains("FAILED") && !s.status.ends_with("IN_PROGRESS")));
}

/// `slipway diff --against deployed --env dev --format json` against `moto`.
fn diff_deployed(moto: &Moto) -> Value {
    let dir = tempdir();
    let mut cmd = crate::support::engine();
    cmd.args(["diff", "--against", "deployed", "--env", "dev", "--format", "json"]).current_dir(dir.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    for (key, value) in moto.env() {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn replacing_a_resource_whose_export_another_stack_imports_rolls_the_environment_back_naming_both_stacks() {
    let (moto, faults) = start();
    // An earlier revision described the app's security group otherwise; the app stack imports its ID.
    let dir = tempdir();
    synth_edited(dir.path(), "network", |t| {
        t["Resources"]["AppSecurityGroup"]["Properties"]["GroupDescription"] = json!("backend functions, once");
    });
    let run = deploy_in(dir.path(), &moto, &faults, "r1", &["--from", "out", "--no-smoke"]);
    assert_eq!(run.status, 0, "{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    let before = held(&moto);
    let exports = exports_in(&moto);

    // What a reviewer reads first: the definitions' description (createOnly) replaces the group.
    let diff = diff_deployed(&moto);
    let stacks = diff["environments"][0]["stacks"].as_array().unwrap();
    let network = stacks.iter().find(|s| s["name"] == "network").unwrap();
    let group = network["resources"].as_array().unwrap().iter().find(|r| r["logical_id"] == "AppSecurityGroup");
    let group = group.unwrap();
    assert_eq!(group["impact"], "replace", "{group:#}");
    assert_eq!(group["properties"][0]["path"], "Properties/GroupDescription");
    assert_eq!(group["properties"][0]["cause"], "create-only");

    // The deploy of the definitions: the replacement would change an export the app stack imports.
    let run = deploy_in(tempdir().path(), &moto, &faults, "r2", &["--no-smoke"]);
    let log = format!("{}\n{}\n--- moto\n{}", run.stdout, run.stderr, moto.log());
    assert_eq!(run.status, 4, "{log}");
    let cause = "webapp-dev-network (AWS::CloudFormation::Stack) UPDATE_ROLLBACK_IN_PROGRESS: Cannot update export \
                 webapp-dev-network-AppSecurityGroupId as it is in use by webapp-dev-app. Stack webapp-dev-app imports \
                 export webapp-dev-network-AppSecurityGroupId of stack webapp-dev-network, and CloudFormation changes no \
                 export another stack imports: export the new value under a new name beside \
                 webapp-dev-network-AppSecurityGroupId, move webapp-dev-app to the new name, and remove \
                 webapp-dev-network-AppSecurityGroupId in a later deploy (or deploy webapp-dev-app without the import \
                 first, then webapp-dev-network)";
    assert_eq!(
        line(&run.stdout, "webapp-dev-network"),
        format!("webapp-dev-network: FAILED: {cause}; CloudFormation rolled the update back"),
        "{log}"
    );
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        format!("rolled back: dev is back where it was before this deploy, because webapp-dev-network: {cause}")
    );
    assert_eq!(line(&run.stdout, "webapp-dev-app"), "webapp-dev-app: not started");
    assert_eq!(held(&moto), before, "every stack has r1's template, parameters and tags again");
    assert_eq!(exports_in(&moto), exports, "and every export its value");
}
