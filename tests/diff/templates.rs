//! `slipway diff`: the template diff as data: no false differences between equivalent forms, and exactly
//! what differs between arbitrary templates. Impacts, the security summary, the renderers and the command
//! are in files of their own beside this one.

use proptest::prelude::*;
use serde_json::{Value, json};
use slipway::diff::{
    Change, Diff, EnvironmentDiff, Impact, StackDiff, TemplateDiff, diff_templates, parse_template, render,
};

/// Every CloudFormation template the reference definitions synthesize (a feature demo included).
fn synthesized() -> Vec<(String, Value)> {
    let project = webapp::project().with_demo("example").unwrap();
    let set = crate::support::synth(&project, &[]).expect("the reference definitions synthesize");
    let templates: Vec<(String, Value)> = set
        .files()
        .iter()
        .filter(|(path, _)| path.contains("/cloudformation/"))
        .map(|(path, bytes)| (path.clone(), serde_json::from_slice(bytes).unwrap()))
        .collect();
    assert!(templates.len() >= 20, "expected every environment's stacks, got {}", templates.len());
    templates
}

pub(super) fn template(resources: Value) -> Value {
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": resources })
}

pub(super) fn resource<'a>(diff: &'a TemplateDiff, id: &str) -> &'a slipway::diff::ResourceChange {
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
    crate::diff::yaml_writer::to_yaml(value, None)
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

pub(super) fn one_stack(template: TemplateDiff) -> Diff {
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
