//! The test endpoint itself: moto as tests/moto/server.py patches it must behave as CloudFormation documents
//! where moto 5.2.5 does not (tests/README.md lists each difference). Each test drives the patched server
//! through the SDK with small templates of its own, so a patch that stops working fails here, by name,
//! rather than somewhere inside a deploy. The servers are not bootstrapped (`Moto::start_bare`): these are
//! moto's tests, not slipway's.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{ChangeSetType, Parameter};
use serde_json::{Value, json};

use crate::moto::{Moto, block_on};

/// Creates a change set and returns (its ARN, status, status reason, [(action, logical ID)]).
async fn change_set(
    client: &Client,
    stack: &str,
    kind: ChangeSetType,
    template: &Value,
    params: &[(&str, &str)],
) -> (String, String, String, Vec<(String, String)>) {
    let name = format!("cs-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    let params = params.iter().map(|(k, v)| Parameter::builder().parameter_key(*k).parameter_value(*v).build());
    let created = client
        .create_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .change_set_type(kind)
        .template_body(template.to_string())
        .set_parameters(Some(params.collect()))
        .send()
        .await
        .unwrap();
    let id = created.id().unwrap().to_string();
    let out = client.describe_change_set().change_set_name(&id).stack_name(stack).send().await.unwrap();
    let changes = out
        .changes()
        .iter()
        .filter_map(|c| c.resource_change())
        .map(|r| (r.action().unwrap().as_str().to_string(), r.logical_resource_id().unwrap().to_string()))
        .collect();
    let status = out.status().unwrap().as_str().to_string();
    (id, status, out.status_reason().unwrap_or_default().to_string(), changes)
}

/// Creates a change set and executes it.
async fn apply(client: &Client, stack: &str, kind: ChangeSetType, template: &Value, params: &[(&str, &str)]) {
    let (id, status, reason, _) = change_set(client, stack, kind, template, params).await;
    assert_eq!(status, "CREATE_COMPLETE", "{stack}: {reason}");
    client.execute_change_set().change_set_name(id).stack_name(stack).send().await.unwrap();
}

/// The stack's status, status reason and outputs (key -> value).
async fn stack(client: &Client, name: &str) -> (String, String, Vec<(String, String)>) {
    let out = client.describe_stacks().stack_name(name).send().await.unwrap();
    let s = &out.stacks()[0];
    let outputs = s
        .outputs()
        .iter()
        .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap_or_default().to_string()))
        .collect();
    (s.stack_status().unwrap().as_str().to_string(), s.stack_status_reason().unwrap_or_default().to_string(), outputs)
}

/// The stack's resource events, oldest first: (logical ID, status, reason).
async fn resource_events(client: &Client, name: &str) -> Vec<(String, String, String)> {
    let out = client.describe_stack_events().stack_name(name).send().await.unwrap();
    let mut events: Vec<_> = out
        .stack_events()
        .iter()
        .filter(|e| e.logical_resource_id() != Some(name))
        .map(|e| {
            (
                e.logical_resource_id().unwrap().to_string(),
                e.resource_status().unwrap().as_str().to_string(),
                e.resource_status_reason().unwrap_or_default().to_string(),
            )
        })
        .collect();
    events.reverse();
    events
}

/// The region's exports, by name.
async fn exports(client: &Client) -> BTreeMap<String, String> {
    let out = client.list_exports().send().await.unwrap();
    out.exports().iter().map(|e| (e.name().unwrap().to_string(), e.value().unwrap().to_string())).collect()
}

/// A VPC with a subnet carved by `Fn::Select` of `Fn::Cidr`, routed, with an endpoint; a resource of a type
/// moto does not implement; outputs exported, one the `Name` parameter feeds.
fn network() -> Value {
    json!({
        "Description": "a network",
        "Parameters": {"Name": {"Type": "String"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": {"Fn::Select": [1, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 4, 8]}]}}},
            "Routes": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            "SubnetRoutes": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                "RouteTableId": {"Ref": "Routes"}, "SubnetId": {"Ref": "Subnet"}}},
            "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "VpcEndpointType": "Gateway",
                "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"},
                "RouteTableIds": [{"Ref": "Routes"}]}},
            "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Name": {"Ref": "Name"}, "Scope": "REGIONAL"}},
        },
        "Outputs": {
            "SubnetId": {"Value": {"Ref": "Subnet"}, "Export": {"Name": "net-SubnetId"}},
            "AclArn": {"Value": {"Fn::GetAtt": ["Acl", "Arn"]}, "Export": {"Name": "net-AclArn"}},
            "AclId": {"Value": {"Fn::GetAtt": ["Acl", "Id"]}},
        },
    })
}

