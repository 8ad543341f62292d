//! The security summary: IAM policy statements, managed-policy attachments and security-group rules that
//! a change adds or removes, each flagged when it broadens access.
//!
//! These are what a reviewer must not miss, and a property diff shows them badly (a statement that moved
//! within a list looks like many changes; a new `AWS::EC2::SecurityGroupIngress` looks like any new
//! resource). So they are extracted from both templates as sets, keyed by where they are attached and
//! what they say, and compared as sets: reordering is no change, any real change is a removal plus an
//! addition. `Sid` and rule descriptions are not part of the key.
//!
//! Sources: `AWS::IAM::Role`/`User`/`Group` (trust policy, inline policies, `ManagedPolicyArns`),
//! `AWS::IAM::Policy`/`ManagedPolicy` (document and the roles, users, groups it is attached to), bucket,
//! topic and queue policies, KMS key policies, `AWS::Lambda::Permission`, and security-group rules (inline
//! and as `AWS::EC2::SecurityGroupIngress`/`Egress` resources).
//!
//! Broadening: an added `Allow` statement, a removed `Deny` statement, an attached managed policy or
//! policy attachment, and an added security-group rule broaden access; the reasons name wildcards and
//! open address ranges.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Change;

/// What kind of security-relevant item.
#[derive(Clone, Debug, PartialEq)]
pub enum SecurityItem {
    /// An IAM policy statement.
    Statement(Statement),
    /// A managed policy attached to a role, user or group (`ManagedPolicyArns`).
    ManagedPolicy(Value),
    /// A policy resource (`AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`) attached to a role, user or
    /// group: the same statements now apply to someone else.
    Attachment {
        /// `Roles`, `Users` or `Groups`.
        kind: &'static str,
        /// The role, user or group, as the template names it.
        to: Value,
    },
    /// A security-group rule.
    Rule(Rule),
}

/// An IAM policy statement, normalized: lists for `Action`/`Resource`, principals as lists.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Allow` or `Deny`.
    pub effect: String,
    /// `Action` (or, with `not_action`, `NotAction`).
    pub actions: Vec<Value>,
    /// Whether `actions` is a `NotAction`.
    pub not_action: bool,
    /// `Resource` (or `NotResource`); empty in trust policies.
    pub resources: Vec<Value>,
    /// Whether `resources` is a `NotResource`.
    pub not_resource: bool,
    /// `Principal` (or `NotPrincipal`), as in the template; absent in identity policies.
    pub principals: Option<Value>,
    /// Whether `principals` is a `NotPrincipal`.
    pub not_principal: bool,
    /// `Condition`, as in the template.
    pub conditions: Option<Value>,
}

/// A security-group rule, normalized.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// `ingress` or `egress`.
    pub direction: &'static str,
    /// The security group: its logical ID when the template says which, else the expression.
    pub group: String,
    /// `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number.
    pub protocol: String,
    /// The port range, when the rule has one.
    pub ports: Option<(String, String)>,
    /// The other side: a CIDR block, a security group, or a prefix list.
    pub peer: String,
}

/// One security-relevant item added or removed.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityChange {
    /// Added or removed.
    pub change: Change,
    /// The resource it belongs to.
    pub logical_id: String,
    /// Where in that resource (`Properties/Policies[backend]/PolicyDocument`).
    pub source: String,
    /// The item.
    pub item: SecurityItem,
    /// Whether this grants more access than before.
    pub broadens: bool,
    /// What makes it broad: wildcards, open address ranges.
    pub reasons: Vec<String>,
}

