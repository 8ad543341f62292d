//! `slipway diff`: impacts: replacement from create-only properties, type changes, update policies,
//! propagation through references, orphans and other sections.

use serde_json::{Value, json};
use slipway::diff::{Change, Impact, TemplateDiff, diff_templates, render};

use super::render::rendered;
use super::templates::{one_stack, resource, template};

#[test]
fn a_create_only_property_replaces_and_others_update() {
    let old = template(json!({"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "a", "Tags": []}}}));
    let new = template(
        json!({"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b", "Tags": [{"Key": "k", "Value": "v"}]}}}),
    );
    let d = diff_templates(&old, &new);
    let b = resource(&d, "B");
    assert_eq!((b.change, b.impact), (Change::Modified, Impact::Replace));
    let name = b.properties.iter().find(|p| p.path == "Properties/BucketName").unwrap();
    assert_eq!(
        (name.old.clone(), name.new.clone(), name.impact),
        (Some(json!("a")), Some(json!("b")), Impact::Replace)
    );
    let tags = b.properties.iter().find(|p| p.path == "Properties/Tags").unwrap();
    assert_eq!(tags.impact, Impact::Update);
    assert_eq!(d.worst(), Some(Impact::Replace));
}

#[test]
fn nested_and_list_create_only_paths_replace_only_when_the_value_there_changes() {
    let batch = |role: &str, max: i64| {
        template(json!({"CE": {"Type": "AWS::Batch::ComputeEnvironment",
            "Properties": {"Type": "MANAGED", "ComputeResources": {"SpotIamFleetRole": role, "MaxvCpus": max}}}}))
    };
    let d = diff_templates(&batch("r1", 4), &batch("r2", 4));
    assert_eq!(resource(&d, "CE").impact, Impact::Replace, "ComputeResources/SpotIamFleetRole is createOnly");
    let d = diff_templates(&batch("r1", 4), &batch("r1", 8));
    assert_eq!(resource(&d, "CE").impact, Impact::Update, "MaxvCpus is not");

    let replicator = |arn: &str, topics: &str| {
        template(json!({"R": {"Type": "AWS::MSK::Replicator", "Properties": {"ReplicationInfoList": [
            {"SourceKafkaClusterArn": arn, "TopicReplication": {"StartingPosition": {"Type": "LATEST"},
                                                                "TopicsToReplicate": [topics]}}]}}}))
    };
    let d = diff_templates(&replicator("a", "t"), &replicator("b", "t"));
    assert_eq!(resource(&d, "R").impact, Impact::Replace, "ReplicationInfoList/*/SourceKafkaClusterArn");
    let d = diff_templates(&replicator("a", "t"), &replicator("a", "u"));
    assert_eq!(resource(&d, "R").impact, Impact::Update, "TopicsToReplicate is not createOnly, its sibling is");
}

#[test]
fn a_type_change_replaces_and_an_unknown_type_may_replace() {
    let d = diff_templates(
        &template(json!({"X": {"Type": "AWS::SQS::Queue"}})),
        &template(json!({"X": {"Type": "AWS::SNS::Topic"}})),
    );
    let x = resource(&d, "X");
    assert_eq!(
        (x.impact, x.old_kind.as_deref(), x.kind.as_str()),
        (Impact::Replace, Some("AWS::SQS::Queue"), "AWS::SNS::Topic")
    );
    let d = diff_templates(
        &template(json!({"C": {"Type": "Custom::Seed", "Properties": {"ServiceToken": "t", "N": 1}}})),
        &template(json!({"C": {"Type": "Custom::Seed", "Properties": {"ServiceToken": "t", "N": 2}}})),
    );
    assert_eq!(resource(&d, "C").impact, Impact::MayReplace);
}

/// Every resource that differs, with its impact: a minimal pair asserts all of them, so a verdict that
/// spreads where it should not fails the test too.
pub(crate) fn verdicts(diff: &TemplateDiff) -> std::collections::BTreeMap<String, Impact> {
    diff.resources.iter().map(|r| (r.logical_id.clone(), r.impact)).collect()
}

pub(crate) fn expect(pairs: &[(&str, Impact)]) -> std::collections::BTreeMap<String, Impact> {
    pairs.iter().map(|(id, i)| (id.to_string(), *i)).collect()
}

/// An instance, what refers to it, a security group it uses and a table: the resource types whose
/// facts list `conditionalCreateOnly` properties beside `createOnly` ones.
fn conditional(instance_type: &str, group_description: &str, hash_key: &str, table_name: &str) -> Value {
    template(json!({
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": group_description}},
        "Instance": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-1",
            "InstanceType": instance_type, "SecurityGroupIds": [{"Ref": "Sg"}]}},
        // InstanceId is createOnly for the association.
        "Eip": {"Type": "AWS::EC2::EIPAssociation", "Properties": {"InstanceId": {"Ref": "Instance"}, "EIP": "192.0.2.1"}},
        // Dimensions are not: an update.
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"ComparisonOperator": "GreaterThanThreshold",
            "EvaluationPeriods": 1, "Threshold": 90, "MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
            "Dimensions": [{"Name": "InstanceId", "Value": {"Ref": "Instance"}}]}},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": hash_key, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"}]}}
    }))
}

