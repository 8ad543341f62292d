//! The JSON rendering: a stable, documented shape for machines (CI gates, bots).
//!
//! ```text
//! {
//!   "format": 1,                       // bumped only on an incompatible change of this shape
//!   "compared": "environments",        // environments (`--against`) | templates (`OLD NEW`: one
//!                                      //   environment named `OLD → NEW`, a stack per template
//!                                      //   named by its relative path)
//!   "differences": true,               // false when nothing differs
//!   "worst_impact": "replace",         // worst resource impact anywhere, or null
//!   "environments": [{
//!     "name": "dev",
//!     "stacks": [{                     // only stacks that differ
//!       "name": "app",
//!       "change": "modified",          // added | removed | modified
//!       "worst_impact": "replace",     // or null when no resource changes
//!       "security": [{
//!         "change": "added",           // added | removed
//!         "kind": "iam-statement",     // iam-statement | managed-policy | policy-attachment |
//!                                      //   security-group-rule
//!         "logical_id": "BackendRole",
//!         "source": "Properties/Policies[backend]/PolicyDocument",
//!         "description": "Allow s3:GetObject on ...",
//!         "broadens": true,
//!         "reasons": ["on any resource (`*`)"],
//!         "detail": { ... }            // iam-statement: effect, actions, not_action, resources,
//!                                      //   not_resource, principals, not_principal, conditions
//!                                      // managed-policy: arn
//!                                      // policy-attachment: kind (Roles|Users|Groups), to
//!                                      // security-group-rule: direction, group, protocol,
//!                                      //   from_port, to_port, peer
//!       }],
//!       "resources": [{                // a resource of a Fn::ForEach loop's template is named
//!                                      //   `Fn::ForEach::Loop/OutputKey` (unexpanded); the loop itself
//!                                      //   is type `Fn::ForEach` with paths `Identifier`, `Collection`
//!         "logical_id": "Uploads",
//!         "type": "AWS::S3::Bucket",
//!         "old_type": "...",           // only when the type changed
//!         "change": "modified",        // added | removed | modified
//!         "impact": "replace",         // create | update | orphan | may-replace | replace | destroy
//!         "impact_source": "slipway",  // slipway (offline, from createOnly) | change-set (CloudFormation's)
//!         "properties": [{             // changed paths of a modified resource
//!           "path": "Properties/BucketName",   // `/`-separated, below the resource
//!           "old": "a",                // absent when the path was added
//!           "new": "b",                // absent when the path was removed
//!           "impact": "replace",
//!           "cause": "create-only",    // value | create-only | conditional-create-only | update-policy |
//!                                      //   type-change | reference | unknown-type | loop-collection
//!           "create_only": "BucketName",       // with cause create-only: the createOnly path
//!           "conditional_create_only": "Engine",  // with cause conditional-create-only (impact
//!                                      //   may-replace): replaced if it cannot change in place; and
//!                                      //   with update-policy: replaced, as the resource's UpdatePolicy
//!                                      //   says (an Auto Scaling group's WillReplace: true)
//!           "references": "OtherId"            // with cause reference: the (maybe) replaced resource
//!         }]
//!       }],
//!       "parameters": [{ "id": "...", "change": "added", "old": ..., "new": ... }],
//!       "conditions": [...], "mappings": [...], "outputs": [...],   // same shape as parameters
//!       "other": [...]                 // any other top-level key, same shape
//!     }],
//!     "files": [{                      // files that are not CloudFormation templates
//!       "path": "dev/cloudgov/manifest.yml",
//!       "change": "modified",
//!       "summary": ["app `web`: instances 1 → 2"],
//!       "unified_diff": "--- a/dev/...\n+++ b/dev/...\n@@ ..."
//!     }]
//!   }]
//! }
//! ```
//!
//! Every environment compared is listed, even when nothing in it differs. Values (`old`, `new`) are the
//! template's own JSON after normalization (YAML short forms in their long form).

use serde::Serialize;
use serde_json::{Value, json};

use super::super::security::{SecurityItem, describe};
use super::super::template::{Cause, EntryChange, PropertyChange, ResourceChange};
use super::super::{Change, Diff, Impact, SecurityChange};

#[derive(Serialize)]
struct Root<'a> {
    format: u32,
    compared: &'static str,
    differences: bool,
    worst_impact: Option<Impact>,
    environments: Vec<Env<'a>>,
}

#[derive(Serialize)]
struct Env<'a> {
    name: &'a str,
    stacks: Vec<Stack<'a>>,
    files: Vec<File<'a>>,
}

#[derive(Serialize)]
struct Stack<'a> {
    name: &'a str,
    change: Change,
    worst_impact: Option<Impact>,
    security: Vec<Security<'a>>,
    resources: Vec<Resource<'a>>,
    parameters: Vec<Entry<'a>>,
    conditions: Vec<Entry<'a>>,
    mappings: Vec<Entry<'a>>,
    outputs: Vec<Entry<'a>>,
    other: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Security<'a> {
    change: Change,
    kind: &'static str,
    logical_id: &'a str,
    source: &'a str,
    description: String,
    broadens: bool,
    reasons: &'a [String],
    detail: Value,
}

