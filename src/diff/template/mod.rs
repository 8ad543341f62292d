//! The structural diff of two CloudFormation templates.
//!
//! Resources are matched by logical ID and compared property by property; each changed path gets an
//! [`Impact`] from the resource type's facts (`createOnly` in `cfn-resource-types.json` replaces,
//! `conditionalCreateOnly` may replace, anything else updates in place), and a
//! replacement then propagates to every property that refers to the replaced resource. Parameters,
//! Conditions, Mappings and Outputs are compared entry by entry; every other top-level key lands in
//! [`TemplateDiff::other`], so nothing is dropped.
//!
//! How replacement propagates (the issue left the exact rule open): replacing a resource gives it a new
//! physical object, so its `Ref` (the physical ID) certainly changes, while a `Fn::GetAtt` attribute may
//! or may not (a database's port survives its replacement, its endpoint does not). A property of another
//! resource that refers to a replaced one therefore changes value on deploy even though its text did not.
//! That property is reported with [`Cause::Reference`], and its impact is:
//! - `replace` when the property is `createOnly` for the referrer and the reference is a `Ref` (or `${X}`
//!   in `Fn::Sub`) to a resource that is certainly replaced;
//! - `may-replace` when the property is `createOnly` but the reference is a `Fn::GetAtt` (or `${X.Attr}`),
//!   or the referenced resource is itself only possibly replaced, and whenever the property is
//!   `conditionalCreateOnly` (a new value there replaces the referrer only if it cannot be applied in
//!   place, which nothing in the template tells);
//! - `update` otherwise (the referrer is updated in place with the new value).
//!
//! Where the resource's own `UpdatePolicy` decides what a `conditionalCreateOnly` change does (an Auto
//! Scaling group's launch template or subnets: replaced only under `AutoScalingReplacingUpdate:
//! {WillReplace: true}`), that decides instead ([`update_policy`]), for a changed value and for a
//! reference alike.
//!
//! `Fn::ForEach` loops (the `AWS::LanguageExtensions` transform) are not resources with a type, and the
//! resources they make have logical IDs only after expansion, which may need parameter values. So the
//! diff does not expand them: each resource in a loop's template is compared as a resource named by the
//! loop and its output key (`Fn::ForEach::Buckets/Bucket${Name}`), with the same facts, security summary
//! and propagation as any other; and the loop itself is an entry of type `Fn::ForEach` whose
//! `Identifier` and `Collection` are compared ([`Cause::LoopCollection`]). Loops in Conditions and
//! Outputs are compared as entries, like everything in those sections.
//!
//! The referrer's own new impact propagates in turn, until nothing changes. Resource types slipway has no
//! facts about (custom resources, types newer than the bundled data) get `may-replace` for any property
//! change, because nothing says they will not be replaced.

mod loops;
mod propagate;
mod update_policy;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::security::{self, SecurityChange};
use super::value::{self, differs_at, overlaps, same};
use super::{Change, Impact};
use crate::cfn::resource_types;
use loops::{is_loop, loop_collection_impact, with_loops};
use propagate::propagate;

/// The sections compared entry by entry; every other top-level key is "other".
const SECTIONS: [&str; 5] = ["Resources", "Parameters", "Conditions", "Mappings", "Outputs"];

/// Why a property path has the impact it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The value changed, and the type's facts say it updates in place.
    Value,
    /// The value changed under the `createOnly` path given (`/`-separated, `*` for list items).
    CreateOnly(String),
    /// The value changed under the `conditionalCreateOnly` path given: CloudFormation replaces the
    /// resource when the change cannot be made in place (an engine downgrade, an instance type on an
    /// instance-store instance), so it may be replaced.
    ConditionalCreateOnly(String),
    /// The value changed under the `conditionalCreateOnly` path given, and the resource's `UpdatePolicy`
    /// says CloudFormation replaces it for such a change (an Auto Scaling group with
    /// `AutoScalingReplacingUpdate: {WillReplace: true}`).
    UpdatePolicy(String),
    /// The resource's type changed.
    TypeChange,
    /// The text is unchanged, but it refers to a resource that is (or may be) replaced, so its value
    /// changes on deploy.
    Reference {
        /// The referred-to resource.
        target: String,
        /// Whether the reference reads the physical ID (`Ref`, `${X}`) rather than an attribute.
        by_ref: bool,
        /// The referred-to resource's impact (`replace` or `may-replace`).
        target_impact: Impact,
    },
    /// The resource type is not in the bundled facts, so any change may replace it.
    UnknownType,
    /// The collection of a `Fn::ForEach` loop changed: resources made for items no longer in it are
    /// deleted (`destroy`), for new items created (`create`), and when the collection is not a literal
    /// list, slipway cannot tell which (`may-replace`).
    LoopCollection,
}