#[test]
fn a_conditional_create_only_property_may_replace() {
    use Impact::{MayReplace, Replace, Update};
    let base = conditional("t3.micro", "web", "id", "t");
    let d = diff_templates(&base, &conditional("t3.small", "web", "id", "t"));
    // The instance may be replaced; the association's createOnly InstanceId then may change too, and the
    // alarm is updated with whatever the instance's ID becomes.
    assert_eq!(verdicts(&d), expect(&[("Alarm", Update), ("Eip", MayReplace), ("Instance", MayReplace)]));
    let p = &resource(&d, "Instance").properties[0];
    assert_eq!((p.path.as_str(), p.impact), ("Properties/InstanceType", MayReplace));
    assert_eq!(p.cause, slipway::diff::Cause::ConditionalCreateOnly("InstanceType".into()));

    // The group is replaced (GroupDescription is createOnly); the instance reads its ID in the
    // conditionalCreateOnly SecurityGroupIds, so it may be replaced, and so on down.
    let d = diff_templates(&base, &conditional("t3.micro", "app", "id", "t"));
    assert_eq!(
        verdicts(&d),
        expect(&[("Alarm", Update), ("Eip", MayReplace), ("Instance", MayReplace), ("Sg", Replace)])
    );
    let p = &resource(&d, "Instance").properties[0];
    assert_eq!((p.path.as_str(), p.impact), ("Properties/SecurityGroupIds/0", MayReplace));
    assert!(matches!(&p.cause, slipway::diff::Cause::Reference { target, .. } if target == "Sg"), "{p:?}");

    // The table's key schema: conditionalCreateOnly in the schema, but CloudFormation's reference says
    // "Update requires: Replacement", and a table's key cannot change in place. The reference wins.
    let d = diff_templates(&base, &conditional("t3.micro", "web", "pk", "t"));
    assert_eq!(verdicts(&d), expect(&[("Table", Replace)]));
    assert!(resource(&d, "Table").properties.iter().any(|p| p.path.starts_with("Properties/KeySchema")
        && p.impact == Replace
        && p.cause == slipway::diff::Cause::CreateOnly("KeySchema".into())));
    // The control: TableName is createOnly, so the table certainly is replaced.
    let d = diff_templates(&base, &conditional("t3.micro", "web", "id", "u"));
    assert_eq!(verdicts(&d), expect(&[("Table", Replace)]));

    // Every renderer says why.
    let text = rendered(
        &one_stack(diff_templates(&base, &conditional("t3.small", "web", "id", "t"))),
        render::Format::Text,
        false,
    );
    assert!(text.contains("`InstanceType` is conditionalCreateOnly"), "{text}");
    let json: Value = serde_json::from_str(&rendered(
        &one_stack(diff_templates(&base, &conditional("t3.small", "web", "id", "t"))),
        render::Format::Json,
        false,
    ))
    .unwrap();
    let instance = json["environments"][0]["stacks"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["logical_id"] == "Instance")
        .unwrap()
        .clone();
    assert_eq!(
        instance["properties"][0],
        json!({"path": "Properties/InstanceType", "old": "t3.micro", "new": "t3.small", "impact": "may-replace",
               "cause": "conditional-create-only", "conditional_create_only": "InstanceType"})
    );
}

