//! `slipway diff OLD NEW`: templates slipway did not write, two files or two directories, through the
//! library and through the real binary.

use std::path::Path;

use serde_json::Value;
use slipway::diff::{Change, FilesError, Impact, Subject, diff_paths};

use crate::diff::impacts::{expect, verdicts};
use crate::support::{slipway, snapshots, tempdir};

const NETWORK_YAML: &str = "AWSTemplateFormatVersion: 2010-09-09
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16, EnableDnsSupport: yes}
  Subnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: !Select [0, !GetAZs]
";

/// The same template as the JSON a console export or another tool would write.
const NETWORK_JSON: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24",
               "AvailabilityZone": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]}}},
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true}}
  }
}"#;

const TOPIC_JSON: &str = r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}}"#;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Two directories: `net/vpc.yaml` is YAML on one side and the same template written as JSON on the other;
/// `app/topic.json` only on the old side, `app/queue.template` only on the new; notes and hidden
/// directories that are not templates.
fn two_trees(root: &Path) {
    write(root, "old/net/vpc.yaml", NETWORK_YAML);
    write(root, "new/net/vpc.yaml", NETWORK_JSON);
    write(root, "old/net/changed.yml", NETWORK_YAML);
    write(root, "new/net/changed.yml", &NETWORK_YAML.replace("10.0.0.0/16", "10.1.0.0/16"));
    write(root, "old/app/topic.json", TOPIC_JSON);
    write(root, "new/app/queue.template", "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n");
    write(root, "old/README.md", "not a template\n");
    write(root, "new/.git/config", "[core]\n");
    write(root, "new/.aws-sam/build/template.yaml", "{ not even YAML: [");
}

#[test]
fn two_files_json_and_yaml_are_one_template() {
    let dir = tempdir();
    write(dir.path(), "a.yaml", NETWORK_YAML);
    write(dir.path(), "b.json", NETWORK_JSON);
    let c = diff_paths(&dir.path().join("a.yaml"), &dir.path().join("b.json")).unwrap();
    assert!(c.diff.is_empty(), "{:#?}", c.diff);
    assert_eq!(c.diff.subject, Subject::Templates);
    assert_eq!(c.diff.environments.len(), 1, "one group, compared, even when nothing differs");

    write(dir.path(), "c.yaml", &NETWORK_YAML.replace("EnableDnsSupport: yes", "EnableDnsSupport: no"));
    let c = diff_paths(&dir.path().join("b.json"), &dir.path().join("c.yaml")).unwrap();
    let stack = &c.diff.environments[0].stacks[0];
    assert_eq!((stack.name.as_str(), stack.change), ("b.json → c.yaml", Change::Modified));
    assert_eq!(verdicts(&stack.template), expect(&[("Vpc", Impact::Update)]));
}

#[test]
fn two_directories_match_templates_by_relative_path() {
    let dir = tempdir();
    two_trees(dir.path());
    let c = diff_paths(&dir.path().join("old"), &dir.path().join("new")).unwrap();
    let group = &c.diff.environments[0];
    assert_eq!(group.name, format!("{} → {}", dir.path().join("old").display(), dir.path().join("new").display()));
    let stacks: Vec<(&str, Change)> = group.stacks.iter().map(|s| (s.name.as_str(), s.change)).collect();
    assert_eq!(
        stacks,
        vec![
            ("app/queue.template", Change::Added),
            ("app/topic.json", Change::Removed),
            ("net/changed.yml", Change::Modified)
        ],
        "net/vpc.yaml is the same template in both forms"
    );
    let by_name = |n: &str| &group.stacks.iter().find(|s| s.name == n).unwrap().template;
    assert_eq!(verdicts(by_name("app/queue.template")), expect(&[("Queue", Impact::Create)]));
    assert_eq!(verdicts(by_name("app/topic.json")), expect(&[("Topic", Impact::Destroy)]));
    assert_eq!(verdicts(by_name("net/changed.yml")), expect(&[("Subnet", Impact::Replace), ("Vpc", Impact::Replace)]));
    assert_eq!(c.skipped, vec!["README.md".to_string()], "hidden directories are not listed either");
}