/// The security-relevant items that differ between the two templates' `Resources`.
pub fn changes(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<SecurityChange> {
    let (before, after) = (items(old), items(new));
    let mut out = Vec::new();
    for (key, (id, source, item)) in &before {
        if !after.contains_key(key) {
            out.push(judge(Change::Removed, id, source, item));
        }
    }
    for (key, (id, source, item)) in &after {
        if !before.contains_key(key) {
            out.push(judge(Change::Added, id, source, item));
        }
    }
    out.sort_by(|a, b| (&a.logical_id, &a.source, a.change).cmp(&(&b.logical_id, &b.source, b.change)));
    out
}

type Found = (String, String, SecurityItem);

/// Every item in `resources`, keyed by where it is and what it says.
fn items(resources: &Map<String, Value>) -> BTreeMap<String, Found> {
    let mut out = BTreeMap::new();
    for (id, r) in resources {
        let kind = r.get("Type").and_then(Value::as_str).unwrap_or("");
        let Some(props) = r.get("Properties").filter(|p| p.is_object()) else { continue };
        let mut docs: Vec<(String, &Value)> = Vec::new();
        match kind {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                if let Some(d) = props.get("AssumeRolePolicyDocument") {
                    docs.push(("Properties/AssumeRolePolicyDocument".into(), d));
                }
                if let Some(Value::Array(policies)) = props.get("Policies") {
                    for (i, p) in policies.iter().enumerate() {
                        let name = match p.get("PolicyName") {
                            Some(Value::String(n)) => n.clone(),
                            _ => i.to_string(),
                        };
                        if let Some(d) = p.get("PolicyDocument") {
                            docs.push((format!("Properties/Policies[{name}]/PolicyDocument"), d));
                        }
                    }
                }
                if let Some(Value::Array(arns)) = props.get("ManagedPolicyArns") {
                    for arn in arns {
                        let source = "Properties/ManagedPolicyArns".to_string();
                        let key = format!("{id}\u{0}{source}\u{0}{}", canonical(arn));
                        out.insert(key, (id.clone(), source, SecurityItem::ManagedPolicy(arn.clone())));
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                if let Some(d) = props.get("PolicyDocument") {
                    docs.push(("Properties/PolicyDocument".into(), d));
                }
                for kind in ["Roles", "Users", "Groups"] {
                    if let Some(Value::Array(members)) = props.get(kind) {
                        for to in members {
                            let source = format!("Properties/{kind}");
                            let key = format!("{id}\u{0}{source}\u{0}{}", canonical(to));
                            out.insert(key, (id.clone(), source, SecurityItem::Attachment { kind, to: to.clone() }));
                        }
                    }
                }
            }
            "AWS::Lambda::Permission" => {
                // A resource-based policy of one statement: who may invoke the function, from where.
                let mut condition = Map::new();
                for (prop, key) in [("SourceArn", "ArnLike"), ("SourceAccount", "StringEquals")] {
                    if let Some(v) = props.get(prop) {
                        condition.insert(key.into(), serde_json::json!({ format!("aws:{prop}"): v }));
                    }
                }
                let statement = Statement {
                    effect: "Allow".into(),
                    actions: list(props.get("Action")),
                    not_action: false,
                    resources: list(props.get("FunctionName")),
                    not_resource: false,
                    principals: props.get("Principal").cloned(),
                    not_principal: false,
                    conditions: (!condition.is_empty()).then_some(Value::Object(condition)),
                };
                let source = "Properties".to_string();
                let key = format!("{id}\u{0}{source}\u{0}{}", statement_key(&statement));
                out.insert(key, (id.clone(), source, SecurityItem::Statement(statement)));
            }
            "AWS::S3::BucketPolicy" | "AWS::SNS::TopicPolicy" | "AWS::SQS::QueuePolicy" => {
                if let Some(d) = props.get("PolicyDocument") {
                    docs.push(("Properties/PolicyDocument".into(), d));
                }
            }
            "AWS::KMS::Key" => {
                if let Some(d) = props.get("KeyPolicy") {
                    docs.push(("Properties/KeyPolicy".into(), d));
                }
            }
            "AWS::EC2::SecurityGroup" => {
                for (prop, direction) in [("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")] {
                    if let Some(Value::Array(rules)) = props.get(prop) {
                        for rule in rules {
                            insert_rule(&mut out, id, format!("Properties/{prop}"), rule, direction, id.clone());
                        }
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                let direction = if kind.ends_with("Ingress") { "ingress" } else { "egress" };
                let group = match props.get("GroupId").or_else(|| props.get("GroupName")) {
                    Some(g) => group_name(g),
                    None => "(no group)".into(),
                };
                insert_rule(&mut out, id, "Properties".into(), props, direction, group);
            }
            _ => {}
        }
        for (source, doc) in docs {
            let statements = match doc.get("Statement") {
                Some(Value::Array(list)) => list.iter().collect(),
                Some(single @ Value::Object(_)) => vec![single],
                _ => Vec::new(),
            };
            for s in statements {
                let statement = statement(s);
                let key = format!("{id}\u{0}{source}\u{0}{}", statement_key(&statement));
                out.insert(key, (id.clone(), source.clone(), SecurityItem::Statement(statement)));
            }
        }
    }
    out
}

fn insert_rule(
    out: &mut BTreeMap<String, Found>,
    id: &str,
    source: String,
    rule: &Value,
    direction: &'static str,
    group: String,
) {
    let rule = self::rule(rule, direction, group);
    let ports = rule.ports.as_ref().map(|(a, b)| format!("{a}-{b}")).unwrap_or_default();
    let key = format!("{id}\u{0}{source}\u{0}{direction} {} {} {ports} {}", rule.group, rule.protocol, rule.peer);
    out.insert(key, (id.to_string(), source, SecurityItem::Rule(rule)));
}

/// A logical ID when `g` is `Ref X` or `GetAtt X.GroupId`, else the expression.
fn group_name(g: &Value) -> String {
    match g {
        Value::String(s) => s.clone(),
        Value::Object(m) => match (m.get("Ref"), m.get("Fn::GetAtt")) {
            (Some(Value::String(id)), _) => id.clone(),
            (_, Some(Value::Array(items))) => items.first().and_then(Value::as_str).unwrap_or("?").to_string(),
            _ => g.to_string(),
        },
        _ => g.to_string(),
    }
}

fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn rule(r: &Value, direction: &'static str, group: String) -> Rule {
    let protocol = match scalar(r.get("IpProtocol")).map(|p| p.to_ascii_lowercase()) {
        Some(p) if p == "6" => "tcp".into(),
        Some(p) if p == "17" => "udp".into(),
        Some(p) if p == "1" => "icmp".into(),
        Some(p) if p == "all" => "-1".into(),
        Some(p) => p,
        None => "-1".into(),
    };
    let ports = match (scalar(r.get("FromPort")), scalar(r.get("ToPort"))) {
        (None, None) => None,
        (a, b) => Some((a.unwrap_or_else(|| "?".into()), b.unwrap_or_else(|| "?".into()))),
    };
    let peer_keys = [
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "SourceSecurityGroupName",
        "SourcePrefixListId",
        "DestinationSecurityGroupId",
        "DestinationPrefixListId",
    ];
    let peer = peer_keys
        .iter()
        .find_map(|k| {
            r.get(*k).map(|v| match *k {
                "CidrIp" | "CidrIpv6" => scalar(Some(v)).unwrap_or_default(),
                _ => format!("{} {}", k.trim_start_matches("Source").trim_start_matches("Destination"), group_name(v)),
            })
        })
        .unwrap_or_else(|| "(no peer)".into());
    Rule { direction, group, protocol, ports, peer }
}

fn list(v: Option<&Value>) -> Vec<Value> {
    let mut items = match v {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one.clone()],
    };
    items.sort_by_key(canonical);
    items.dedup_by(|a, b| canonical(a) == canonical(b));
    items
}

fn principals(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), Value::Array(list(Some(v))))).collect()),
        other => other.clone(),
    }
}

