//! The second endpoint itself: LocalStack as tests/localstack/server.py patches it must do what
//! CloudFormation documents where localstack-core 4.14.0 does not (tests/README.md lists each difference).
//! Each test drives the shared server through the SDK with a small template of its own, in an account of
//! its own; run with `SLIPWAY_LOCALSTACK_UNPATCH=NAME` (a patch's name in server.py), the server starts
//! without that patch and its test here fails.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::ChangeSetType;
use serde_json::{Value, json};

use crate::localstack::{LocalStack, account};
use crate::moto::block_on;

/// Creates a stack from `template` through a change set, as slipway does, waits for it to settle, and
/// returns its status, outputs and the reasons of its failed resources.
async fn create(client: &Client, stack: &str, template: &Value) -> (String, Vec<(String, String)>, Vec<String>) {
    let created = client
        .create_change_set()
        .stack_name(stack)
        .change_set_name("create")
        .change_set_type(ChangeSetType::Create)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let id = created.id().unwrap().to_string();
    for _ in 0..600 {
        let cs = client.describe_change_set().change_set_name(&id).send().await.unwrap();
        match cs.status().map(|s| s.as_str()) {
            Some("CREATE_COMPLETE") => break,
            Some("FAILED") => panic!("{stack}: change set failed: {}", cs.status_reason().unwrap_or_default()),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    client.execute_change_set().change_set_name(&id).send().await.unwrap();
    loop {
        let out = client.describe_stacks().stack_name(stack).send().await.unwrap();
        let s = &out.stacks()[0];
        let status = s.stack_status().unwrap().as_str().to_string();
        if !status.ends_with("_IN_PROGRESS") {
            let outputs = s
                .outputs()
                .iter()
                .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap_or_default().to_string()))
                .collect();
            let events = client.describe_stack_events().stack_name(stack).send().await.unwrap();
            let failed = events
                .stack_events()
                .iter()
                .filter(|e| e.resource_status().is_some_and(|s| s.as_str().ends_with("_FAILED")))
                .map(|e| format!("{}: {}", e.logical_resource_id().unwrap(), e.resource_status_reason().unwrap_or("")))
                .collect();
            return (status, outputs, failed);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[test]
fn fn_cidr_carves_blocks_out_of_an_attribute_known_only_once_the_vpc_exists() {
    let ls = LocalStack::shared();
    let client = ls.client(&account());
    let template = json!({
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.7.0.0/16"}},
            "Second": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": {"Fn::Select": ["1", {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "4", "8"]}]}}},
        },
        "Outputs": {
            "Second": {"Value": {"Fn::GetAtt": ["Second", "CidrBlock"]}},
            "Literal": {"Value": {"Fn::Join": [" ", {"Fn::Cidr": ["192.168.0.0/24", "3", "5"]}]}},
        }
    });
    let (status, outputs, failed) = block_on(create(&client, "cidr", &template));
    assert_eq!(status, "CREATE_COMPLETE", "{failed:?}\n{}", ls.log());
    assert_eq!(
        outputs.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        [("Literal", "192.168.0.0/27 192.168.0.32/27 192.168.0.64/27"), ("Second", "10.7.1.0/24")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into()
    );
}

/// A function whose code is `backend.zip` in `bucket`.
fn function(bucket: &str) -> Value {
    json!({
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]}}},
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": bucket, "S3Key": "backend.zip"}}},
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Function", "Arn"]}}}
    })
}

#[test]
fn a_function_is_created_without_docker_and_still_refused_when_its_code_is_missing() {
    let ls = LocalStack::shared();
    let account = account();
    let client = ls.client(&account);
    let s3 = ls.s3(&account);
    block_on(async {
        s3.create_bucket().bucket("code").send().await.unwrap();
        let empty_zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        s3.put_object().bucket("code").key("backend.zip").body(empty_zip.into()).send().await.unwrap();
    });

    let (status, outputs, failed) = block_on(create(&client, "function", &function("code")));
    assert_eq!(status, "CREATE_COMPLETE", "{failed:?}\n{}", ls.log());
    assert!(outputs[0].1.starts_with(&format!("arn:aws:lambda:us-east-1:{account}:function:")), "{outputs:?}");

    // Lambda's own check, which the patch keeps: the code must be where the template says.
    let (status, _, failed) = block_on(create(&client, "no-code", &function("nowhere")));
    assert_eq!(status, "ROLLBACK_COMPLETE");
    assert!(failed.iter().any(|f| f.starts_with("Function: ") && f.contains("NoSuchBucket")), "{failed:?}");
}
