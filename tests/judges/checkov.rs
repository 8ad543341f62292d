//! checkov, a security judge of CloudFormation templates, fails no check on any template slipway
//! synthesizes; where a resource skips a check, its metadata says why.
//!
//! checkov runs from its own virtualenv (`target/py-checkov`, pinned in tests/checkov-requirements.txt),
//! offline: `--skip-download` keeps it from asking Prisma Cloud for guidelines, and
//! `CKV_SKIP_PACKAGE_UPDATE_CHECK` from asking PyPI for a newer version.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use slipway::cfn::resources::{CustomDomain, StaticSiteDistribution};
use slipway::cfn::{Expr, Resource, Template};

use crate::support::{python_tool_in, tempdir};

/// checkov's JSON report of the CloudFormation templates below `dir`, restricted to `checks` when given.
fn checkov(dir: &Path, checks: Option<&str>) -> Value {
    let bin = python_tool_in("SLIPWAY_CHECKOV", "target/py-checkov", "tests/checkov-requirements.txt", "checkov");
    let mut cmd = Command::new(&bin);
    cmd.arg("--directory")
        .arg(dir)
        .args(["--framework", "cloudformation", "--output", "json", "--skip-download"])
        .current_dir(dir)
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true");
    if let Some(checks) = checks {
        cmd.args(["--check", checks]);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("could not run {}: {e}", bin.display()));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov did not print a JSON report ({e}), exit {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(report["check_type"], "cloudformation", "one framework, one report: {report:#}");
    // checkov exits 1 when a check failed and 0 otherwise; anything else means it broke.
    let failed = report["summary"]["failed"].as_u64().unwrap();
    assert_eq!(out.status.code(), Some(i32::from(failed > 0)), "{}", String::from_utf8_lossy(&out.stderr));
    report
}

fn checks<'a>(report: &'a Value, kind: &str) -> &'a [Value] {
    report["results"][kind].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// `CKV_AWS_18 AWS::S3::Bucket.LogBucket in /dev/cloudformation/logging.template.json: <name>`, one a line.
