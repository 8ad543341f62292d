//! `Fn::ForEach` loops (the `AWS::LanguageExtensions` transform) in a template diff. They are not resources
//! with a type, and the resources they make have logical IDs only after expansion, which may need
//! parameter values; so the diff flattens them instead of expanding them (see [`with_loops`]), and rates a
//! change to a loop's collection by what it adds and removes.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use crate::diff::Impact;
use crate::diff::value::{self, same};

/// The `Type` given to the entry that stands for a `Fn::ForEach` loop itself.
pub(super) const LOOP: &str = "Fn::ForEach";

/// `resources` with every `Fn::ForEach` loop (nested ones too) flattened, so that what a loop makes is
/// compared, checked for security changes and reached by replacement like any resource:
/// - each resource of the loop's template becomes an entry named by the loop's key and its output key,
///   unexpanded (`Fn::ForEach::Buckets/Bucket${Name}`);
/// - the loop itself becomes an entry of type `Fn::ForEach` whose properties are its `Identifier` and
///   `Collection`, so a change to what it iterates over is seen.
///
/// Borrowed when there is no loop, which is nearly always.
pub(super) fn with_loops(resources: &Map<String, Value>) -> Cow<'_, Map<String, Value>> {
    if !resources.keys().any(|k| k.starts_with(value::FOR_EACH)) {
        return Cow::Borrowed(resources);
    }
    fn flatten(prefix: &str, resources: &Map<String, Value>, out: &mut Map<String, Value>) {
        for (id, r) in resources {
            let key = format!("{prefix}{id}");
            match (value::loop_template(id, r), r) {
                (Some(template), Value::Array(parts)) => {
                    let properties = json!({"Identifier": parts[0], "Collection": parts[1]});
                    out.insert(key.clone(), json!({"Type": LOOP, "Properties": properties}));
                    flatten(&format!("{key}/"), template, out);
                }
                _ => {
                    out.insert(key, r.clone());
                }
            }
        }
    }
    let mut out = Map::new();
    flatten("", resources, &mut out);
    Cow::Owned(out)
}

/// Whether the flattened entry `id` stands for a loop itself (see [`with_loops`]).
pub(super) fn is_loop(id: &str, resource: &Value) -> bool {
    id.rsplit('/').next().is_some_and(|last| last.starts_with(value::FOR_EACH))
        && resource.get("Type").and_then(Value::as_str) == Some(LOOP)
}

/// The impact of a loop's new collection: when both are literal lists, the resources made for removed
/// items are deleted and those for new items created; any other collection (a `Ref` to a list
/// parameter, a function) holds what it holds only at deploy time, so the loop may delete resources.
pub(super) fn loop_collection_impact(old: &Value, new: &Value) -> Impact {
    let literal = |v: &Value| match v {
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => Some(items.clone()),
        _ => None,
    };
    match (literal(old), literal(new)) {
        (Some(a), Some(b)) => {
            let missing = |from: &[Value], to: &[Value]| from.iter().any(|x| !to.iter().any(|y| same(x, y)));
            if missing(&a, &b) {
                Impact::Destroy
            } else if missing(&b, &a) {
                Impact::Create
            } else {
                Impact::Update
            }
        }
        _ => Impact::MayReplace,
    }
}
