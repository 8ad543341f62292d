//! Templates read as CloudFormation reads them: YAML 1.1 scalars, every short form (nested ones too),
//! the non-specific tag, and `Fn::ForEach` loops, each as a minimal pair whose every resource verdict
//! is asserted, and a property test that a template, its YAML and its JSON are one template.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use slipway::diff::value::normalize;
use slipway::diff::{Change, Impact, TemplateDiff, diff_templates, parse_template};

use crate::diff::impacts::{expect, verdicts};
use crate::diff::yaml_writer::to_yaml;

// ---------------------------------------------------------------------------------------------------
// Generated templates: their YAML and their JSON are the same template.

/// Strings that YAML 1.1 would read as something else if they were written plain, and strings that
/// need quoting for other reasons.
const TRICKY: &[&str] = &[
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "N",
    "true",
    "False",
    "~",
    "null",
    "",
    "017",
    "0x1F",
    "0b11",
    "1:30",
    "1_000",
    "1.5",
    ".5",
    "1e3",
    ".inf",
    "2010-09-09",
    "10.0.0.0/16",
    "a b",
    "it's",
    "\"q\"",
    "${AWS::Region}",
    "Fn::Sub",
    "a: b",
    "#c",
    "- x",
    "[x]",
    "{x}",
    "&a",
    "*a",
    "!Ref",
    "%x",
    "@x",
    "`x",
    "|",
    ">",
    "a\nb",
    "\t",
    "é",
    "日本",
    "🚀",
    "?",
    ",",
    "a # b",
    "trailing ",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Floats written the way JSON writes them are YAML 1.1 floats only with a `.` and no bare
        // exponent, so keep to a range JSON writes without exponents.
        (-1_000_000_000i64..1_000_000_000).prop_map(|n| Value::from(n as f64 / 1000.0)),
        prop::sample::select(TRICKY).prop_map(Value::from),
        "[ -~]{0,10}".prop_map(Value::from),
        "[A-Za-z][A-Za-z0-9]{0,8}".prop_map(Value::from),
    ]
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Z][A-Za-z0-9]{0,6}", prop::sample::select(TRICKY).prop_map(str::to_string)]
}

/// An intrinsic function in its long form, with `inner` as its arguments.
fn arb_intrinsic(inner: impl Strategy<Value = Value> + Clone + 'static) -> impl Strategy<Value = Value> {
    let id = "[A-Z][A-Za-z0-9]{0,6}";
    prop_oneof![
        id.prop_map(|r| json!({"Ref": r})),
        id.prop_map(|r| json!({"Condition": r})),
        (id, "[A-Z][a-z]{0,4}(\\.[A-Z][a-z]{0,4})?").prop_map(|(a, b)| json!({"Fn::GetAtt": [a, b]})),
        prop::sample::select(&["", "us-east-1"][..]).prop_map(|r| json!({"Fn::GetAZs": r})),
        (0u8..3, inner.clone()).prop_map(|(i, v)| json!({"Fn::Select": [i, v]})),
        "[a-z${}A-Z:.!-]{0,12}".prop_map(|s| json!({"Fn::Sub": s})),
        ("[a-z${}A-Z]{0,8}", id, inner.clone()).prop_map(|(s, k, v)| json!({"Fn::Sub": [s, {k: v}]})),
        (prop::sample::select(&[",", "", "-"][..]), prop::collection::vec(inner.clone(), 0..3))
            .prop_map(|(d, l)| json!({"Fn::Join": [d, l]})),
        inner.clone().prop_map(|v| json!({"Fn::Split": [",", v]})),
        (id, inner.clone()).prop_map(|(m, v)| json!({"Fn::FindInMap": [m, v, "k"]})),
        inner.clone().prop_map(|v| json!({"Fn::ImportValue": v})),
        inner.clone().prop_map(|v| json!({"Fn::Base64": v})),
        inner.clone().prop_map(|v| json!({"Fn::Cidr": [v, 4, 8]})),
        (id, inner.clone(), inner.clone()).prop_map(|(k, a, b)| json!({"Fn::If": [k, a, b]})),
        (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"Fn::Equals": [a, b]})),
        prop::collection::vec(inner.clone(), 1..3).prop_map(|l| json!({"Fn::And": l})),
        prop::collection::vec(inner.clone(), 1..3).prop_map(|l| json!({"Fn::Or": l})),
        inner.clone().prop_map(|v| json!({"Fn::Not": [v]})),
        inner.clone().prop_map(|v| json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"L": v}}})),
        inner.clone().prop_map(|v| json!({"Fn::ToJsonString": v})),
        inner.prop_map(|v| json!({"Fn::Length": v})),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(arb_name(), inner.clone(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            arb_intrinsic(inner),
        ]
    })
}

