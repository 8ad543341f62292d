//! Benchmark: `slipway diff` of two 1,000-resource templates (target: the diff under 5 ms in a release
//! build).
//!
//! `cargo bench --bench diff` builds with the release profile and prints the median of many runs, for the
//! diff of parsed templates and for parsing both texts plus the diff (what the command does per stack),
//! once as JSON and once as YAML (read event by event as CloudFormation reads YAML).
//! A plain `main` with no harness, so it builds in seconds and needs no extra crates.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A template of `n` resources shaped like real stacks: buckets, roles with inline policies, functions
/// that read their role's ARN, VPCs with subnets and security groups with rules.
fn template(n: usize, generation: u32) -> Value {
    let mut resources = serde_json::Map::new();
    let mut i = 0;
    while resources.len() < n {
        let changed = generation > 0 && i % 10 == 0;
        resources.insert(
            format!("Bucket{i}"),
            json!({"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {
                "BucketName": if changed && i % 20 == 0 { format!("b-{i}-v{generation}") } else { format!("b-{i}") },
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": [{"Key": "slipway:environment", "Value": "dev"}, {"Key": "n", "Value": i}]}}),
        );
        resources.insert(
            format!("Role{i}"),
            json!({"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"}}]},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                    {"Effect": "Allow", "Action": if changed { json!(["s3:GetObject", "s3:PutObject"]) } else { json!(["s3:GetObject"]) },
                     "Resource": {"Fn::Sub": format!("${{Bucket{i}.Arn}}/*")}}]}}]}}),
        );
        resources.insert(
            format!("Function{i}"),
            json!({"Type": "AWS::Lambda::Function", "Properties": {
                "Role": {"Fn::GetAtt": [format!("Role{i}"), "Arn"]}, "Runtime": "provided.al2023",
                "MemorySize": if changed { 1024 } else { 512 }, "Handler": "bootstrap",
                "Environment": {"Variables": {"BUCKET": {"Ref": format!("Bucket{i}")}}},
                "Code": {"S3Bucket": "artifacts", "S3Key": format!("f{i}.zip")}}}),
        );
        resources.insert(
            format!("Vpc{i}"),
            json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": if changed && i % 30 == 0 { "10.1.0.0/16" } else { "10.0.0.0/16" }}}),
        );
        resources.insert(
            format!("Subnet{i}"),
            json!({"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": format!("Vpc{i}")}, "CidrBlock": "10.0.1.0/24"}}),
        );
        resources.insert(
            format!("Sg{i}"),
            json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "app",
                "VpcId": {"Ref": format!("Vpc{i}")},
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                    "CidrIp": if changed { "0.0.0.0/0" } else { "10.0.0.0/8" }}]}}),
        );
        i += 1;
    }
    // Some resources only one side has.
    if generation > 0 {
        resources.remove("Function7");
        resources.insert("Extra".into(), json!({"Type": "AWS::SNS::Topic"}));
    }
    while resources.len() > n {
        let last = resources.keys().next_back().cloned().expect("non-empty");
        resources.remove(&last);
    }
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources,
           "Outputs": {"B": {"Value": {"Ref": "Bucket0"}}}})
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f(); // warm-up: the resource-type facts are parsed on first use
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    let min = *times.iter().min().expect("runs > 0");
    (median(times), min)
}

fn main() {
    // `cargo test --benches` runs this too (with `--bench`-less args): keep that quick.
    let runs = if std::env::args().any(|a| a == "--bench") { 50 } else { 2 };
    let (old, new) = (template(1000, 0), template(1000, 1));
    assert_eq!(old["Resources"].as_object().map(|m| m.len()), Some(1000));
    assert_eq!(new["Resources"].as_object().map(|m| m.len()), Some(1000));
    let diff = slipway::diff::diff_templates(&old, &new);
    let changed = diff.resources.len();
    assert!(changed > 50 && !diff.security.is_empty(), "the benchmark diff has real changes: {changed}");

    let (med, min) = measure(runs, || {
        black_box(slipway::diff::diff_templates(black_box(&old), black_box(&new)));
    });
    println!(
        "diff of two 1,000-resource templates ({changed} resources differ, {} security changes): median {:.2} ms, min {:.2} ms ({runs} runs)",
        diff.security.len(),
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );

    let (old_text, new_text) =
        (serde_json::to_string_pretty(&old).unwrap(), serde_json::to_string_pretty(&new).unwrap());
    let (med, min) = measure(runs, || {
        let a = slipway::diff::parse_template(black_box(&old_text)).unwrap();
        let b = slipway::diff::parse_template(black_box(&new_text)).unwrap();
        black_box(slipway::diff::diff_templates(&a, &b));
    });
    println!(
        "parse both ({} KB, {} KB) + diff: median {:.2} ms, min {:.2} ms ({runs} runs)",
        old_text.len() / 1024,
        new_text.len() / 1024,
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );

    let (old_yaml, new_yaml) = (serde_yaml_ng::to_string(&old).unwrap(), serde_yaml_ng::to_string(&new).unwrap());
    let from_yaml = slipway::diff::diff_templates(
        &slipway::diff::parse_template(&old_yaml).unwrap(),
        &slipway::diff::parse_template(&new_yaml).unwrap(),
    );
    assert_eq!(from_yaml, diff, "the YAML texts are the same templates");
    let (med, min) = measure(runs, || {
        let a = slipway::diff::parse_template(black_box(&old_yaml)).unwrap();
        let b = slipway::diff::parse_template(black_box(&new_yaml)).unwrap();
        black_box(slipway::diff::diff_templates(&a, &b));
    });
    println!(
        "parse both as YAML ({} KB, {} KB) + diff: median {:.2} ms, min {:.2} ms ({runs} runs)",
        old_yaml.len() / 1024,
        new_yaml.len() / 1024,
        med.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3
    );
}