#[test]
fn change_sets_work_out_outputs_exports_and_changes_as_cloudformation_does() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    block_on(async {
        apply(&client, "net", ChangeSetType::Create, &network(), &[("Name", "one")]).await;
        let (status, _, outputs) = stack(&client, "net").await;
        assert_eq!(status, "CREATE_COMPLETE", "{}", moto.log());
        let output = |key: &str| outputs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap();
        assert!(output("SubnetId").starts_with("subnet-"), "{outputs:?}");
        assert!(output("AclArn").starts_with("arn:aws:wafv2:us-east-1:111111111111:webacl/net-Acl-"), "{outputs:?}");
        assert_eq!(output("AclId"), format!("{}.Id", output("AclArn").rsplit('/').next().unwrap()));
        assert_eq!(
            exports(&client).await,
            BTreeMap::from([("net-SubnetId".to_string(), output("SubnetId")), ("net-AclArn".into(), output("AclArn"))])
        );
        let resources = client.list_stack_resources().stack_name("net").send().await.unwrap();
        assert_eq!(resources.stack_resource_summaries().len(), 6, "the WebACL has a physical resource too");

        // The same template and parameters: a change set that fails, not a refused call.
        let (id, status, reason, _) =
            change_set(&client, "net", ChangeSetType::Update, &network(), &[("Name", "one")]).await;
        assert_eq!(
            (status.as_str(), reason.as_str()),
            (
                "FAILED",
                "The submitted information didn't contain changes. Submit different information to create a change set."
            )
        );
        let refused = client.execute_change_set().change_set_name(id).stack_name("net").send().await.unwrap_err();
        assert_eq!(refused.as_service_error().and_then(|e| e.meta().code()), Some("InvalidChangeSetStatus"));

        // Only a parameter changes: the resources that use it are listed.
        let (_, status, _, changes) =
            change_set(&client, "net", ChangeSetType::Update, &network(), &[("Name", "two")]).await;
        assert_eq!((status.as_str(), changes), ("CREATE_COMPLETE", vec![("Modify".to_string(), "Acl".to_string())]));

        // Deleting it deletes every resource, in reverse dependency order (the VPC last).
        client.delete_stack().stack_name("net").send().await.unwrap();
        let deleted = client.describe_stacks().stack_name("net").send().await;
        assert!(deleted.is_err(), "the stack is gone: {:?}", resource_events(&client, "net").await);
        assert_eq!(exports(&client).await, BTreeMap::new());
    });
}

