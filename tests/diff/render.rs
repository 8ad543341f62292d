//! `slipway diff`: the renderers (JSON's documented shape, text colour, Markdown's order and folding).

use serde_json::{Value, json};
use slipway::diff::{Diff, diff_templates, render};

use super::templates::{one_stack, template};

fn sample() -> Diff {
    let old = template(json!({
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "old"}},
        "Gone": {"Type": "AWS::Logs::LogGroup"}
    }));
    let new = template(json!({
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "new"}},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"},
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}}}
    }));
    one_stack(diff_templates(&old, &new))
}

pub(crate) fn rendered(diff: &Diff, format: render::Format, color: bool) -> String {
    let mut out = Vec::new();
    render::render(diff, format, color, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn json_has_the_documented_shape() {
    let v: Value = serde_json::from_str(&rendered(&sample(), render::Format::Json, false)).unwrap();
    assert_eq!(v["format"], 1);
    assert_eq!(v["differences"], true);
    assert_eq!(v["worst_impact"], "destroy");
    let stack = &v["environments"][0]["stacks"][0];
    assert_eq!(stack["name"], "stack");
    let bucket = stack["resources"].as_array().unwrap().iter().find(|r| r["logical_id"] == "Bucket").unwrap();
    assert_eq!(bucket["type"], "AWS::S3::Bucket");
    assert_eq!(bucket["change"], "modified");
    assert_eq!(bucket["impact"], "replace");
    assert_eq!(
        bucket["properties"][0],
        json!({"path": "Properties/BucketName", "old": "old", "new": "new", "impact": "replace",
               "cause": "create-only", "create_only": "BucketName"})
    );
    let impacts: Vec<&str> =
        stack["resources"].as_array().unwrap().iter().map(|r| r["impact"].as_str().unwrap()).collect();
    assert_eq!(impacts, vec!["replace", "destroy", "create"]);
    let sec = &stack["security"][0];
    assert_eq!(
        (sec["kind"].as_str(), sec["change"].as_str(), sec["broadens"].as_bool()),
        (Some("iam-statement"), Some("added"), Some(true))
    );
    assert_eq!(sec["detail"]["principals"], "*");
}

#[test]
fn text_is_coloured_only_when_asked() {
    let plain = rendered(&sample(), render::Format::Text, false);
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(plain.contains("[~] Bucket AWS::S3::Bucket: replace"), "{plain}");
    assert!(plain.contains("`BucketName` is createOnly"), "{plain}");
    let coloured = rendered(&sample(), render::Format::Text, true);
    assert!(coloured.contains("\x1b[1;31mreplace\x1b[0m"), "{coloured}");
}

#[test]
fn markdown_puts_security_first_and_folds_long_property_diffs() {
    let md = rendered(&sample(), render::Format::Markdown, false);
    let security = md.find("**Security changes**").expect("a security section");
    assert!(security < md.find("**Resources**").unwrap(), "{md}");
    assert!(md.contains("⚠️ yes: on any resource (`*`); to any principal (`*`)"), "{md}");
    assert!(!md.contains("<details>"), "a short property table is not folded: {md}");
    let many: serde_json::Map<String, Value> = (0..8).map(|i| (format!("K{i}"), json!(i))).collect();
    let more: serde_json::Map<String, Value> = (0..8).map(|i| (format!("K{i}"), json!(i + 1))).collect();
    let d = one_stack(diff_templates(
        &template(json!({"T": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": many}}})),
        &template(json!({"T": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": more}}})),
    ));
    let md = rendered(&d, render::Format::Markdown, false);
    assert!(md.contains("<details><summary>Property changes (8)</summary>"), "{md}");
}
