//! `slipway diff`: the security summary: IAM statements and security-group rules, broadening flagged.

use serde_json::{Value, json};
use slipway::diff::{Change, SecurityItem, diff_templates};

use super::templates::template;

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