#[test]
fn imports_hold_exports_and_failures_end_in_a_rolled_back_stack() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    block_on(async {
        apply(&client, "net", ChangeSetType::Create, &network(), &[("Name", "one")]).await;
        let user = json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": {"Fn::ImportValue": "net-AclArn"}}}}});
        apply(&client, "user", ChangeSetType::Create, &user, &[]).await;
        assert_eq!(stack(&client, "user").await.0, "CREATE_COMPLETE", "{}", moto.log());

        // An imported export holds its stack: not deleted, and not updated to drop the export.
        client.delete_stack().stack_name("net").send().await.unwrap();
        let (status, reason, _) = stack(&client, "net").await;
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("DELETE_FAILED", "Export net-AclArn cannot be deleted as it is in use by user")
        );
        let mut without = network();
        without["Outputs"].as_object_mut().unwrap().remove("AclArn");
        apply(&client, "net", ChangeSetType::Update, &without, &[("Name", "one")]).await;
        let (status, _, outputs) = stack(&client, "net").await;
        assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
        assert_eq!(outputs.len(), 3, "the outputs it had");
        assert_eq!(exports(&client).await.len(), 2);

        // Nor updated to give it another value: the export's value is what the importer holds.
        let held = exports(&client).await;
        let mut other = network();
        other["Outputs"]["AclArn"]["Value"] = json!({"Fn::Sub": "${Acl.Arn}-v2"});
        apply(&client, "net", ChangeSetType::Update, &other, &[("Name", "one")]).await;
        let (status, reason, _) = stack(&client, "net").await;
        assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE", "{}", moto.log());
        assert_eq!(exports(&client).await, held, "the export keeps its value");
        let rolling_back = client.describe_stack_events().stack_name("net").send().await.unwrap();
        let why: Vec<&str> = rolling_back
            .stack_events()
            .iter()
            .filter(|e| e.resource_status().map(|s| s.as_str()) == Some("UPDATE_ROLLBACK_IN_PROGRESS"))
            .filter_map(|e| e.resource_status_reason())
            .collect();
        assert_eq!(why.first(), Some(&"Cannot update export net-AclArn as it is in use by user."), "{reason}");
        // An export nobody imports may change.
        let mut unused = network();
        unused["Outputs"]["SubnetId"]["Value"] = json!({"Fn::Sub": "${Subnet}-v2"});
        apply(&client, "net", ChangeSetType::Update, &unused, &[("Name", "one")]).await;
        assert_eq!(stack(&client, "net").await.0, "UPDATE_COMPLETE");

        // A resource that fails: the call succeeds, the stack rolls back and says which and why.
        let broken = json!({"Resources": {
            "Fine": {"Type": "AWS::SNS::Topic"},
            "Broken": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::ImportValue": "nothing"}}}}});
        apply(&client, "broken", ChangeSetType::Create, &broken, &[]).await;
        assert_eq!(stack(&client, "broken").await.0, "ROLLBACK_COMPLETE");
        assert_eq!(
            resource_events(&client, "broken").await,
            [("Broken".to_string(), "CREATE_FAILED".to_string(), "No export named nothing found.".to_string())]
        );
        let topics = client.list_stack_resources().stack_name("broken").send().await.unwrap();
        assert_eq!(topics.stack_resource_summaries().len(), 0, "what was created is deleted again");

        // The importer first, then the exporter.
        client.delete_stack().stack_name("user").send().await.unwrap();
        client.delete_stack().stack_name("net").send().await.unwrap();
        let left = client.describe_stacks().send().await.unwrap();
        let names: Vec<_> = left.stacks().iter().map(|s| s.stack_name().unwrap()).collect();
        assert_eq!(names, ["broken"]);
        assert_eq!(exports(&client).await, BTreeMap::new());
    });
}

#[test]
fn a_tagged_kms_key_is_created_with_its_tags() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    let template = serde_json::json!({
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "team", "Value": "web"}],
                },
            },
        },
        "Outputs": {"KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}},
    });
    block_on(async {
        apply(&client, "keys", ChangeSetType::Create, &template, &[]).await;
        let (status, reason, outputs) = stack(&client, "keys").await;
        assert_eq!(status, "CREATE_COMPLETE", "{reason}: {:?}\n{}", resource_events(&client, "keys").await, moto.log());
        let arn = &outputs.iter().find(|(k, _)| k == "KeyArn").unwrap().1;
        assert!(arn.starts_with("arn:aws:kms:us-east-1:111111111111:key/"), "{arn}");
    });
}

#[test]
fn change_sets_are_listed_per_stack_and_executing_one_drops_the_others() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    let topic = |name: &str| serde_json::json!({"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": name}}}});
    block_on(async {
        apply(&client, "a", ChangeSetType::Create, &topic("a1"), &[]).await;
        apply(&client, "b", ChangeSetType::Create, &topic("b1"), &[]).await;
        let (first, ..) = change_set(&client, "a", ChangeSetType::Update, &topic("a2"), &[]).await;
        let (second, ..) = change_set(&client, "a", ChangeSetType::Update, &topic("a3"), &[]).await;
        let (on_b, ..) = change_set(&client, "b", ChangeSetType::Update, &topic("b2"), &[]).await;
        let listed = |stack: &'static str| {
            let client = client.clone();
            async move {
                let out = client.list_change_sets().stack_name(stack).send().await.unwrap();
                let mut ids: Vec<(String, String)> = out
                    .summaries()
                    .iter()
                    .map(|s| {
                        (s.change_set_id().unwrap().to_string(), s.execution_status().unwrap().as_str().to_string())
                    })
                    .collect();
                ids.sort();
                ids
            }
        };
        let a = listed("a").await;
        assert_eq!(a.iter().filter(|(_, st)| st == "AVAILABLE").count(), 2, "{a:?}");
        assert!(a.iter().any(|(id, _)| *id == first) && a.iter().any(|(id, _)| *id == second), "{a:?}");
        assert!(!a.iter().any(|(id, _)| *id == on_b), "b's change set is not a's: {a:?}");
        client.execute_change_set().change_set_name(&first).stack_name("a").send().await.unwrap();
        let a = listed("a").await;
        assert!(!a.iter().any(|(id, _)| *id == second), "the other change set is gone once one ran: {a:?}");
        assert!(listed("b").await.iter().any(|(id, _)| *id == on_b), "b keeps its own");
    });
}