/// One changed path of a resource.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyChange {
    /// `/`-separated path below the resource: `Properties/VersioningConfiguration/Status`, `Type`,
    /// `DependsOn`, `Metadata/...`.
    pub path: String,
    /// The old value, absent when the path was added.
    pub old: Option<Value>,
    /// The new value, absent when the path was removed.
    pub new: Option<Value>,
    /// What this change does to the resource.
    pub impact: Impact,
    /// Why.
    pub cause: Cause,
}

/// One resource that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    /// The logical ID.
    pub logical_id: String,
    /// The resource type (the new one when it changed).
    pub kind: String,
    /// The old type, when it changed.
    pub old_kind: Option<String>,
    /// Added, removed or modified.
    pub change: Change,
    /// The worst impact of its changes.
    pub impact: Impact,
    /// The changed paths of a modified resource (empty for added and removed ones).
    pub properties: Vec<PropertyChange>,
    /// Whether `impact` is CloudFormation's verdict from a change set rather than slipway's own.
    pub from_change_set: bool,
}

/// One entry of Parameters, Conditions, Mappings or Outputs, or a top-level key, that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryChange {
    /// The entry's name (the top-level key, for "other" changes).
    pub id: String,
    /// Added, removed or modified.
    pub change: Change,
    /// The old value.
    pub old: Option<Value>,
    /// The new value.
    pub new: Option<Value>,
}

/// Everything that differs between two templates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateDiff {
    /// Security-relevant changes, which a reviewer must read first.
    pub security: Vec<SecurityChange>,
    /// Resources, by logical ID.
    pub resources: Vec<ResourceChange>,
    /// Parameters.
    pub parameters: Vec<EntryChange>,
    /// Conditions.
    pub conditions: Vec<EntryChange>,
    /// Mappings.
    pub mappings: Vec<EntryChange>,
    /// Outputs.
    pub outputs: Vec<EntryChange>,
    /// Any other top-level key (`Description`, `Metadata`, `Transform`, `Rules`, ...).
    pub other: Vec<EntryChange>,
}

impl TemplateDiff {
    /// Whether the templates are equivalent.
    pub fn is_empty(&self) -> bool {
        self.security.is_empty()
            && self.resources.is_empty()
            && self.parameters.is_empty()
            && self.conditions.is_empty()
            && self.mappings.is_empty()
            && self.outputs.is_empty()
            && self.other.is_empty()
    }

    /// The worst impact on any resource, if any resource changes.
    pub fn worst(&self) -> Option<Impact> {
        self.resources.iter().map(|r| r.impact).max()
    }

    /// Takes CloudFormation's replacement verdicts (from a change set) over slipway's own for the
    /// modified resources it has one for: the resource's impact becomes the verdict, a property's impact
    /// becomes the verdict CloudFormation gave for that top-level property, and a property it gave none
    /// for is capped at the resource's verdict.
    pub fn apply_verdicts(&mut self, verdicts: &super::Verdicts) {
        for r in &mut self.resources {
            let Some(verdict) = verdicts.resources.get(&r.logical_id) else { continue };
            if r.change != Change::Modified {
                continue;
            }
            let per_property = verdicts.properties.get(&r.logical_id);
            for p in &mut r.properties {
                let top = p.path.strip_prefix("Properties/").and_then(|rest| rest.split('/').next());
                p.impact = match top.and_then(|t| per_property.and_then(|m| m.get(t))) {
                    Some(given) => *given,
                    None => p.impact.min(*verdict),
                };
            }
            r.impact = *verdict;
            r.from_change_set = true;
        }
    }
}

