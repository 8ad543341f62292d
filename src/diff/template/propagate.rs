//! How replacement spreads: a replaced resource gets a new physical object, so every property of another
//! resource that refers to it (`Ref`, `Fn::GetAtt`, `${X}` in `Fn::Sub`) changes value on deploy even
//! though its text did not. The rule for the impact of such a property is in the module above.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{Cause, PropertyChange, ResourceChange, join, properties_of, type_of, update_policy};
use crate::cfn::{resource_types, sub_placeholders};
use crate::diff::value::{self, is_intrinsic, overlaps};
use crate::diff::{Change, Impact};

/// A reference from a resource's property to another resource.
struct Reference {
    /// Path below `Properties` of the outermost intrinsic function holding the reference.
    path: Vec<String>,
    target: String,
    by_ref: bool,
}

/// Every reference to a resource in `value`, with the path where it sits.
fn references(value: &Value, path: &mut Vec<String>, out: &mut Vec<Reference>) {
    if is_intrinsic(value) {
        let mut found = Vec::new();
        targets(value, &BTreeSet::new(), &mut found);
        for (target, by_ref) in found {
            out.push(Reference { path: path.clone(), target, by_ref });
        }
        return;
    }
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                path.push(k.clone());
                references(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                references(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The logical IDs `value` refers to, each with whether by `Ref` (physical ID) or by attribute. Names in
/// `shadowed` are `Fn::Sub` variables, which a `${Name}` means instead of a resource.
fn targets(value: &Value, shadowed: &BTreeSet<String>, out: &mut Vec<(String, bool)>) {
    match value {
        Value::Object(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            match (k.as_str(), v) {
                ("Ref", Value::String(id)) => out.push((id.clone(), true)),
                ("Fn::GetAtt", Value::Array(items)) => {
                    if let Some(Value::String(id)) = items.first() {
                        out.push((id.clone(), false));
                    }
                    items.iter().skip(1).for_each(|i| targets(i, shadowed, out));
                }
                ("Fn::Sub", Value::String(s)) => sub_targets(s, shadowed, out),
                ("Fn::Sub", Value::Array(items)) => {
                    let mut inner = shadowed.clone();
                    if let Some(Value::Object(vars)) = items.get(1) {
                        inner.extend(vars.keys().cloned());
                        vars.values().for_each(|v| targets(v, shadowed, out));
                    }
                    if let Some(Value::String(s)) = items.first() {
                        sub_targets(s, &inner, out);
                    }
                }
                _ => targets(v, shadowed, out),
            }
        }
        Value::Object(m) => m.values().for_each(|v| targets(v, shadowed, out)),
        Value::Array(items) => items.iter().for_each(|v| targets(v, shadowed, out)),
        _ => {}
    }
}

/// The resources the `${X}` and `${X.Attr}` placeholders of an `Fn::Sub` string name (by `Ref`, or by
/// attribute), less the string's own variables (`shadowed`).
fn sub_targets(s: &str, shadowed: &BTreeSet<String>, out: &mut Vec<(String, bool)>) {
    for inner in sub_placeholders(s) {
        if shadowed.contains(inner) {
            continue;
        }
        match inner.split_once('.') {
            Some((id, _)) if !shadowed.contains(id) => out.push((id.to_string(), false)),
            Some(_) => {}
            None => out.push((inner.to_string(), true)),
        }
    }
}

/// Spreads replacement from replaced resources to the properties that refer to them, until nothing changes.
pub(super) fn propagate(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changes: &mut BTreeMap<String, ResourceChange>,
) {
    // Who refers to whom, among resources both sides have.
    let mut referrers: BTreeMap<String, Vec<(String, Reference)>> = BTreeMap::new();
    for (id, resource) in new {
        if !old.contains_key(id) {
            continue;
        }
        let mut found = Vec::new();
        references(properties_of(resource), &mut Vec::new(), &mut found);
        for r in found {
            if r.target != *id {
                referrers.entry(r.target.clone()).or_default().push((id.clone(), r));
            }
        }
    }
    if referrers.is_empty() {
        return;
    }
    let mut queue: Vec<String> = changes
        .values()
        .filter(|c| c.change == Change::Modified && c.impact >= Impact::MayReplace)
        .map(|c| c.logical_id.clone())
        .collect();
    let mut spread: BTreeMap<String, Impact> = BTreeMap::new();
    while let Some(target) = queue.pop() {
        let Some(target_impact) = changes.get(&target).map(|c| c.impact) else { continue };
        if spread.get(&target).is_some_and(|done| *done >= target_impact) {
            continue;
        }
        spread.insert(target.clone(), target_impact);
        let Some(list) = referrers.get(&target) else { continue };
        for (referrer, reference) in list {
            let (old_r, new_r) = (&old[referrer], &new[referrer]);
            let kind = type_of(new_r);
            let certain = target_impact == Impact::Replace && reference.by_ref;
            let impact = match resource_types::get(&kind) {
                None => Impact::MayReplace,
                Some(spec) => {
                    let under = |patterns: &[&'static str]| {
                        patterns.iter().copied().find(|p| {
                            let segments: Vec<&str> = p.split('/').collect();
                            overlaps(&reference.path, &segments)
                        })
                    };
                    if under(&spec.create_only).is_some() {
                        if certain { Impact::Replace } else { Impact::MayReplace }
                    } else if let Some(pattern) = under(&spec.conditional_create_only) {
                        // A new value there replaces only when it cannot be applied in place, unless the
                        // referrer's UpdatePolicy says which.
                        update_policy::decides(&kind, pattern, new_r, certain).unwrap_or(Impact::MayReplace)
                    } else {
                        Impact::Update
                    }
                }
            };
            let path = join("Properties", &reference.path);
            let entry = changes.entry(referrer.clone()).or_insert_with(|| ResourceChange {
                logical_id: referrer.clone(),
                kind: kind.clone(),
                old_kind: None,
                change: Change::Modified,
                impact: Impact::Update,
                properties: Vec::new(),
                from_change_set: false,
            });
            let before = entry.impact;
            // A path whose text changed too is already listed: raise its impact rather than list it twice.
            let existing = entry.properties.iter_mut().find(|p| {
                let segments: Vec<&str> = p.path.split('/').collect();
                let mine: Vec<String> = path.split('/').map(str::to_string).collect();
                overlaps(&mine, &segments)
            });
            match existing {
                Some(p) => p.impact = p.impact.max(impact),
                None => {
                    let at = |v: &Value| {
                        let segments: Vec<&str> = reference.path.iter().map(String::as_str).collect();
                        value::values_at(v, &segments).first().map(|v| (*v).clone())
                    };
                    entry.properties.push(PropertyChange {
                        path,
                        old: at(properties_of(old_r)),
                        new: at(properties_of(new_r)),
                        impact,
                        cause: Cause::Reference { target: target.clone(), by_ref: reference.by_ref, target_impact },
                    });
                }
            }
            entry.impact = entry.properties.iter().map(|p| p.impact).max().unwrap_or(Impact::Update);
            if entry.impact > before && entry.impact >= Impact::MayReplace {
                queue.push(referrer.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_placeholders_name_resources_unless_shadowed_or_literal() {
        let mut out = Vec::new();
        let shadowed = BTreeSet::from(["Var".to_string()]);
        sub_targets("${A}-${B.Arn}-${!C}-${Var}-${AWS::Region}", &shadowed, &mut out);
        assert_eq!(out, vec![("A".to_string(), true), ("B".to_string(), false), ("AWS::Region".to_string(), true)]);
    }
}