#[test]
fn a_database_with_a_managed_master_password_has_its_secret() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    let template = serde_json::json!({
        "Resources": {
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "Engine": "postgres",
                    "DBInstanceClass": "db.t4g.micro",
                    "AllocatedStorage": "20",
                    "MasterUsername": "app",
                    "ManageMasterUserPassword": true,
                },
            },
        },
        "Outputs": {
            "SecretArn": {"Value": {"Fn::GetAtt": ["Db", "MasterUserSecret.SecretArn"]}},
            "Host": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}},
        },
    });
    block_on(async {
        apply(&client, "db", ChangeSetType::Create, &template, &[]).await;
        let (status, reason, outputs) = stack(&client, "db").await;
        assert_eq!(status, "CREATE_COMPLETE", "{reason}: {:?}\n{}", resource_events(&client, "db").await, moto.log());
        let arn = &outputs.iter().find(|(k, _)| k == "SecretArn").unwrap().1;
        assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:111111111111:secret:rds!db-"), "{arn}");
    });
}

/// A change set with stack tags: (ARN, status, status reason, [(action, logical ID, replacement, scope)]).
async fn tagged_change_set(
    client: &Client,
    stack: &str,
    kind: ChangeSetType,
    template: &Value,
    tags: &[(&str, &str)],
) -> (String, String, String, Vec<(String, String, String, Vec<String>)>) {
    use aws_sdk_cloudformation::types::Tag;
    let name = format!("cs-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    let tags = tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build());
    let created = client
        .create_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .change_set_type(kind)
        .template_body(template.to_string())
        .set_tags(Some(tags.collect()))
        .send()
        .await
        .unwrap();
    let id = created.id().unwrap().to_string();
    let out = client.describe_change_set().change_set_name(&id).stack_name(stack).send().await.unwrap();
    let mut changes: Vec<_> = out
        .changes()
        .iter()
        .filter_map(|c| c.resource_change())
        .map(|r| {
            (
                r.action().unwrap().as_str().to_string(),
                r.logical_resource_id().unwrap().to_string(),
                r.replacement().map(|x| x.as_str().to_string()).unwrap_or_default(),
                r.scope().iter().map(|s| s.as_str().to_string()).collect(),
            )
        })
        .collect();
    changes.sort();
    let status = out.status().unwrap().as_str().to_string();
    (id, status, out.status_reason().unwrap_or_default().to_string(), changes)
}

/// Each resource's physical ID, by logical ID.
async fn physical_ids(client: &Client, stack: &str) -> BTreeMap<String, String> {
    let out = client.list_stack_resources().stack_name(stack).send().await.unwrap();
    out.stack_resource_summaries()
        .iter()
        .map(|r| {
            (r.logical_resource_id().unwrap().to_string(), r.physical_resource_id().unwrap_or_default().to_string())
        })
        .collect()
}

/// The stack's tags.
async fn stack_tags(client: &Client, name: &str) -> BTreeMap<String, String> {
    let out = client.describe_stacks().stack_name(name).send().await.unwrap();
    out.stacks()[0].tags().iter().map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string())).collect()
}

