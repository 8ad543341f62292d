//! cfn-lint, the external judge of CloudFormation templates, finds nothing wrong with any template slipway
//! synthesizes: not for this repository's environments, not for a feature demo.

use std::process::Command;

use crate::support::{python_tool, tempdir};

#[test]
fn cfn_lint_passes_every_synthesized_template() {
    let project = webapp::project().with_demo("lint-demo").unwrap();
    let set = crate::support::synth(&project, &[]).expect("the reference definitions synthesize");
    let dir = tempdir();
    slipway::synth::write(&set, &dir.path().join("out")).unwrap();
    let mut templates: Vec<_> = set
        .files()
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with(".template.json"))
        .map(|p| dir.path().join("out").join(p))
        .collect();
    let stacks: usize = set.stacks.values().map(Vec::len).sum();
    assert!(stacks >= 20, "the reference environments have their stacks");
    assert_eq!(templates.len(), stacks, "one template per stack of every environment");
    // And the bootstrap stack `slipway bootstrap` deploys into each account and region.
    let (path, bootstrap) = crate::support::bootstrap_template(&project);
    std::fs::create_dir_all(dir.path().join("out/bootstrap")).unwrap();
    std::fs::write(dir.path().join("out").join(&path), bootstrap).unwrap();
    templates.push(dir.path().join("out").join(path));

    let lint = python_tool("SLIPWAY_CFN_LINT", "cfn-lint");
    let out = Command::new(&lint)
        .arg("--format")
        .arg("parseable")
        .args(&templates)
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", lint.display()));
    let report = String::from_utf8_lossy(&out.stdout);
    // cfn-lint's exit status is a bit mask: 2 errors, 4 warnings, 8 informational findings.
    assert!(
        out.status.success(),
        "cfn-lint found problems (exit {:?}):\n{report}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report, "", "cfn-lint printed findings");
}

#[test]
fn cfn_lint_is_a_judge_that_can_fail() {
    // The same command on a template CloudFormation would refuse must report an error, or the test above
    // proves nothing.
    let dir = tempdir();
    let bad = dir.path().join("bad.template.json");
    std::fs::write(
        &bad,
        r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"B":{"Type":"AWS::S3::Bucket","Properties":{"VersioningConfig":{}}}}}"#,
    )
    .unwrap();
    let out = Command::new(python_tool("SLIPWAY_CFN_LINT", "cfn-lint")).arg(&bad).output().unwrap();
    assert_eq!(out.status.code().map(|c| c & 2), Some(2), "cfn-lint must report an error");
}