const TYPES: &[&str] =
    &["AWS::S3::Bucket", "AWS::EC2::Instance", "AWS::IAM::Role", "AWS::EC2::Subnet", "AWS::SNS::Topic", "Custom::X"];

fn arb_resource() -> impl Strategy<Value = Value> {
    (prop::sample::select(TYPES), prop::collection::btree_map(arb_name(), arb_value(), 0..4), any::<bool>()).prop_map(
        |(t, props, depends)| {
            let mut r = json!({"Type": t, "Properties": Value::Object(props.into_iter().collect())});
            if depends {
                r["DependsOn"] = json!("A");
            }
            r
        },
    )
}

fn arb_template() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map("[A-Z][a-z0-9]{0,4}", arb_resource(), 1..4),
        prop::option::of(("[a-z]{1,3}", prop::collection::vec("[a-z]{1,3}", 0..3), arb_resource())),
        prop::collection::btree_map("[A-Z][a-z]{0,4}", arb_value(), 0..3),
        prop::collection::btree_map("[A-Z][a-z]{0,4}", arb_value(), 0..3),
    )
        .prop_map(|(resources, each, conditions, outputs)| {
            let mut resources: Map<String, Value> = resources.into_iter().collect();
            if let Some((ident, items, r)) = each {
                resources.insert("Fn::ForEach::Loop".into(), json!([ident, items, {format!("Thing${{{ident}}}"): r}]));
            }
            json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Resources": resources,
                "Conditions": Value::Object(conditions.into_iter().collect()),
                "Outputs": Value::Object(outputs.into_iter().map(|(k, v)| (k, json!({"Value": v}))).collect()),
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// For a generated template `t`: `diff(t, yaml(t))` and `diff(json(t), t)` are empty, the YAML
    /// written with short forms and YAML 1.1 spellings chosen per node. Both texts also read back to
    /// exactly `t` (normalized), so the diff's lenient comparison hides no misreading.
    #[test]
    fn a_template_its_yaml_and_its_json_are_one_template(t in arb_template(), seed in any::<u64>()) {
        let yaml = to_yaml(&t, Some(seed));
        let from_yaml = parse_template(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let d = diff_templates(&t, &from_yaml);
        prop_assert!(d.is_empty(), "diff(t, yaml(t)) = {d:#?}\n{yaml}");
        prop_assert_eq!(&from_yaml, &normalize(t.clone()), "{}", yaml);

        let json = serde_json::to_string_pretty(&t).unwrap();
        let from_json = parse_template(&json).unwrap();
        let d = diff_templates(&from_json, &t);
        prop_assert!(d.is_empty(), "diff(json(t), t) = {d:#?}");
        prop_assert_eq!(&from_json, &normalize(t.clone()));
    }
}

#[test]
fn the_yaml_writer_uses_short_forms_and_yaml_1_1_spellings() {
    let t = json!({"R": {"Ref": "B"}, "G": {"Fn::GetAtt": ["D", "Arn"]}, "Z": {"Fn::GetAZs": ""},
                   "S": "yes", "T": true, "O": "017", "L": [{"Fn::If": ["C", 1, 2]}]});
    let plain = to_yaml(&t, None);
    for written in ["R: !Ref B", "G: !GetAtt D.Arn", "Z: !GetAZs\n", "S: 'yes'", "T: true", "O: '017'", "- !If"] {
        assert!(plain.contains(written), "{written:?} in\n{plain}");
    }
    // Across seeds, the YAML 1.1 spellings of a boolean, the non-specific tag on a mapping and on a key,
    // and the other short spellings all turn up.
    let all: String = (1..1000).map(|s| to_yaml(&t, Some(s))).collect();
    let spellings: &[&[&str]] = &[
        &["T: yes"],
        &["T: on"],
        &["R: ! {"],
        &["! Ref:", "! 'Ref':", "! \"Ref\":"],
        &["Z: !GetAZs ''"],
        &["!GetAtt [D, Arn]"],
    ];
    for alternatives in spellings {
        assert!(alternatives.iter().any(|w| all.contains(w)), "{alternatives:?} never written");
    }
}

// ---------------------------------------------------------------------------------------------------
// Minimal pairs.

fn parse(text: &str) -> Value {
    parse_template(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn pair(old: &str, new: &str) -> TemplateDiff {
    diff_templates(&parse(old), &parse(new))
}

/// A subnet in the first availability zone, and two resources whose createOnly `SubnetId` refers to it:
/// a false replacement of the subnet would spread to both.
fn subnet(az: &str) -> String {
    format!(
        "Resources:
  Subnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: vpc-1
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: {az}
  Assoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {{SubnetId: !Ref Subnet, RouteTableId: rtb-1}}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {{SubnetId: !Ref Subnet, AllocationId: eipalloc-1}}
"
    )
}

#[test]
fn get_azs_without_an_argument_is_the_empty_string() {
    let bare = subnet("!Select [0, !GetAZs]");
    assert_eq!(
        parse(&bare)["Resources"]["Subnet"]["Properties"]["AvailabilityZone"],
        json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
    );
    for same in [
        subnet("!Select [0, !GetAZs '']"),
        subnet("!Select [0, !GetAZs \"\"]"),
        subnet("!Select\n        - 0\n        - !GetAZs"),
        subnet("{\"Fn::Select\": [0, {\"Fn::GetAZs\": \"\"}]}"),
        subnet("!Select [0, {\"Fn::GetAZs\": ''}]"),
    ] {
        assert_eq!(verdicts(&pair(&bare, &same)), expect(&[]), "{same}");
    }
    // A real change of zone replaces the subnet, and the replacement spreads.
    use Impact::Replace;
    let d = pair(&bare, &subnet("!Select [0, !GetAZs us-west-2]"));
    assert_eq!(verdicts(&d), expect(&[("Assoc", Replace), ("Nat", Replace), ("Subnet", Replace)]));
}

#[test]
fn the_non_specific_tag_is_the_plain_mapping() {
    let yaml = "Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: b1}
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !
        \"Ref\": Bucket
      PolicyDocument: {Statement: []}
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      Tags:
        - ! \"Key\": bucket
          Value: ! {\"Fn::GetAtt\": [Bucket, Arn]}
";
    let json_form = json!({"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b1"}},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {"Statement": []}}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": [{"Key": "bucket", "Value": {"Fn::GetAtt": ["Bucket", "Arn"]}}]}}
    }});
    assert_eq!(parse(yaml), json_form);
    assert_eq!(verdicts(&diff_templates(&json_form, &parse(yaml))), expect(&[]));
    // Read as references, they carry the bucket's replacement: the policy's createOnly `Bucket` reads its
    // physical ID; the topic's tag is updated with the new ARN.
    let d = pair(yaml, &yaml.replace("b1", "b2"));
    use Impact::{Replace, Update};
    assert_eq!(verdicts(&d), expect(&[("Bucket", Replace), ("Policy", Replace), ("Topic", Update)]));
}

#[test]
fn yaml_1_1_scalars_are_what_cloudformation_reads() {
    // (plain YAML, the JSON value it is, a JSON value it is not)
    let cases: &[(&str, Value, Value)] = &[
        ("yes", json!(true), json!("yes")),
        ("Yes", json!(true), json!("Yes")),
        ("NO", json!(false), json!("NO")),
        ("on", json!(true), json!("on")),
        ("Off", json!(false), json!("Off")),
        // CloudFormation's parser, as PyYAML, leaves out YAML 1.1's `y`/`n` booleans (aws/aws-cli#7805).
        ("y", json!("y"), json!(true)),
        ("Y", json!("Y"), json!(true)),
        ("n", json!("n"), json!(false)),
        ("N", json!("N"), json!(false)),
        ("True", json!(true), json!("1")),
        ("017", json!(15), json!("017")),
        ("0x1F", json!(31), json!("0x1F")),
        ("0b11", json!(3), json!("0b11")),
        ("1_000", json!(1000), json!("1_000")),
        ("1:30", json!(90), json!("1:30")),
        ("1:30.5", json!(90.5), json!("1:30.5")),
        ("'yes'", json!("yes"), json!(true)),
        ("\"017\"", json!("017"), json!(15)),
        ("2010-09-09", json!("2010-09-09"), json!(20100909)),
    ];
    let yaml: String = std::iter::once("Resources:\n".to_string())
        .chain(cases.iter().enumerate().map(|(i, (text, _, _))| {
            format!(
                "  P{i}:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: {text}\n"
            )
        }))
        .collect();
    let json_with = |pick: &dyn Fn(&(&str, Value, Value)) -> Value| {
        let resources: Map<String, Value> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    format!("P{i}"),
                    json!({"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": pick(c)}}),
                )
            })
            .collect();
        json!({ "Resources": resources })
    };
    let read = parse(&yaml);
    let equal = json_with(&|c| c.1.clone());
    assert_eq!(read, equal, "read exactly as the JSON form");
    assert_eq!(verdicts(&diff_templates(&equal, &read)), expect(&[]));
    let unequal = json_with(&|c| c.2.clone());
    let every: Vec<(String, Impact)> = (0..cases.len()).map(|i| (format!("P{i}"), Impact::Update)).collect();
    let every: Vec<(&str, Impact)> = every.iter().map(|(id, i)| (id.as_str(), *i)).collect();
    assert_eq!(verdicts(&diff_templates(&unequal, &read)), expect(&every));
}