#[derive(Serialize)]
struct Resource<'a> {
    logical_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_type: Option<&'a str>,
    change: Change,
    impact: Impact,
    impact_source: &'static str,
    properties: Vec<Property<'a>>,
}

#[derive(Serialize)]
struct Property<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<&'a Value>,
    impact: Impact,
    cause: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_only: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conditional_create_only: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    references: Option<&'a str>,
}

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<&'a Value>,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    change: Change,
    summary: &'a [String],
    unified_diff: &'a str,
}

fn entries(list: &[EntryChange]) -> Vec<Entry<'_>> {
    list.iter().map(|e| Entry { id: &e.id, change: e.change, old: e.old.as_ref(), new: e.new.as_ref() }).collect()
}

fn property(p: &PropertyChange) -> Property<'_> {
    let (mut create_only, mut conditional_create_only, mut references) = (None, None, None);
    let cause = match &p.cause {
        Cause::Value => "value",
        Cause::CreateOnly(path) => {
            create_only = Some(path.as_str());
            "create-only"
        }
        Cause::ConditionalCreateOnly(path) => {
            conditional_create_only = Some(path.as_str());
            "conditional-create-only"
        }
        Cause::UpdatePolicy(path) => {
            conditional_create_only = Some(path.as_str());
            "update-policy"
        }
        Cause::TypeChange => "type-change",
        Cause::Reference { target, .. } => {
            references = Some(target.as_str());
            "reference"
        }
        Cause::UnknownType => "unknown-type",
        Cause::LoopCollection => "loop-collection",
    };
    Property {
        path: &p.path,
        old: p.old.as_ref(),
        new: p.new.as_ref(),
        impact: p.impact,
        cause,
        create_only,
        conditional_create_only,
        references,
    }
}

fn resource(r: &ResourceChange) -> Resource<'_> {
    Resource {
        logical_id: &r.logical_id,
        kind: &r.kind,
        old_type: r.old_kind.as_deref(),
        change: r.change,
        impact: r.impact,
        impact_source: if r.from_change_set { "change-set" } else { "slipway" },
        properties: r.properties.iter().map(property).collect(),
    }
}

fn security(s: &SecurityChange) -> Security<'_> {
    let (kind, detail) = match &s.item {
        SecurityItem::Statement(st) => (
            "iam-statement",
            json!({
                "effect": st.effect,
                "actions": st.actions,
                "not_action": st.not_action,
                "resources": st.resources,
                "not_resource": st.not_resource,
                "principals": st.principals,
                "not_principal": st.not_principal,
                "conditions": st.conditions,
            }),
        ),
        SecurityItem::ManagedPolicy(arn) => ("managed-policy", json!({ "arn": arn })),
        SecurityItem::Attachment { kind, to } => ("policy-attachment", json!({ "kind": kind, "to": to })),
        SecurityItem::Rule(r) => (
            "security-group-rule",
            json!({
                "direction": r.direction,
                "group": r.group,
                "protocol": r.protocol,
                "from_port": r.ports.as_ref().map(|p| &p.0),
                "to_port": r.ports.as_ref().map(|p| &p.1),
                "peer": r.peer,
            }),
        ),
    };
    Security {
        change: s.change,
        kind,
        logical_id: &s.logical_id,
        source: &s.source,
        description: describe(&s.item),
        broadens: s.broadens,
        reasons: &s.reasons,
        detail,
    }
}

/// The diff as the JSON value documented above.
pub fn to_json(diff: &Diff) -> Value {
    serde_json::to_value(view(diff)).expect("the diff's JSON view serializes")
}

/// The diff as pretty JSON text, keys in the documented order, with a final newline.
pub fn to_json_string(diff: &Diff) -> String {
    let mut s = serde_json::to_string_pretty(&view(diff)).expect("the diff's JSON view serializes");
    s.push('\n');
    s
}

fn view(diff: &Diff) -> Root<'_> {
    Root {
        format: 1,
        compared: diff.subject.as_str(),
        differences: !diff.is_empty(),
        worst_impact: diff.worst(),
        environments: diff
            .environments
            .iter()
            .map(|e| Env {
                name: &e.name,
                stacks: e
                    .stacks
                    .iter()
                    .map(|s| Stack {
                        name: &s.name,
                        change: s.change,
                        worst_impact: s.template.worst(),
                        security: s.template.security.iter().map(security).collect(),
                        resources: s.template.resources.iter().map(resource).collect(),
                        parameters: entries(&s.template.parameters),
                        conditions: entries(&s.template.conditions),
                        mappings: entries(&s.template.mappings),
                        outputs: entries(&s.template.outputs),
                        other: entries(&s.template.other),
                    })
                    .collect(),
                files: e
                    .files
                    .iter()
                    .map(|f| File { path: &f.path, change: f.change, summary: &f.summary, unified_diff: &f.unified })
                    .collect(),
            })
            .collect(),
    }
}
