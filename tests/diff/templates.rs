//! `slipway diff`: the template diff as data (no false differences, no missed replacement, the security
//! summary), its renderers, and the command as a user runs it.

use proptest::prelude::*;
use serde_json::{Value, json};
use slipway::diff::{
    Change, Diff, EnvironmentDiff, Impact, SecurityItem, StackDiff, TemplateDiff, diff_templates, parse_template,
    render,
};

use crate::support::{slipway, snapshots, tempdir};

/// Every CloudFormation template the reference definitions synthesize (a feature demo included).
fn synthesized() -> Vec<(String, Value)> {
    let project = webapp::project().with_demo("example").unwrap();
    let set = slipway::synth::synth(&project, &[]).expect("the reference definitions synthesize");
    let templates: Vec<(String, Value)> = set
        .files()
        .iter()
        .filter(|(path, _)| path.contains("/cloudformation/"))
        .map(|(path, bytes)| (path.clone(), serde_json::from_slice(bytes).unwrap()))
        .collect();
    assert!(templates.len() >= 20, "expected every environment's stacks, got {}", templates.len());
    templates
}

fn template(resources: Value) -> Value {
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": resources })
}

fn resource<'a>(diff: &'a TemplateDiff, id: &str) -> &'a slipway::diff::ResourceChange {
    diff.resources.iter().find(|r| r.logical_id == id).unwrap_or_else(|| panic!("no change for {id}: {diff:#?}"))
}

// ---------------------------------------------------------------------------------------------------
// Equivalent rewritings of a template: what CloudFormation may hand back from GetTemplate.

/// A tiny deterministic generator, so one proptest seed picks every per-node choice.
struct Coin(u64);

impl Coin {
    fn flip(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

/// Rewrites scalars the way CloudFormation treats as equal: numbers and booleans as strings, a
/// `Fn::GetAtt` list as the dotted string, a single `DependsOn` as a string.
fn rewrite(value: &Value, coin: &mut Coin) -> Value {
    match value {
        Value::Number(n) if coin.flip() => Value::String(n.to_string()),
        Value::Bool(b) if coin.flip() => Value::String(b.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(|v| rewrite(v, coin)).collect()),
        Value::Object(m) if m.len() == 1 && coin.flip() => match m.get("Fn::GetAtt") {
            Some(Value::Array(parts)) if parts.len() == 2 && parts.iter().all(Value::is_string) => {
                json!({ "Fn::GetAtt": format!("{}.{}", parts[0].as_str().unwrap(), parts[1].as_str().unwrap()) })
            }
            _ => Value::Object(m.iter().map(|(k, v)| (k.clone(), rewrite(v, coin))).collect()),
        },
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), rewrite(v, coin))).collect()),
        other => other.clone(),
    }
}