/// An Auto Scaling group, its launch template, a subnet it runs in, and what refers to the group. `policy`
/// is the group's UpdatePolicy (none when null).
fn scaling(subnet_cidr: &str, policy: Value) -> Value {
    let mut group = json!({"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
        "MinSize": "1", "MaxSize": "2",
        "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Template"},
                           "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]}},
        "VPCZoneIdentifier": [{"Ref": "Subnet"}]}});
    if !policy.is_null() {
        group["UpdatePolicy"] = policy;
    }
    template(json!({
        "Template": {"Type": "AWS::EC2::LaunchTemplate",
                     "Properties": {"LaunchTemplateData": {"ImageId": "ami-1"}}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-1", "CidrBlock": subnet_cidr}},
        "Group": group,
        // AutoScalingGroupName is createOnly for a hook: it would be replaced with a replaced group.
        "Hook": {"Type": "AWS::AutoScaling::LifecycleHook", "Properties": {
            "AutoScalingGroupName": {"Ref": "Group"}, "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING"}}
    }))
}

#[test]
fn an_auto_scaling_group_is_replaced_only_when_its_update_policy_says_will_replace() {
    use Impact::{Replace, Update};
    let replacing = json!({"AutoScalingReplacingUpdate": {"WillReplace": true}});
    let rolling = json!({"AutoScalingRollingUpdate": {"MinInstancesInService": 1}});
    for policy in [Value::Null, rolling.clone(), json!({"AutoScalingReplacingUpdate": {"WillReplace": false}})] {
        // The group's subnets replaced (so their IDs change): the group is updated in place, keeps its
        // name, and the hook that names it is not touched.
        let d = diff_templates(&scaling("10.0.1.0/24", policy.clone()), &scaling("10.0.2.0/24", policy.clone()));
        assert_eq!(verdicts(&d), expect(&[("Group", Update), ("Subnet", Replace)]), "{policy}");
        // The group's own LaunchTemplate written differently: an update, not a possible replacement.
        let mut other = scaling("10.0.1.0/24", policy.clone());
        other["Resources"]["Group"]["Properties"]["LaunchTemplate"]["Version"] = json!("3");
        let d = diff_templates(&scaling("10.0.1.0/24", policy.clone()), &other);
        assert_eq!(verdicts(&d), expect(&[("Group", Update)]), "{policy}");
        assert_eq!(resource(&d, "Group").properties[0].cause, slipway::diff::Cause::Value);
    }
    // Under WillReplace: true the same changes replace the group, and the hook with it.
    let d = diff_templates(&scaling("10.0.1.0/24", replacing.clone()), &scaling("10.0.2.0/24", replacing.clone()));
    assert_eq!(verdicts(&d), expect(&[("Group", Replace), ("Hook", Replace), ("Subnet", Replace)]));
    let mut other = scaling("10.0.1.0/24", replacing.clone());
    other["Resources"]["Group"]["Properties"]["LaunchTemplate"]["Version"] = json!("3");
    let d = diff_templates(&scaling("10.0.1.0/24", replacing.clone()), &other);
    assert_eq!(verdicts(&d), expect(&[("Group", Replace), ("Hook", Replace)]));
    assert_eq!(resource(&d, "Group").properties[0].cause, slipway::diff::Cause::UpdatePolicy("LaunchTemplate".into()));
    // The new template's policy is the one that counts: adding WillReplace with the change replaces.
    let d = diff_templates(&scaling("10.0.1.0/24", rolling), &scaling("10.0.2.0/24", replacing));
    assert_eq!(verdicts(&d)["Group"], Replace);
}