/// Diffs two templates given as JSON values (parsed from JSON or YAML by [`value::parse_template`], or
/// not yet normalized: they are normalized here either way). Never panics, whatever the values hold.
pub fn diff_templates(old: &Value, new: &Value) -> TemplateDiff {
    let old = value::normalized(old);
    let new = value::normalized(new);
    let old_resources = with_loops(section(&old, "Resources"));
    let new_resources = with_loops(section(&new, "Resources"));
    let mut diff = TemplateDiff {
        security: security::changes(&old_resources, &new_resources),
        resources: resources(&old_resources, &new_resources),
        parameters: entries(section(&old, "Parameters"), section(&new, "Parameters")),
        conditions: entries(section(&old, "Conditions"), section(&new, "Conditions")),
        mappings: entries(section(&old, "Mappings"), section(&new, "Mappings")),
        outputs: entries(section(&old, "Outputs"), section(&new, "Outputs")),
        other: Vec::new(),
    };
    // A section that is not an object is not modelled either: keep it in "other" rather than drop it.
    let rest = |t: &Value| -> Map<String, Value> {
        let top = t.as_object().unwrap_or(&EMPTY);
        top.iter()
            .filter(|(k, v)| !(SECTIONS.contains(&k.as_str()) && v.is_object()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    diff.other = entries(&rest(&old), &rest(&new));
    diff
}

fn section<'a>(t: &'a Value, name: &str) -> &'a Map<String, Value> {
    match t.get(name) {
        Some(Value::Object(m)) => m,
        _ => &EMPTY,
    }
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
static EMPTY_OBJECT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::Object(Map::new()));

fn entries(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<EntryChange> {
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    ids.into_iter()
        .filter_map(|id| {
            let (o, n) = (old.get(id), new.get(id));
            let change = match (o, n) {
                (Some(a), Some(b)) if same(a, b) => return None,
                (Some(_), Some(_)) => Change::Modified,
                (Some(_), None) => Change::Removed,
                _ => Change::Added,
            };
            Some(EntryChange { id: id.clone(), change, old: o.cloned(), new: n.cloned() })
        })
        .collect()
}

fn type_of(resource: &Value) -> String {
    match resource.get("Type") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn properties_of(resource: &Value) -> &Value {
    match resource.get("Properties") {
        Some(Value::Null) | None => &EMPTY_OBJECT,
        Some(p) => p,
    }
}

/// Differences in the resource attributes other than `Type` and `Properties` (`DependsOn`, `Condition`,
/// `DeletionPolicy`, `Metadata`, ...).
fn attribute_differences(old: &Value, new: &Value) -> Vec<value::Difference> {
    let (a, b) = (old.as_object().unwrap_or(&EMPTY), new.as_object().unwrap_or(&EMPTY));
    let keys: BTreeSet<&String> =
        a.keys().chain(b.keys()).filter(|k| k.as_str() != "Type" && k.as_str() != "Properties").collect();
    let mut out = Vec::new();
    for k in keys {
        let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
        if let (Some(_), Some(_)) = (a.get(k), b.get(k)) {
            for mut d in value::differences(x, y) {
                d.path.insert(0, k.clone());
                out.push(d);
            }
        } else {
            out.push(value::Difference { path: vec![k.clone()], old: a.get(k).cloned(), new: b.get(k).cloned() });
        }
    }
    out
}

fn resources(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<ResourceChange> {
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changes: BTreeMap<String, ResourceChange> = BTreeMap::new();
    for id in ids {
        let change = match (old.get(id), new.get(id)) {
            // A loop added or removed makes or deletes its resources, which are listed themselves.
            (None, Some(r)) | (Some(r), None) if is_loop(id, r) => None,
            (None, Some(n)) => Some(ResourceChange {
                logical_id: id.clone(),
                kind: type_of(n),
                old_kind: None,
                change: Change::Added,
                impact: Impact::Create,
                properties: Vec::new(),
                from_change_set: false,
            }),
            (Some(o), None) => {
                let retained =
                    matches!(o.get("DeletionPolicy").and_then(Value::as_str), Some("Retain" | "RetainExceptOnCreate"));
                Some(ResourceChange {
                    logical_id: id.clone(),
                    kind: type_of(o),
                    old_kind: None,
                    change: Change::Removed,
                    impact: if retained { Impact::Orphan } else { Impact::Destroy },
                    properties: Vec::new(),
                    from_change_set: false,
                })
            }
            (Some(o), Some(n)) => modified(id, o, n),
            (None, None) => None,
        };
        if let Some(c) = change {
            changes.insert(id.clone(), c);
        }
    }
    propagate(old, new, &mut changes);
    changes.into_values().collect()
}

fn modified(id: &str, old: &Value, new: &Value) -> Option<ResourceChange> {
    let (old_kind, kind) = (type_of(old), type_of(new));
    let mut properties = Vec::new();
    if !old.is_object() || !new.is_object() {
        // Not a resource CloudFormation would accept, but it differs: show it whole rather than drop it.
        if same(old, new) {
            return None;
        }
        properties.push(PropertyChange {
            path: NOT_A_MAPPING.into(),
            old: Some(old.clone()),
            new: Some(new.clone()),
            impact: Impact::MayReplace,
            cause: Cause::UnknownType,
        });
    } else if is_loop(id, old) && is_loop(id, new) {
        let (old_props, new_props) = (properties_of(old), properties_of(new));
        for d in value::differences(old_props, new_props) {
            let (impact, cause) = if d.path.first().is_some_and(|p| p == "Collection") {
                (loop_collection_impact(&old_props["Collection"], &new_props["Collection"]), Cause::LoopCollection)
            } else {
                // A new identifier changes the placeholders, which show as changes of the loop's resources.
                (Impact::Update, Cause::Value)
            };
            properties.push(PropertyChange { path: d.path.join("/"), old: d.old, new: d.new, impact, cause });
        }
    } else if old_kind != kind {
        properties.push(PropertyChange {
            path: "Type".into(),
            old: Some(Value::String(old_kind.clone())),
            new: Some(Value::String(kind.clone())),
            impact: Impact::Replace,
            cause: Cause::TypeChange,
        });
    }
    let (old_props, new_props) = (properties_of(old), properties_of(new));
    if !is_loop(id, new) {
        for d in value::differences(old_props, new_props) {
            let (impact, cause) = property_impact(&kind, &d.path, old_props, new, new_props);
            properties.push(PropertyChange {
                path: join("Properties", &d.path),
                old: d.old,
                new: d.new,
                impact,
                cause,
            });
        }
    }
    for d in attribute_differences(old, new) {
        properties.push(PropertyChange {
            path: d.path.join("/"),
            old: d.old,
            new: d.new,
            impact: Impact::Update,
            cause: Cause::Value,
        });
    }
    if properties.is_empty() {
        return None;
    }
    let impact = properties.iter().map(|p| p.impact).max().unwrap_or(Impact::Update);
    Some(ResourceChange {
        logical_id: id.to_string(),
        kind: kind.clone(),
        old_kind: (old_kind != kind).then_some(old_kind),
        change: Change::Modified,
        impact,
        properties,
        from_change_set: false,
    })
}

/// The path shown for a resource entry that is not a mapping at all.
const NOT_A_MAPPING: &str = "(not a mapping)";

fn join(prefix: &str, path: &[String]) -> String {
    if path.is_empty() { prefix.to_string() } else { format!("{prefix}/{}", path.join("/")) }
}

/// The impact of a change at `path` (below `Properties`) of a resource of type `kind`, whose new form is
/// `resource` (its `UpdatePolicy` may decide) with properties `new`.
fn property_impact(kind: &str, path: &[String], old: &Value, resource: &Value, new: &Value) -> (Impact, Cause) {
    let Some(spec) = resource_types::get(kind) else {
        return (Impact::MayReplace, Cause::UnknownType);
    };
    // The change touches the (conditional) createOnly path; a change above it (a whole object added)
    // counts only when the value at that path itself differs.
    let touches = |pattern: &str| {
        let segments: Vec<&str> = pattern.split('/').collect();
        overlaps(path, &segments) && differs_at(old, new, &segments)
    };
    if let Some(pattern) = spec.create_only.iter().find(|p| touches(p)) {
        return (Impact::Replace, Cause::CreateOnly((*pattern).to_string()));
    }
    if let Some(pattern) = spec.conditional_create_only.iter().find(|p| touches(p)) {
        return match update_policy::decides(kind, pattern, resource, true) {
            Some(Impact::Update) => (Impact::Update, Cause::Value),
            Some(impact) => (impact, Cause::UpdatePolicy((*pattern).to_string())),
            None => (Impact::MayReplace, Cause::ConditionalCreateOnly((*pattern).to_string())),
        };
    }
    (Impact::Update, Cause::Value)
}