#[test]
fn what_cannot_be_compared_is_an_error_naming_it() {
    let dir = tempdir();
    two_trees(dir.path());
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    write(dir.path(), "new/app/broken.json", "{ \"Resources\": ");
    let e = diff_paths(&old, &new).unwrap_err();
    assert!(matches!(&e, FilesError::Template { path, .. } if path.ends_with("app/broken.json")), "{e}");
    assert!(e.to_string().contains("is neither JSON nor YAML: as JSON"), "{e}");

    std::fs::remove_file(new.join("app/broken.json")).unwrap();
    std::fs::write(new.join("app/binary.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    let e = diff_paths(&old, &new).unwrap_err();
    assert!(e.to_string().ends_with("binary.yaml` is not UTF-8 text, so it is neither JSON nor YAML"), "{e}");

    let e = diff_paths(&old, &dir.path().join("old/app/topic.json")).unwrap_err();
    assert!(matches!(e, FilesError::Mixed { .. }), "{e}");
    let e = diff_paths(&old, &dir.path().join("nowhere")).unwrap_err();
    assert!(e.to_string().ends_with("nowhere` does not exist"), "{e}");
    std::fs::create_dir_all(dir.path().join("empty1")).unwrap();
    std::fs::create_dir_all(dir.path().join("empty2")).unwrap();
    let e = diff_paths(&dir.path().join("empty1"), &dir.path().join("empty2")).unwrap_err();
    assert!(matches!(e, FilesError::NoTemplates { .. }), "{e}");
}

// ---------------------------------------------------------------------------------------------------
// The real binary.

#[test]
fn the_command_compares_two_directories() {
    let dir = tempdir();
    two_trees(dir.path());
    let run = slipway(dir.path(), &["diff", "old", "new", "--exit-code"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    snapshots(|| insta::assert_snapshot!("cli_diff_two_directories", run.transcript(dir.path())));

    let md = slipway(dir.path(), &["diff", "old", "new", "--format", "markdown"]);
    assert_eq!(md.status, 0, "without --exit-code a difference is success: {}", md.stderr);
    assert!(md.stdout.contains("### Templates `old → new`"), "{}", md.stdout);
    assert!(md.stdout.contains("#### Template `net/changed.yml` (modified)"), "{}", md.stdout);

    let json = slipway(dir.path(), &["diff", "old", "new", "--format", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((v["compared"].as_str(), v["differences"].as_bool()), (Some("templates"), Some(true)));
    assert_eq!(v["environments"][0]["name"], "old → new");
    let names: Vec<&str> =
        v["environments"][0]["stacks"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["app/queue.template", "app/topic.json", "net/changed.yml"]);
}

#[test]
fn the_command_compares_two_files_and_exits_0_when_they_are_one_template() {
    let dir = tempdir();
    write(dir.path(), "a.yaml", NETWORK_YAML);
    write(dir.path(), "b.json", NETWORK_JSON);
    let run = slipway(dir.path(), &["diff", "a.yaml", "b.json", "--exit-code"]);
    assert_eq!((run.status, run.stdout.as_str(), run.stderr.as_str()), (0, "no differences (a.yaml → b.json)\n", ""));
}

#[test]
fn the_command_says_what_to_pass() {
    let dir = tempdir();
    two_trees(dir.path());
    let run = slipway(dir.path(), &["diff", "--exit-code"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("error: nothing to compare: give `--against DIR|deployed`, or two templates"),
        "{}",
        run.stderr
    );

    let run = slipway(dir.path(), &["diff", "old"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("<NEW>"), "{}", run.stderr);
    let run = slipway(dir.path(), &["diff", "old", "new", "--against", "old"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = slipway(dir.path(), &["diff", "old", "new", "--env", "dev"]);
    assert_eq!(run.status, 1, "environments are about the definitions, not files: {}", run.stderr);

    write(dir.path(), "new/net/bad.yml", "Resources:\n  A: 1\n  A: 2\n");
    let run = slipway(dir.path(), &["diff", "old", "new", "--exit-code"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: `new/net/bad.yml` is neither JSON nor YAML: as YAML: the key `A` appears twice"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: every file ending in .json, .yaml, .yml or .template"), "{}", run.stderr);
}