#[test]
fn every_short_form_is_its_long_form_nested_too() {
    // (short form, long form)
    let cases: &[(&str, Value)] = &[
        ("!Ref Bucket", json!({"Ref": "Bucket"})),
        ("!Sub '${Bucket}-logs'", json!({"Fn::Sub": "${Bucket}-logs"})),
        (
            "!Sub ['${B}-${AWS::Region}', {B: !Ref Bucket}]",
            json!({"Fn::Sub": ["${B}-${AWS::Region}", {"B": {"Ref": "Bucket"}}]}),
        ),
        ("!GetAtt Bucket.Arn", json!({"Fn::GetAtt": ["Bucket", "Arn"]})),
        ("!GetAtt Db.Endpoint.Address", json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})),
        ("!GetAtt [Bucket, Arn]", json!({"Fn::GetAtt": ["Bucket", "Arn"]})),
        (
            "!If [IsProd, !Ref Bucket, !Ref AWS::NoValue]",
            json!({"Fn::If": ["IsProd", {"Ref": "Bucket"}, {"Ref": "AWS::NoValue"}]}),
        ),
        ("!Join [',', [a, !Ref Bucket]]", json!({"Fn::Join": [",", ["a", {"Ref": "Bucket"}]]})),
        (
            "!Select [1, !Split [',', !ImportValue Shared]]",
            json!({"Fn::Select": [1, {"Fn::Split": [",", {"Fn::ImportValue": "Shared"}]}]}),
        ),
        (
            "!FindInMap [Sizes, !Ref AWS::Region, Small]",
            json!({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Small"]}),
        ),
        ("!ImportValue\n        Fn::Sub: '${Env}-vpc'", json!({"Fn::ImportValue": {"Fn::Sub": "${Env}-vpc"}})),
        (
            "!Base64\n        Fn::Sub: |\n          #!/bin/sh\n          echo ${Bucket}",
            json!({"Fn::Base64": {"Fn::Sub": "#!/bin/sh\necho ${Bucket}\n"}}),
        ),
        ("!Cidr [!GetAtt Vpc.CidrBlock, 4, 8]", json!({"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 4, 8]})),
        (
            "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
            json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}),
        ),
        ("!GetAZs", json!({"Fn::GetAZs": ""})),
        ("!GetAZs us-east-1", json!({"Fn::GetAZs": "us-east-1"})),
    ];
    let conditions: &[(&str, Value)] = &[
        ("!Equals [!Ref Env, prod]", json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]})),
        (
            "!And [!Condition IsProd, !Not [!Condition IsEu]]",
            json!({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Not": [{"Condition": "IsEu"}]}]}),
        ),
        (
            "!Or [!Equals [a, !Ref Env], !Condition IsProd]",
            json!({"Fn::Or": [{"Fn::Equals": ["a", {"Ref": "Env"}]}, {"Condition": "IsProd"}]}),
        ),
    ];
    let yaml = |props: &[(&str, Value)], conds: &[(&str, Value)]| {
        let mut out = String::from("Conditions:\n");
        for (i, (short, _)) in conds.iter().enumerate() {
            out.push_str(&format!("  C{i}: {short}\n"));
        }
        out.push_str("Resources:\n  Thing:\n    Type: Custom::Thing\n    Properties:\n");
        for (i, (short, _)) in props.iter().enumerate() {
            out.push_str(&format!("      P{i}: {short}\n"));
        }
        out
    };
    let long = |props: &[(&str, Value)], conds: &[(&str, Value)]| {
        let p: Map<String, Value> = props.iter().enumerate().map(|(i, (_, v))| (format!("P{i}"), v.clone())).collect();
        let c: Map<String, Value> = conds.iter().enumerate().map(|(i, (_, v))| (format!("C{i}"), v.clone())).collect();
        json!({"Conditions": c, "Resources": {"Thing": {"Type": "Custom::Thing", "Properties": p}}})
    };
    let read = parse(&yaml(cases, conditions));
    for (i, (short, want)) in cases.iter().enumerate() {
        assert_eq!(read["Resources"]["Thing"]["Properties"][format!("P{i}")], normalize(want.clone()), "{short}");
    }
    for (i, (short, want)) in conditions.iter().enumerate() {
        assert_eq!(read["Conditions"][format!("C{i}")], *want, "{short}");
    }
    let d = diff_templates(&long(cases, conditions), &read);
    assert!(d.is_empty(), "{d:#?}");
    // One argument changed deep inside a nested short form is seen.
    let mut changed = cases.to_vec();
    changed[8] = ("!Select [1, !Split [',', !ImportValue Other]]", json!(null));
    let d = diff_templates(&long(cases, conditions), &parse(&yaml(&changed, conditions)));
    assert_eq!(verdicts(&d), expect(&[("Thing", Impact::MayReplace)]));
    assert_eq!(d.resources[0].properties[0].path, "Properties/P8");
    let mut changed = conditions.to_vec();
    changed[1] = ("!And [!Condition IsProd, !Not [!Condition IsUs]]", json!(null));
    let d = diff_templates(&long(cases, conditions), &parse(&yaml(cases, &changed)));
    assert_eq!(verdicts(&d), expect(&[]));
    assert_eq!(
        d.conditions.iter().map(|e| (e.id.as_str(), e.change)).collect::<Vec<_>>(),
        vec![("C1", Change::Modified)]
    );
}