fn describe(list: &[Value]) -> String {
    list.iter()
        .map(|c| {
            format!(
                "{} {} in {}: {}\n",
                c["check_id"].as_str().unwrap_or("?"),
                c["resource"].as_str().unwrap_or("?"),
                c["file_path"].as_str().unwrap_or("?"),
                c["check_name"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[test]
fn checkov_fails_no_check_on_any_synthesized_template() {
    // A feature demo has no AWS target, so it adds no template; it is synthesized to keep it that way.
    let project = webapp::project().with_demo("checkov-demo").unwrap();
    let set = crate::support::synth(&project, &[]).expect("the reference definitions synthesize");
    let dir = tempdir();
    let out = dir.path().join("out");
    slipway::synth::write(&set, &out).unwrap();
    let mut files: Vec<(String, Vec<u8>)> =
        set.files().into_iter().filter(|(p, _)| p.ends_with(".template.json")).collect();
    assert_eq!(files.len(), 24, "four environments with six stacks each");
    // And the bootstrap stack `slipway bootstrap` deploys into each account and region.
    let (path, bootstrap) = crate::support::bootstrap_template(&project);
    std::fs::create_dir_all(out.join("bootstrap")).unwrap();
    std::fs::write(out.join(&path), &bootstrap).unwrap();
    files.push((path, bootstrap));
    let templates: BTreeSet<String> = files.iter().map(|(p, _)| format!("/{p}")).collect();

    let report = checkov(&out, None);
    let summary = &report["summary"];
    assert_eq!(summary["parsing_errors"], 0, "checkov could not read some templates: {summary}");
    let failed = checks(&report, "failed_checks");
    assert!(
        failed.is_empty(),
        "checkov failed {} checks; fix each in the stacks, or skip it in the resource's metadata with a \
         reason a security reviewer would accept (Resource::skip_check):\n{}",
        failed.len(),
        describe(failed)
    );

    // Every template was judged.
    let judged: BTreeSet<String> = ["passed_checks", "skipped_checks"]
        .iter()
        .flat_map(|kind| checks(&report, kind))
        .map(|c| c["file_path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(judged, templates, "checkov judged other files than the synthesized templates");

    // Every skip says why, as checkov read it...
    let skipped = checks(&report, "skipped_checks");
    for c in skipped {
        let comment = c["check_result"]["suppress_comment"].as_str().unwrap_or("");
        assert!(
            !comment.trim().is_empty() && comment != "No comment provided",
            "a skip without a reason: {}",
            describe(std::slice::from_ref(c))
        );
    }
    // ...and as the templates write it: no skip of a check checkov does not run goes unread.
    let mut written = 0;
    for (path, bytes) in &files {
        let t: Value = serde_json::from_slice(bytes).unwrap();
        for (id, r) in t["Resources"].as_object().unwrap() {
            for skip in r["Metadata"]["checkov"]["skip"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let (check, comment) = (skip["id"].as_str().unwrap_or(""), skip["comment"].as_str().unwrap_or(""));
                assert!(check.starts_with("CKV"), "{path}: {id} skips {skip}");
                assert!(!comment.trim().is_empty(), "{path}: {id} skips {check} without a reason");
                written += 1;
            }
        }
    }
    assert_eq!(skipped.len(), written, "checkov read every skip the templates write:\n{}", describe(skipped));
    println!(
        "checkov: Passed checks: {}, Failed checks: {}, Skipped checks: {}",
        summary["passed"], summary["failed"], summary["skipped"]
    );
}

#[test]
fn checkov_is_a_judge_that_can_fail() {
    // The same command on a bucket with no access logging must fail CKV_AWS_18, or the test above proves
    // nothing; and a skip reaches checkov only in the form `Resource::skip_check` writes.
    let dir = tempdir();
    let mut t = Template::new("a bucket without access logs");
    t.resource("Bare", Resource::new("AWS::S3::Bucket"));
    t.resource("Skipped", Resource::new("AWS::S3::Bucket").skip_check("CKV_AWS_18", "a reason"));
    std::fs::write(dir.path().join("bad.template.json"), t.to_json()).unwrap();
    let report = checkov(dir.path(), Some("CKV_AWS_18"));
    let ids = |kind| checks(&report, kind).iter().map(|c| c["resource"].as_str().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids("failed_checks"), ["AWS::S3::Bucket.Bare"]);
    assert_eq!(ids("skipped_checks"), ["AWS::S3::Bucket.Skipped"]);
}

#[test]
fn a_custom_domain_requires_tls_1_2_and_needs_no_skip() {
    let distribution = |domain| -> Resource {
        StaticSiteDistribution {
            comment: Expr::str("site"),
            bucket_id: "Site".into(),
            oac_id: "Access".into(),
            web_acl_arn: Expr::str("arn:aws:wafv2:us-east-1:111111111111:global/webacl/site/0"),
            log_bucket_domain: Expr::str("logs.s3.amazonaws.com"),
            log_name: "site".into(),
            domain,
        }
        .into()
    };
    let domain = CustomDomain {
        aliases: vec!["www.webapp.example".into()],
        certificate_arn: Expr::str("arn:aws:acm:us-east-1:111111111111:certificate/0"),
    };
    let mut t = Template::new("two distributions");
    t.resource("OwnDomain", distribution(Some(domain)));
    t.resource("DefaultDomain", distribution(None));
    assert!(t.resources["OwnDomain"].metadata.is_empty(), "no skip where TLS 1.2 is required");
    let dir = tempdir();
    std::fs::write(dir.path().join("site.template.json"), t.to_json()).unwrap();
    let report = checkov(dir.path(), Some("CKV_AWS_174"));
    let ids = |kind| checks(&report, kind).iter().map(|c| c["resource"].as_str().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids("passed_checks"), ["AWS::CloudFront::Distribution.OwnDomain"]);
    assert_eq!(ids("skipped_checks"), ["AWS::CloudFront::Distribution.DefaultDomain"]);
    assert_eq!(ids("failed_checks"), Vec::<&str>::new());
}