fn statement(s: &Value) -> Statement {
    let field = |a: &str, b: &str| match s.get(a) {
        Some(v) => (Some(v), false),
        None => (s.get(b), s.get(b).is_some()),
    };
    let (actions, not_action) = field("Action", "NotAction");
    let (resources, not_resource) = field("Resource", "NotResource");
    let (principal, not_principal) = field("Principal", "NotPrincipal");
    Statement {
        effect: scalar(s.get("Effect")).unwrap_or_else(|| "Allow".into()),
        actions: list(actions),
        not_action,
        resources: list(resources),
        not_resource,
        principals: principal.map(principals),
        not_principal,
        conditions: s.get("Condition").cloned(),
    }
}

/// Compact JSON with sorted keys: the identity of a value within a key.
fn canonical(v: &Value) -> String {
    v.to_string()
}

/// What makes two statements the same statement: everything but `Sid`, with lists as sets and action
/// names compared case-insensitively, as IAM does.
fn statement_key(s: &Statement) -> String {
    let actions: Vec<String> = s.actions.iter().map(|a| canonical(a).to_ascii_lowercase()).collect();
    format!(
        "{}|{}{:?}|{}{}|{}{}|{}",
        s.effect,
        s.not_action,
        actions,
        s.not_resource,
        canonical(&Value::Array(s.resources.clone())),
        s.not_principal,
        s.principals.as_ref().map(canonical).unwrap_or_default(),
        s.conditions.as_ref().map(canonical).unwrap_or_default()
    )
}