#[test]
fn a_change_of_stack_tags_alone_updates_every_taggable_resource_and_replaces_those_with_create_only_tags() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    // A topic (tags updatable), a placement group (tags create-only: replaced) and a topic policy (not taggable).
    let template = json!({"Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "alerts"}},
        "Group": {"Type": "AWS::EC2::PlacementGroup", "Properties": {"Strategy": "spread"}},
        "Policy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [{"Ref": "Topic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}}}});
    block_on(async {
        let (id, status, reason, _) =
            tagged_change_set(&client, "tagged", ChangeSetType::Create, &template, &[("team", "a")]).await;
        assert_eq!(status, "CREATE_COMPLETE", "{reason}");
        client.execute_change_set().change_set_name(id).stack_name("tagged").send().await.unwrap();
        let before = physical_ids(&client, "tagged").await;
        assert_eq!(before.len(), 3, "{before:?}\n{}", moto.log());

        // The same template and tags: nothing to do.
        let (_, status, reason, _) =
            tagged_change_set(&client, "tagged", ChangeSetType::Update, &template, &[("team", "a")]).await;
        assert_eq!(
            (status.as_str(), reason.as_str()),
            (
                "FAILED",
                "The submitted information didn't contain changes. Submit different information to create a change set."
            )
        );

        // Another tag value: every taggable resource is modified, the placement group replaced.
        let (id, status, reason, changes) =
            tagged_change_set(&client, "tagged", ChangeSetType::Update, &template, &[("team", "b")]).await;
        assert_eq!(status, "CREATE_COMPLETE", "{reason}");
        let tags = vec!["Tags".to_string()];
        assert_eq!(
            changes,
            [
                ("Modify".to_string(), "Group".to_string(), "True".to_string(), tags.clone()),
                ("Modify".to_string(), "Topic".to_string(), "False".to_string(), tags.clone()),
            ]
        );
        client.execute_change_set().change_set_name(id).stack_name("tagged").send().await.unwrap();
        let (status, reason, _) = stack(&client, "tagged").await;
        assert_eq!(
            status,
            "UPDATE_COMPLETE",
            "{reason}: {:?}\n{}",
            resource_events(&client, "tagged").await,
            moto.log()
        );
        assert_eq!(stack_tags(&client, "tagged").await, BTreeMap::from([("team".to_string(), "b".to_string())]));
        let after = physical_ids(&client, "tagged").await;
        assert_ne!(after["Group"], before["Group"], "replaced: a new physical resource");
        assert_eq!((&after["Topic"], &after["Policy"]), (&before["Topic"], &before["Policy"]));
    });
}

#[test]
fn a_tag_change_that_would_replace_a_named_resource_fails_and_rolls_back() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    // A key pair's tags are create-only and its name is required: CloudFormation cannot replace it.
    let template = json!({"Resources": {"Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": "deploy"}}}});
    block_on(async {
        let (id, ..) = tagged_change_set(&client, "keys", ChangeSetType::Create, &template, &[("team", "a")]).await;
        client.execute_change_set().change_set_name(id).stack_name("keys").send().await.unwrap();
        let (id, status, _, changes) =
            tagged_change_set(&client, "keys", ChangeSetType::Update, &template, &[("team", "b")]).await;
        assert_eq!(status, "CREATE_COMPLETE");
        assert_eq!(changes, [("Modify".into(), "Key".into(), "True".into(), vec!["Tags".to_string()])]);
        client.execute_change_set().change_set_name(id).stack_name("keys").send().await.unwrap();
        let (status, _, _) = stack(&client, "keys").await;
        assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE", "{}", moto.log());
        assert_eq!(
            resource_events(&client, "keys").await,
            [(
                "Key".to_string(),
                "UPDATE_FAILED".to_string(),
                "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename deploy \
                 and update the stack again."
                    .to_string()
            )]
        );
        assert_eq!(stack_tags(&client, "keys").await, BTreeMap::from([("team".to_string(), "a".to_string())]));
    });
}

/// A function with `memory` MB, its code in S3 (moto's update of inline `ZipFile` code fails on its own), and
/// the role it runs as.
fn function(memory: u32) -> Value {
    json!({"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "MemorySize": memory,
            "Code": {"S3Bucket": "code", "S3Key": "fn.zip"},
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}}})
}