// ---------------------------------------------------------------------------------------------------
// Fn::ForEach loops.

const LOOPS: &str = "Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Fn::ForEach::Subnets:
    - Az
    - [a, b]
    - Subnet${Az}:
        Type: AWS::EC2::Subnet
        DependsOn: Vpc
        Properties:
          VpcId: !Ref Vpc
          AvailabilityZone: !Sub '${AWS::Region}${Az}'
          CidrBlock: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 2, 8]]
  Fn::ForEach::Roles:
    - Name
    - !Ref Names
    - Role${Name}:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
          Policies:
            - PolicyName: read
              PolicyDocument:
                Statement: [{Effect: Allow, Action: s3:GetObject, Resource: !Sub 'arn:aws:s3:::${Name}/*'}]
Outputs:
  Fn::ForEach::SubnetIds:
    - Az
    - [a, b]
    - SubnetId${Az}:
        Value: !Ref
          Fn::Sub: Subnet${Az}
";

#[test]
fn for_each_loops_read_as_the_language_extension_writes_them() {
    let read = parse(LOOPS);
    let long = json!({
        "Transform": "AWS::LanguageExtensions",
        "Parameters": {"Names": {"Type": "CommaDelimitedList"}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Fn::ForEach::Subnets": ["Az", ["a", "b"], {"Subnet${Az}": {"Type": "AWS::EC2::Subnet", "DependsOn": ["Vpc"],
                "Properties": {"VpcId": {"Ref": "Vpc"}, "AvailabilityZone": {"Fn::Sub": "${AWS::Region}${Az}"},
                    "CidrBlock": {"Fn::Select": [0, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]}}}}],
            "Fn::ForEach::Roles": ["Name", {"Ref": "Names"}, {"Role${Name}": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                    "Resource": {"Fn::Sub": "arn:aws:s3:::${Name}/*"}}]}}]}}}]
        },
        "Outputs": {"Fn::ForEach::SubnetIds": ["Az", ["a", "b"], {"SubnetId${Az}": {"Value": {"Ref": {"Fn::Sub": "Subnet${Az}"}}}}]}
    });
    assert_eq!(read, long);
    assert!(diff_templates(&long, &read).is_empty());
    // DependsOn written as one name inside a loop is the same as a list of it.
    assert!(diff_templates(&read, &parse(&LOOPS.replace("DependsOn: Vpc", "DependsOn: [Vpc]"))).is_empty());
}

