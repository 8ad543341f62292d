//! `slipway diff` as a user runs it: against an earlier synth directory, exit codes, formats.

use serde_json::{Value, json};
use slipway::diff::{Change, SecurityItem, diff_templates};

use crate::support::{slipway, snapshots, tempdir};

use super::templates::{short_form_yaml, template};

/// Synthesizes into `<dir>/old`, then lets `edit` change one of its templates (as an earlier revision
/// would have differed), keeping the manifest as synth wrote it.
fn earlier_synth(dir: &std::path::Path, edit: impl FnOnce(&mut Value)) {
    let run = slipway(dir, &["synth", "--out", "old"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let path = dir.join("old/dev/cloudformation/app.template.json");
    let mut t: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut t);
    std::fs::write(&path, serde_json::to_vec_pretty(&t).unwrap()).unwrap();
}

#[test]
fn diff_against_an_unchanged_synth_directory_exits_0() {
    let dir = tempdir();
    earlier_synth(dir.path(), |_| {});
    let run = slipway(dir.path(), &["diff", "--against", "old", "--exit-code"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let mut names: Vec<String> = webapp::project().environments.iter().map(|e| e.name.clone()).collect();
    // The workflows and GitHub environments are compared too, as the project's.
    names.push(slipway::diff::artifacts::PROJECT.to_string());
    assert_eq!(run.stdout, format!("no differences ({})\n", names.join(", ")));
}

#[test]
fn diff_shows_a_replacement_and_exits_2() {
    let dir = tempdir();
    earlier_synth(dir.path(), |t| {
        t["Resources"]["FrontendBucket"]["Properties"]["BucketName"] = json!("webapp-dev-frontend-old");
    });
    let run = slipway(dir.path(), &["diff", "--against", "old", "--env", "dev", "--exit-code"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    snapshots(|| insta::assert_snapshot!("cli_diff_replacement", run.transcript(dir.path())));

    let json = slipway(dir.path(), &["diff", "--against", "old", "--env", "dev", "--format", "json"]);
    assert_eq!(json.status, 0, "without --exit-code a difference is success: {}", json.stderr);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let resources = &v["environments"][0]["stacks"][0]["resources"];
    assert!(
        resources.as_array().unwrap().iter().any(|r| r["logical_id"] == "FrontendBucket" && r["impact"] == "replace"),
        "{resources}"
    );
}

#[test]
fn diff_as_markdown_for_a_pull_request() {
    let dir = tempdir();
    earlier_synth(dir.path(), |t| {
        let role = &mut t["Resources"]["BackendRole"]["Properties"];
        role["Path"] = json!("/old/");
        role["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"] = json!(["s3:GetObject"]);
    });
    let run = slipway(dir.path(), &["diff", "--against", "old", "--env", "dev", "--format", "markdown"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    snapshots(|| insta::assert_snapshot!("cli_diff_markdown", run.transcript(dir.path())));
}

#[test]
fn other_files_get_a_unified_diff() {
    let dir = tempdir();
    earlier_synth(dir.path(), |_| {});
    // An earlier revision whose cloud.gov manifest for dev named its apps differently.
    let manifest_yml = "applications:\n- name: webapp-dev-backend\n  instances: 1\n  memory: 256M\n";
    std::fs::create_dir_all(dir.path().join("old/dev/cloudgov")).unwrap();
    std::fs::write(dir.path().join("old/dev/cloudgov/manifest.yml"), manifest_yml).unwrap();
    let manifest_path = dir.path().join("old/manifest.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["files"].as_array_mut().unwrap().push(json!({
        "path": "dev/cloudgov/manifest.yml", "bytes": manifest_yml.len(),
        "sha256": "2ddb1c2d8b3b0b6cc3c1e0e1a0b7f4c7a4d8f8d6e4bcd4e4f1b2b7d1f2c3e4a5"
    }));
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let run = slipway(dir.path(), &["diff", "--against", "old", "--env", "dev", "--exit-code"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("[~] file dev/cloudgov/manifest.yml (modified)"), "{}", run.stdout);
    assert!(run.stdout.contains("app `webapp-backend-dev`: added"), "{}", run.stdout);
    assert!(run.stdout.contains("app `webapp-dev-backend`: removed"), "{}", run.stdout);
    assert!(run.stdout.contains("--- a/dev/cloudgov/manifest.yml"), "{}", run.stdout);
    assert!(run.stdout.contains("-  instances: 1"), "{}", run.stdout);
    assert!(run.stderr.contains("changed after `slipway synth` wrote it"), "{}", run.stderr);
}

#[test]
fn diff_errors_exit_1_with_exit_code_and_say_what_to_do() {
    let dir = tempdir();
    let run = slipway(dir.path(), &["diff", "--against", "missing", "--exit-code"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("error: `missing` is not a directory"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: run `slipway synth --out missing`"), "{}", run.stderr);

    std::fs::create_dir(dir.path().join("foreign")).unwrap();
    let run = slipway(dir.path(), &["diff", "--against", "foreign", "--exit-code"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("is not a `slipway synth` output directory"), "{}", run.stderr);

    earlier_synth(dir.path(), |_| {});
    std::fs::write(dir.path().join("old/dev/cloudformation/app.template.json"), "{ not json").unwrap();
    let run = slipway(dir.path(), &["diff", "--against", "old", "--exit-code"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`dev/cloudformation/app.template.json` (old) is neither JSON nor YAML"),
        "{}",
        run.stderr
    );

    let run = slipway(dir.path(), &["diff", "--against", "old", "--env", "stagign"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("did you mean `staging`?"), "{}", run.stderr);
}

/// Colour on a terminal, and never with NO_COLOR: the real binary under a pseudo-terminal (`script`).
#[test]
fn text_is_coloured_on_a_terminal_unless_no_color_is_set() {
    let script = std::path::Path::new("/usr/bin/script");
    assert!(
        script.is_file(),
        "`script` (util-linux) is needed to run slipway under a terminal: apt-get install util-linux"
    );
    let dir = tempdir();
    earlier_synth(dir.path(), |t| {
        t["Resources"]["FrontendBucket"]["Properties"]["BucketName"] = json!("old");
    });
    let run = |no_color: bool| {
        let command = format!("{} diff --against old --env dev", env!("CARGO_BIN_EXE_slipway"));
        let mut c = std::process::Command::new(script);
        c.args(["-qec", &command, "/dev/null"])
            .current_dir(dir.path())
            .env("SLIPWAY_APP", crate::support::webapp_program())
            .env_remove("NO_COLOR");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tty = run(false);
    assert!(tty.contains("\x1b[1;31mreplace\x1b[0m"), "{tty:?}");
    let no_color = run(true);
    assert!(no_color.contains("replace") && !no_color.contains("\x1b["), "{no_color:?}");
}

#[test]
fn attaching_a_policy_to_another_role_and_lambda_permissions_are_security_changes() {
    let policy = |roles: Value| {
        template(json!({
            "P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Roles": roles,
                  "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}},
            "Invoke": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunction",
                  "FunctionName": {"Ref": "Fn"}, "Principal": "apigateway.amazonaws.com",
                  "SourceArn": {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"}}}
        }))
    };
    let d = diff_templates(&policy(json!([{"Ref": "A"}])), &policy(json!([{"Ref": "A"}, {"Ref": "B"}])));
    assert_eq!(d.security.len(), 1, "{:#?}", d.security);
    let s = &d.security[0];
    assert!(matches!(&s.item, SecurityItem::Attachment { kind: "Roles", to } if *to == json!({"Ref": "B"})));
    assert!(s.broadens);
    assert_eq!(slipway::diff::security::describe(&s.item), r#"policy attached to role {"Ref":"B"}"#);

    let mut open = policy(json!([]));
    open["Resources"]["Invoke"]["Properties"]["Principal"] = json!("*");
    open["Resources"]["Invoke"]["Properties"].as_object_mut().unwrap().remove("SourceArn");
    let d = diff_templates(&policy(json!([])), &open);
    let added = d.security.iter().find(|s| s.change == Change::Added && s.logical_id == "Invoke").unwrap();
    assert!(added.reasons.iter().any(|r| r.contains("any principal")), "{:?}", added.reasons);
}

#[test]
fn templates_named_template_yaml_are_matched_by_stack() {
    let dir = tempdir();
    earlier_synth(dir.path(), |_| {});
    // The app template converted to YAML, renamed `.template.yaml`, and the manifest saying so.
    let old = dir.path().join("old");
    let json_path = old.join("dev/cloudformation/app.template.json");
    let template: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let rename = |yaml: String| {
        std::fs::write(old.join("dev/cloudformation/app.template.yaml"), &yaml).unwrap();
        let manifest_path = old.join("manifest.json");
        let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
        for entry in manifest["files"].as_array_mut().unwrap() {
            if entry["path"] == "dev/cloudformation/app.template.json" {
                entry["path"] = "dev/cloudformation/app.template.yaml".into();
                entry["bytes"] = yaml.len().into();
                entry["sha256"] = sha256_hex(yaml.as_bytes()).into();
            }
        }
        std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    };
    std::fs::remove_file(&json_path).unwrap();
    rename(short_form_yaml(&template));
    let run = slipway(dir.path(), &["diff", "--against", "old", "--env", "dev", "--exit-code"]);
    assert_eq!(run.status, 0, "the same template in YAML is no difference: {}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "no differences (dev)\n");

    // A real difference in the YAML shows as that stack modified, never as destroyed and created.
    let mut changed = template.clone();
    changed["Description"] = "an older description".into();
    rename(short_form_yaml(&changed));
    let run = slipway(dir.path(), &["diff", "--against", "old", "--env", "dev", "--exit-code", "--format", "json"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    let stacks = diff["environments"][0]["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 1, "{stacks:#?}");
    assert_eq!((stacks[0]["name"].as_str(), stacks[0]["change"].as_str()), (Some("app"), Some("modified")));
}

fn sha256_hex(bytes: &[u8]) -> String {
    slipway::synth::sha256_hex(bytes)
}