/// JSON text with every object's keys in reverse order and different whitespace.
fn reversed_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(m) => {
            out.push_str("{\n  ");
            for (i, (k, v)) in m.iter().rev().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n\t");
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(" :  ");
                reversed_json(v, out);
            }
            out.push_str("\n}");
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                reversed_json(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The template as YAML with short-form tags: `!Ref X`, `!GetAtt A.B`, `!Sub ...`, `!Join [...]`, with
/// strings quoted where YAML 1.1 would read them as something else.
pub(crate) fn short_form_yaml(value: &Value) -> String {
    crate::diff::yaml::to_yaml(value, None)
}

#[test]
fn yaml_short_forms_really_are_written_as_tags() {
    let yaml =
        short_form_yaml(&json!({"A": {"Ref": "B"}, "C": {"Fn::GetAtt": ["D", "Arn"]}, "E": {"Fn::Sub": "${B}"}}));
    assert!(yaml.contains("!Ref B"), "{yaml}");
    assert!(yaml.contains("!GetAtt D.Arn"), "{yaml}");
    assert!(yaml.contains("!Sub"), "{yaml}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `diff(t, t)` is empty for every synthesized template, and so is its diff with any rewriting that
    /// CloudFormation treats as the same template (JSON key order and formatting, YAML short forms,
    /// numbers and booleans as strings, dotted `GetAtt`).
    #[test]
    fn a_synthesized_template_equals_itself_however_it_is_written(
        pick in any::<prop::sample::Index>(),
        seed in 1u64..,
        form in 0u8..3,
    ) {
        let all = synthesized();
        let (path, t) = &all[pick.index(all.len())];
        let same = diff_templates(t, t);
        prop_assert!(same.is_empty(), "{path}: diff(t, t) = {same:#?}");
        let rewritten = rewrite(t, &mut Coin(seed));
        let text = match form {
            0 => { let mut s = String::new(); reversed_json(&rewritten, &mut s); s }
            1 => short_form_yaml(&rewritten),
            _ => serde_json::to_string(&rewritten).unwrap(),
        };
        let parsed = parse_template(&text).map_err(|e| TestCaseError::fail(format!("{path}: {e}")))?;
        let d = diff_templates(t, &parsed);
        prop_assert!(d.is_empty(), "{path} (form {form}) differs from itself: {d:#?}");
    }
}

#[test]
fn every_synthesized_template_equals_itself() {
    for (path, t) in synthesized() {
        assert!(diff_templates(&t, &t).is_empty(), "{path}");
        let yaml = parse_template(&short_form_yaml(&t)).unwrap();
        assert!(diff_templates(&t, &yaml).is_empty(), "{path} as YAML: {:#?}", diff_templates(&t, &yaml));
    }
}

// ---------------------------------------------------------------------------------------------------
// Arbitrary templates: the diff never panics, and reports exactly what differs.

const KEYS: &[&str] = &[
    "Resources",
    "Type",
    "Properties",
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::If",
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "PolicyDocument",
    "Policies",
    "PolicyName",
    "Statement",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "Principal",
    "AssumeRolePolicyDocument",
    "ManagedPolicyArns",
    "SecurityGroupIngress",
    "SecurityGroupEgress",
    "GroupId",
    "CidrIp",
    "IpProtocol",
    "FromPort",
    "ToPort",
    "BucketName",
    "Path",
    "VpcId",
    "Parameters",
    "Outputs",
    "Mappings",
    "Conditions",
    "Description",
    "A",
    "B",
    "C",
    "*",
];
const TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPC",
    "AWS::S3::BucketPolicy",
    "AWS::MSK::Replicator",
    "Custom::Thing",
    "Nope",
];

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[a-zA-Z0-9:./*${}!-]{0,10}".prop_map(Value::from),
        prop::sample::select(KEYS).prop_map(Value::from),
        prop::sample::select(TYPES).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![prop::sample::select(KEYS).prop_map(str::to_string), "[A-Za-z:]{1,6}"],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_resource() -> impl Strategy<Value = Value> {
    (prop::sample::select(TYPES), arb_value(), prop::option::of(prop::sample::select(&["Retain", "Delete"][..])))
        .prop_map(|(t, props, policy)| {
            let mut r = json!({ "Type": t, "Properties": props });
            if let Some(p) = policy {
                r["DeletionPolicy"] = json!(p);
            }
            r
        })
}

fn arb_template() -> impl Strategy<Value = Value> {
    prop_oneof![
        arb_value(),
        (
            prop::collection::btree_map(prop::sample::select(&["A", "B", "C", "D"][..]), arb_resource(), 0..4),
            arb_value()
        )
            .prop_map(|(resources, extra)| {
                let resources: serde_json::Map<String, Value> =
                    resources.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                json!({ "Resources": resources, "Outputs": extra.clone(), "Transform": extra })
            }),
    ]
}

fn one_stack(template: TemplateDiff) -> Diff {
    Diff {
        environments: vec![EnvironmentDiff {
            name: "env".into(),
            stacks: vec![StackDiff { name: "stack".into(), change: Change::Modified, template }],
            files: Vec::new(),
        }],
        ..Diff::default()
    }
}

/// Sets (or, with `None`, removes) the value at `path` below `root`.
fn apply(root: &mut Value, path: &[String], new: Option<&Value>) {
    let Some((last, parents)) = path.split_last() else {
        *root = new.cloned().unwrap_or(Value::Null);
        return;
    };
    let mut at = root;
    for p in parents {
        at = match at {
            Value::Object(m) => m.get_mut(p).unwrap(),
            Value::Array(items) => &mut items[p.parse::<usize>().unwrap()],
            _ => panic!("path {path:?} goes through a scalar"),
        };
    }
    match (at, new) {
        (Value::Object(m), Some(v)) => {
            m.insert(last.clone(), v.clone());
        }
        (Value::Object(m), None) => {
            m.remove(last);
        }
        (Value::Array(items), Some(v)) => items[last.parse::<usize>().unwrap()] = v.clone(),
        (at, _) => panic!("cannot apply at {path:?} to {at}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever two templates hold, diffing and rendering them never panics, and a template never
    /// differs from itself.
    #[test]
    fn diff_never_panics(a in arb_template(), b in arb_template()) {
        let d = diff_templates(&a, &b);
        prop_assert!(diff_templates(&a, &a).is_empty());
        let diff = one_stack(d);
        for format in [render::Format::Text, render::Format::Markdown, render::Format::Json] {
            let mut out = Vec::new();
            render::render(&diff, format, true, &mut out).unwrap();
        }
    }

    /// Applying the reported differences to the old value gives the new one.
    #[test]
    fn differences_are_exactly_what_differs(a in arb_value(), b in arb_value()) {
        let mut patched = a.clone();
        for d in slipway::diff::value::differences(&a, &b) {
            apply(&mut patched, &d.path, d.new.as_ref());
        }
        prop_assert!(slipway::diff::value::same(&patched, &b), "patched {patched} != {b}");
    }

    /// Any text at all is either a template or a clear error, never a panic.
    #[test]
    fn parsing_never_panics(text in "(?s).{0,200}") {
        let _ = parse_template(&text);
    }
}

// ---------------------------------------------------------------------------------------------------
// Equivalence of written forms, by hand.

#[test]
fn yaml_short_forms_numbers_as_strings_and_dotted_get_att_are_no_change() {
    let json_text = r#"{
      "Resources": {
        "Fn": { "Type": "AWS::Lambda::Function",
                "Properties": { "MemorySize": 512, "Timeout": "30", "Role": {"Fn::GetAtt": "Role.Arn"},
                                "Description": {"Fn::Sub": "${AWS::StackName} fn"},
                                "Environment": {"Variables": {"B": {"Ref": "Bucket"}, "ON": true}} } },
        "Role": { "Type": "AWS::IAM::Role", "DependsOn": "Bucket" },
        "Bucket": { "Type": "AWS::S3::Bucket" }
      },
      "Outputs": { "Arn": { "Value": { "Fn::GetAtt": ["Fn", "Arn"] } } }
    }"#;
    let yaml_text = r#"
Outputs:
  Arn:
    Value: !GetAtt Fn.Arn
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Role:
    Type: AWS::IAM::Role
    DependsOn: [Bucket]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Timeout: 30
      MemorySize: "512"
      Role: !GetAtt Role.Arn
      Description: !Sub "${AWS::StackName} fn"
      Environment:
        Variables:
          ON: "true"
          B: !Ref Bucket
"#;
    let (a, b) = (parse_template(json_text).unwrap(), parse_template(yaml_text).unwrap());
    let d = diff_templates(&a, &b);
    assert!(d.is_empty(), "{d:#?}");
    // And a real change in the same pair is still seen.
    let c = parse_template(&yaml_text.replace("Timeout: 30", "Timeout: 31")).unwrap();
    let d = diff_templates(&a, &c);
    assert_eq!(resource(&d, "Fn").properties[0].path, "Properties/Timeout");
    assert_eq!(resource(&d, "Fn").impact, Impact::Update);
}

#[test]
fn unnormalized_values_are_normalized_by_the_diff_itself() {
    let a = template(json!({"F": {"Type": "AWS::Lambda::Function", "DependsOn": ["B", "A"],
                                  "Properties": {"Role": {"Fn::GetAtt": "R.Arn"}}}}));
    let b = template(json!({"F": {"Type": "AWS::Lambda::Function", "DependsOn": ["A", "B", "A"],
                                  "Properties": {"Role": {"Fn::GetAtt": ["R", "Arn"]}}}}));
    assert!(diff_templates(&a, &b).is_empty(), "{:#?}", diff_templates(&a, &b));
    let c = template(json!({"F": {"Type": "AWS::Lambda::Function", "DependsOn": "A",
                                  "Properties": {"Role": {"Fn::GetAtt": "R.Arn"}}}}));
    let d = diff_templates(&a, &c);
    assert_eq!(resource(&d, "F").properties[0].path, "DependsOn");
}

#[test]
fn a_template_that_is_not_one_is_a_clear_error() {
    let e = parse_template("[1, 2]").unwrap_err().to_string();
    assert!(e.contains("not a CloudFormation template"), "{e}");
    let e = parse_template("{ \"Resources\": ").unwrap_err().to_string();
    assert!(e.contains("as JSON"), "{e}");
}

// ---------------------------------------------------------------------------------------------------
// Impacts: replacement from createOnly, type change, propagation, orphans.

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

// ---------------------------------------------------------------------------------------------------
// The security summary.

fn role(statements: Value, managed: Value) -> Value {
    template(json!({"R": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": managed,
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]}}}))
}

#[test]
fn iam_statements_added_and_removed_with_broadening_flagged() {
    let read = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    let all = json!({"Sid": "Everything", "Effect": "Allow", "Action": ["s3:*"], "Resource": "*"});
    let deny = json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"});
    let old = role(json!([read, deny]), json!([]));
    let new = role(json!([all, read]), json!(["arn:aws:iam::aws:policy/AdministratorAccess"]));
    let d = diff_templates(&old, &new);
    let find = |change: Change, pred: &dyn Fn(&SecurityItem) -> bool| {
        d.security.iter().find(|s| s.change == change && pred(&s.item)).unwrap_or_else(|| panic!("{:#?}", d.security))
    };
    let added = find(Change::Added, &|i| matches!(i, SecurityItem::Statement(s) if s.resources == vec![json!("*")]));
    assert!(added.broadens);
    assert!(added.reasons.iter().any(|r| r.contains("every action of a service")), "{:?}", added.reasons);
    assert!(added.reasons.iter().any(|r| r.contains("any resource")), "{:?}", added.reasons);
    assert_eq!(added.source, "Properties/Policies[p]/PolicyDocument");
    let removed_deny = find(Change::Removed, &|i| matches!(i, SecurityItem::Statement(s) if s.effect == "Deny"));
    assert!(removed_deny.broadens, "removing a Deny broadens access");
    let admin = find(Change::Added, &|i| matches!(i, SecurityItem::ManagedPolicy(_)));
    assert!(admin.reasons.iter().any(|r| r.contains("AdministratorAccess")));
    assert_eq!(d.security.len(), 3, "the unchanged read statement is no change: {:#?}", d.security);
}

#[test]
fn reordering_statements_or_changing_a_sid_is_no_security_change() {
    let a = json!({"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"});
    let b = json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"});
    let a2 =
        json!({"Sid": "Renamed", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": ["*"]});
    let d = diff_templates(&role(json!([a, b]), json!([])), &role(json!([b, a2]), json!([])));
    assert!(d.security.is_empty(), "{:#?}", d.security);
    // The property diff still shows the reordering: nothing is hidden, only not called a security change.
    assert!(!d.resources.is_empty());
}

#[test]
fn a_narrowed_statement_is_a_removal_and_an_addition_that_does_not_broaden() {
    let wide = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let narrow = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    let d = diff_templates(&role(json!([wide]), json!([])), &role(json!([narrow]), json!([])));
    assert_eq!(d.security.len(), 2);
    let added = d.security.iter().find(|s| s.change == Change::Added).unwrap();
    assert!(added.reasons.is_empty(), "a specific statement has no broad reasons: {:?}", added.reasons);
}

#[test]
fn security_group_rules_inline_and_as_resources() {
    let old = template(json!({
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8", "Description": "vpc"}]}}
    }));
    let new = template(json!({
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
            "SecurityGroupIngress": [
                {"IpProtocol": "6", "FromPort": "443", "ToPort": "443", "CidrIp": "10.0.0.0/8", "Description": "renamed"},
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}},
        "All": {"Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {"GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "IpProtocol": "-1", "CidrIpv6": "::/0"}}
    }));
    let d = diff_templates(&old, &new);
    assert_eq!(d.security.len(), 2, "same rule with a new description and 6 for tcp is no change: {:#?}", d.security);
    for s in &d.security {
        assert_eq!(s.change, Change::Added);
        assert!(s.broadens);
        assert!(s.reasons.iter().any(|r| r.contains("whole internet")), "{:?}", s.reasons);
        let SecurityItem::Rule(rule) = &s.item else { panic!("{s:?}") };
        assert_eq!(rule.group, "Sg");
    }
    let all = d.security.iter().find(|s| s.logical_id == "All").unwrap();
    assert!(all.reasons.contains(&"all ports".to_string()));
}

// ---------------------------------------------------------------------------------------------------
// Renderers.

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

fn rendered(diff: &Diff, format: render::Format, color: bool) -> String {
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

// ---------------------------------------------------------------------------------------------------
// The command, as a user runs it.

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