#[test]
fn a_change_inside_a_loop_has_the_verdict_of_the_resource_it_makes() {
    use Impact::{Create, Destroy, MayReplace, Replace, Update};
    const SUBNET: &str = "Fn::ForEach::Subnets/Subnet${Az}";
    const ROLE: &str = "Fn::ForEach::Roles/Role${Name}";
    // The VPC is replaced; the loop's subnets refer to it in their createOnly VpcId.
    let d = pair(LOOPS, &LOOPS.replace("10.0.0.0/16", "10.1.0.0/16"));
    assert_eq!(verdicts(&d), expect(&[(SUBNET, Replace), ("Vpc", Replace)]));
    // A createOnly property in the loop's template.
    let d = pair(LOOPS, &LOOPS.replace("[!GetAtt Vpc.CidrBlock, 2, 8]", "[!GetAtt Vpc.CidrBlock, 4, 8]"));
    assert_eq!(verdicts(&d), expect(&[(SUBNET, Replace)]));
    assert_eq!(d.resources[0].kind, "AWS::EC2::Subnet");
    // What the loop iterates over.
    let d = pair(LOOPS, &LOOPS.replace("- [a, b]\n    - Subnet${Az}:", "- [a]\n    - Subnet${Az}:"));
    assert_eq!(verdicts(&d), expect(&[("Fn::ForEach::Subnets", Destroy)]));
    let loop_change = &d.resources[0];
    assert_eq!((loop_change.kind.as_str(), loop_change.properties[0].path.as_str()), ("Fn::ForEach", "Collection"));
    let d = pair(LOOPS, &LOOPS.replace("- [a, b]\n    - Subnet${Az}:", "- [b, a, c]\n    - Subnet${Az}:"));
    assert_eq!(verdicts(&d), expect(&[("Fn::ForEach::Subnets", Create)]));
    let d = pair(LOOPS, &LOOPS.replace("- !Ref Names", "- !Ref OtherNames"));
    assert_eq!(verdicts(&d), expect(&[("Fn::ForEach::Roles", MayReplace)]));
    // A broader policy inside a loop is a security change of the resource it makes.
    let d = pair(LOOPS, &LOOPS.replace("Action: s3:GetObject", "Action: 's3:*'"));
    assert_eq!(verdicts(&d), expect(&[(ROLE, Update)]));
    let added = d.security.iter().find(|s| s.change == Change::Added).expect("a security change");
    assert!(added.broadens && added.logical_id == ROLE, "{added:#?}");
    // A loop removed deletes what it made; the loop entry itself is no resource to list.
    let without: String =
        LOOPS.replace("Fn::ForEach::Subnets:", "Fn::ForEach::Gone:").replace("Subnet${Az}:", "Other${Az}:");
    let d = pair(LOOPS, &without);
    assert_eq!(verdicts(&d), expect(&[("Fn::ForEach::Gone/Other${Az}", Create), (SUBNET, Destroy)]));
    // Loops in Outputs are compared as entries.
    let d = pair(
        LOOPS,
        &LOOPS.replace(
            "Value: !Ref\n          Fn::Sub: Subnet${Az}",
            "Value: !GetAtt\n          - !Sub Subnet${Az}\n          - SubnetId",
        ),
    );
    assert_eq!(verdicts(&d), expect(&[]));
    assert_eq!(
        d.outputs.iter().map(|e| (e.id.as_str(), e.change)).collect::<Vec<_>>(),
        vec![("Fn::ForEach::SubnetIds", Change::Modified)]
    );
}