/// The reason CloudFormation gives when Lambda refuses a function's memory, up to the request's own IDs.
const MEMORY_REFUSED: &str = "Resource handler returned message: \"'MemorySize' value failed to satisfy constraint: \
                              Member must have value less than or equal to 10240 (Service: Lambda, Status Code: 400, \
                              Request ID: ";

#[test]
fn lambda_refuses_more_memory_than_it_has_on_create_and_on_update() {
    let moto = Moto::start_bare("111111111111");
    let client = moto.client();
    block_on(async {
        let s3 = moto.s3();
        s3.create_bucket().bucket("code").send().await.unwrap();
        let zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        s3.put_object().bucket("code").key("fn.zip").body(zip.into()).send().await.unwrap();
        // More than Lambda gives a function (but within the schema's 32,768 for capacity providers): the
        // resource fails, and the stack rolls back.
        apply(&client, "big", ChangeSetType::Create, &function(20480), &[]).await;
        assert_eq!(stack(&client, "big").await.0, "ROLLBACK_COMPLETE", "{}", moto.log());
        let events = resource_events(&client, "big").await;
        let failed: Vec<_> = events.iter().filter(|(_, status, _)| status == "CREATE_FAILED").collect();
        assert_eq!(failed.len(), 1, "{events:?}");
        assert_eq!(failed[0].0, "Fn");
        assert!(failed[0].2.starts_with(MEMORY_REFUSED), "{}", failed[0].2);
        assert!(failed[0].2.ends_with(", HandlerErrorCode: InvalidRequest)"), "{}", failed[0].2);

        // 10,240 is the most it gives.
        apply(&client, "fits", ChangeSetType::Create, &function(10240), &[]).await;
        assert_eq!(stack(&client, "fits").await.0, "CREATE_COMPLETE", "{}", moto.log());
        apply(&client, "fits", ChangeSetType::Update, &function(10241), &[]).await;
        assert_eq!(stack(&client, "fits").await.0, "UPDATE_ROLLBACK_COMPLETE", "{}", moto.log());
        let events = resource_events(&client, "fits").await;
        let failed = events.iter().find(|(_, status, _)| status == "UPDATE_FAILED").expect("the function's failure");
        assert_eq!(failed.0, "Fn");
        assert!(failed.2.starts_with(MEMORY_REFUSED), "{}", failed.2);
    });
}

#[test]
fn a_function_whose_code_is_not_in_s3_fails_as_lambda_fails_it() {
    let moto = Moto::start();
    let client = moto.client();
    block_on(async {
        let s3 = moto.s3();
        s3.create_bucket().bucket("code").send().await.unwrap();
        // No `fn.zip` yet: Lambda cannot fetch the code, the function fails and the stack rolls back.
        apply(&client, "nocode", ChangeSetType::Create, &function(128), &[]).await;
        assert_eq!(stack(&client, "nocode").await.0, "ROLLBACK_COMPLETE", "{}", moto.log());
        let events = resource_events(&client, "nocode").await;
        let failed = events.iter().find(|(_, status, _)| status == "CREATE_FAILED").expect("the function's failure");
        assert_eq!(failed.0, "Fn");
        assert!(
            failed.2.starts_with(
                "Resource handler returned message: \"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 \
                 Error Message: The specified key does not exist. (Service: Lambda, Status Code: 400, Request ID: "
            ),
            "{}",
            failed.2
        );
        // With the code there it is made; an update to a key that is not there fails and rolls back.
        let zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        s3.put_object().bucket("code").key("fn.zip").body(zip.into()).send().await.unwrap();
        apply(&client, "code", ChangeSetType::Create, &function(128), &[]).await;
        assert_eq!(stack(&client, "code").await.0, "CREATE_COMPLETE", "{}", moto.log());
        let mut moved = function(128);
        moved["Resources"]["Fn"]["Properties"]["Code"]["S3Key"] = json!("gone.zip");
        apply(&client, "code", ChangeSetType::Update, &moved, &[]).await;
        assert_eq!(stack(&client, "code").await.0, "UPDATE_ROLLBACK_COMPLETE", "{}", moto.log());
        let events = resource_events(&client, "code").await;
        let failed = events.iter().find(|(_, status, _)| status == "UPDATE_FAILED").expect("the function's failure");
        assert!(failed.2.contains("S3 Error Code: NoSuchKey"), "{}", failed.2);
    });
}