#[test]
fn replacement_propagates_through_ref_get_att_and_sub() {
    let network = |cidr: &str| {
        template(json!({
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
            // VpcId is createOnly and reads the VPC's physical ID: certainly replaced.
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
            // SubnetId is createOnly too: the replacement keeps spreading.
            "Assoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                      "Properties": {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": "rtb-1"}},
            // Not createOnly: updated in place with the new ID.
            "Sg": {"Type": "AWS::EC2::SecurityGroup",
                   "Properties": {"GroupDescription": "d", "Tags": [{"Key": "vpc", "Value": {"Fn::Sub": "${Vpc}"}}]}},
            // createOnly, but through an attribute, which may survive a replacement.
            "Subnet2": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]}}},
            // A Fn::Sub variable named like the resource means the variable, not the resource.
            "Bucket": {"Type": "AWS::S3::Bucket",
                       "Properties": {"BucketName": {"Fn::Sub": ["${Vpc}-b", {"Vpc": "literal"}]}}},
            "Untouched": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "x"}}
        }))
    };
    let d = diff_templates(&network("10.0.0.0/16"), &network("10.1.0.0/16"));
    assert_eq!(resource(&d, "Vpc").impact, Impact::Replace);
    let subnet = resource(&d, "Subnet");
    assert_eq!(subnet.impact, Impact::Replace);
    assert_eq!(subnet.properties[0].path, "Properties/VpcId");
    assert!(
        matches!(&subnet.properties[0].cause, slipway::diff::Cause::Reference { target, by_ref: true, .. } if target == "Vpc")
    );
    assert_eq!(subnet.properties[0].old, subnet.properties[0].new, "the text did not change");
    assert_eq!(resource(&d, "Assoc").impact, Impact::Replace);
    assert_eq!(resource(&d, "Sg").impact, Impact::Update);
    assert_eq!(resource(&d, "Sg").properties[0].path, "Properties/Tags/0/Value");
    assert_eq!(resource(&d, "Subnet2").impact, Impact::MayReplace);
    assert!(d.resources.iter().all(|r| r.logical_id != "Bucket" && r.logical_id != "Untouched"), "{d:#?}");
}

#[test]
fn a_removed_resource_is_destroyed_unless_retained() {
    let old = template(json!({
        "Data": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
        "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete"},
        "Db": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot"}
    }));
    let d = diff_templates(&old, &template(json!({"New": {"Type": "AWS::SNS::Topic"}})));
    assert_eq!((resource(&d, "Data").change, resource(&d, "Data").impact), (Change::Removed, Impact::Orphan));
    assert_eq!(resource(&d, "Logs").impact, Impact::Destroy);
    assert_eq!(resource(&d, "Db").impact, Impact::Destroy);
    assert_eq!((resource(&d, "New").change, resource(&d, "New").impact), (Change::Added, Impact::Create));
    assert_eq!(d.worst(), Some(Impact::Destroy));
    assert!(
        Impact::Update < Impact::MayReplace
            && Impact::MayReplace < Impact::Replace
            && Impact::Replace < Impact::Destroy
    );
}

#[test]
fn other_sections_and_unknown_top_level_keys_are_reported() {
    let old = json!({"Parameters": {"P": {"Type": "String"}}, "Outputs": {"O": {"Value": "1"}},
                     "Conditions": {"C": {"Fn::Equals": ["a", "b"]}}, "Mappings": {"M": {"k": {"v": 1}}},
                     "Description": "old", "Resources": {}});
    let new = json!({"Parameters": {"P": {"Type": "Number"}}, "Outputs": {"O": {"Value": 1}, "O2": {"Value": "x"}},
                     "Conditions": {}, "Mappings": {"M": {"k": {"v": 2}}},
                     "Description": "new", "Transform": "AWS::Serverless-2016-10-31", "Rules": {"R": {}}, "Resources": {}});
    let d = diff_templates(&old, &new);
    assert_eq!(d.parameters.len(), 1);
    assert_eq!(d.outputs.iter().map(|e| (e.id.as_str(), e.change)).collect::<Vec<_>>(), vec![("O2", Change::Added)]);
    assert_eq!(d.conditions[0].change, Change::Removed);
    assert_eq!(d.mappings[0].change, Change::Modified);
    let other: Vec<&str> = d.other.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(other, vec!["Description", "Rules", "Transform"]);
}