fn is_any(v: &Value) -> bool {
    v.as_str() == Some("*")
}

fn judge(change: Change, id: &str, source: &str, item: &SecurityItem) -> SecurityChange {
    let added = change == Change::Added;
    let mut reasons = Vec::new();
    let broadens = match item {
        SecurityItem::Statement(s) => {
            let allow = s.effect.eq_ignore_ascii_case("allow");
            if allow && added {
                if s.not_action {
                    reasons.push("allows every action but the ones listed (NotAction)".into());
                } else if s.actions.iter().any(is_any) {
                    reasons.push("allows any action (`*`)".into());
                } else if s.actions.iter().any(|a| a.as_str().is_some_and(|a| a.ends_with(":*"))) {
                    reasons.push("allows every action of a service (`service:*`)".into());
                }
                if s.not_resource {
                    reasons.push("on every resource but the ones listed (NotResource)".into());
                } else if s.resources.iter().any(is_any) {
                    reasons.push("on any resource (`*`)".into());
                }
                match &s.principals {
                    Some(p) if is_any(p) => reasons.push("to any principal (`*`)".into()),
                    Some(Value::Object(m))
                        if m.values().any(|v| v.as_array().is_some_and(|l| l.iter().any(is_any))) =>
                    {
                        reasons.push("to any principal (`*`)".into())
                    }
                    _ => {}
                }
                if s.not_principal {
                    reasons.push("to every principal but the ones listed (NotPrincipal)".into());
                }
            }
            if !allow && !added {
                reasons.push("removes a Deny".into());
            }
            allow == added
        }
        SecurityItem::Attachment { .. } => added,
        SecurityItem::ManagedPolicy(arn) => {
            if added && arn.as_str().is_some_and(|a| a.ends_with("/AdministratorAccess")) {
                reasons.push("attaches AdministratorAccess".into());
            }
            added
        }
        SecurityItem::Rule(r) => {
            if added {
                if r.peer == "0.0.0.0/0" || r.peer == "::/0" {
                    reasons.push(format!("open to the whole internet ({})", r.peer));
                }
                if r.protocol == "-1" || r.ports.as_ref().is_some_and(|(a, b)| (a == "0" || a == "-1") && b == "65535")
                {
                    reasons.push("all ports".into());
                }
            }
            added
        }
    };
    SecurityChange {
        change,
        logical_id: id.to_string(),
        source: source.to_string(),
        item: item.clone(),
        broadens,
        reasons,
    }
}

/// A one-line description for people.
pub fn describe(item: &SecurityItem) -> String {
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let join = |items: &[Value]| items.iter().map(show).collect::<Vec<_>>().join(", ");
    match item {
        SecurityItem::Statement(s) => {
            let mut line = format!(
                "{} {}{}",
                s.effect,
                if s.not_action { "all but " } else { "" },
                if s.actions.is_empty() { "(no action)".into() } else { join(&s.actions) }
            );
            if !s.resources.is_empty() {
                line.push_str(&format!(" on {}{}", if s.not_resource { "all but " } else { "" }, join(&s.resources)));
            }
            if let Some(p) = &s.principals {
                let who = match p {
                    Value::Object(m) => m
                        .iter()
                        .map(|(k, v)| format!("{k}: {}", join(v.as_array().map(Vec::as_slice).unwrap_or(&[]))))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => show(other),
                };
                line.push_str(&format!(" to {}{who}", if s.not_principal { "all but " } else { "" }));
            }
            if let Some(c) = &s.conditions {
                line.push_str(&format!(" when {c}"));
            }
            line
        }
        SecurityItem::ManagedPolicy(arn) => format!("managed policy {}", show(arn)),
        SecurityItem::Attachment { kind, to } => {
            format!("policy attached to {} {}", kind.trim_end_matches('s').to_ascii_lowercase(), show(to))
        }
        SecurityItem::Rule(r) => {
            let ports = match &r.ports {
                Some((a, b)) if a == b => format!(" port {a}"),
                Some((a, b)) => format!(" ports {a}-{b}"),
                None => String::new(),
            };
            let protocol = if r.protocol == "-1" { "all traffic".to_string() } else { r.protocol.clone() };
            let way = if r.direction == "ingress" { "from" } else { "to" };
            format!("{} {protocol}{ports} {way} {} on {}", r.direction, r.peer, r.group)
        }
    }
}
