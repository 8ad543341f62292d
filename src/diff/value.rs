//! Template values as the diff sees them: parsed from JSON or YAML into one JSON shape, intrinsic
//! functions brought to their long form, and compared the way CloudFormation compares them.
//!
//! A deployed template comes back from `GetTemplate` as whatever was uploaded: JSON with any key order
//! and formatting, or YAML with short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`). A diff that
//! compared text, or even raw parsed values, would report changes nobody made. So every template is
//! normalized first, and scalars are compared as CloudFormation passes them to resource providers: as
//! strings, so `"5"` equals `5` and `"true"` equals `true`.

use serde_json::{Map, Number, Value};

/// Why a template could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Neither JSON nor YAML.
    #[error("is neither JSON nor YAML: {0}")]
    Syntax(String),
    /// Parsed, but the top level is not a mapping.
    #[error("is not a CloudFormation template: its top level is not a mapping of sections")]
    NotAMapping,
}

/// Parses a template written as JSON or YAML (with or without short-form tags) and normalizes it. YAML
/// is read as CloudFormation reads it: YAML 1.1 scalars and the short forms (see [`super::yaml`]).
pub fn parse_template(text: &str) -> Result<Value, ParseError> {
    // Editors on Windows start files with a byte-order mark; CloudFormation accepts it, JSON does not.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(json_err) => super::yaml::parse(text).map_err(|yaml_err| {
            // A document that starts like JSON most likely is JSON: report the JSON error then.
            if text.trim_start().starts_with('{') {
                ParseError::Syntax(format!("as JSON: {json_err}"))
            } else {
                ParseError::Syntax(format!("as YAML: {yaml_err}"))
            }
        })?,
    };
    if !value.is_object() {
        return Err(ParseError::NotAMapping);
    }
    Ok(normalize(value))
}

/// Converts a YAML value read by `serde_yaml_ng` (YAML 1.2, as the tools that read cloud.gov manifests
/// and compose files do) to JSON, dropping tags. Only for files that are not templates: templates are
/// read by [`parse_template`], which knows CloudFormation's YAML.
pub fn from_yaml(value: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().and_then(Number::from_f64).map(Value::Number).unwrap_or_else(|| Value::String(n.to_string()))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(from_yaml).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(super::yaml::key_string(from_yaml(k)), from_yaml(v));
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => from_yaml(tagged.value),
    }
}

/// Brings every intrinsic function to one form: `Fn::GetAtt` as a two-item list (`"A.B.C"` becomes
/// `["A", "B.C"]`), and `DependsOn` of each resource (those a `Fn::ForEach` loop makes included) as a
/// sorted list.
pub fn normalize(mut value: Value) -> Value {
    normalize_in_place(&mut value);
    if let Some(Value::Object(resources)) = value.get_mut("Resources") {
        sort_depends_on(resources);
    }
    value
}

/// The key prefix of a `Fn::ForEach` loop (`Fn::ForEach::Buckets`), which the `AWS::LanguageExtensions`
/// transform expands: its value is `[Identifier, Collection, {OutputKey: OutputValue, ...}]`.
pub const FOR_EACH: &str = "Fn::ForEach::";

/// The `{OutputKey: OutputValue}` map of a well-formed `Fn::ForEach` loop entry.
pub fn loop_template<'a>(key: &str, value: &'a Value) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Array(parts) if key.starts_with(FOR_EACH) && parts.len() == 3 => parts[2].as_object(),
        _ => None,
    }
}

fn sort_depends_on(resources: &mut Map<String, Value>) {
    for (key, resource) in resources.iter_mut() {
        if key.starts_with(FOR_EACH) {
            if let Some(Value::Object(inner)) = resource.as_array_mut().filter(|p| p.len() == 3).map(|p| &mut p[2]) {
                sort_depends_on(inner);
            }
            continue;
        }
        if let Some(depends) = resource.get_mut("DependsOn") {
            let mut list: Vec<Value> = match depends.take() {
                Value::Array(items) => items,
                single => vec![single],
            };
            list.sort_by_key(depends_key);
            list.dedup();
            *depends = Value::Array(list);
        }
    }
}

/// How `DependsOn` entries sort: logical IDs by name, anything else by its JSON.
fn depends_key(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// `value` normalized, borrowed when it already is (as every template slipway writes is), so that the
/// common case copies nothing.
pub fn normalized(value: &Value) -> std::borrow::Cow<'_, Value> {
    fn needs(v: &Value) -> bool {
        match v {
            Value::Array(items) => items.iter().any(needs),
            Value::Object(m) => {
                (m.len() == 1 && matches!(m.get("Fn::GetAtt"), Some(Value::String(_)))) || m.values().any(needs)
            }
            _ => false,
        }
    }
    let depends_on_unsorted = value.get("Resources").and_then(Value::as_object).is_some_and(|resources| {
        // Loops are rare: normalize whenever there is one rather than look inside.
        resources.keys().any(|k| k.starts_with(FOR_EACH))
            || resources.values().any(|r| match r.get("DependsOn") {
                None => false,
                Some(Value::Array(items)) => items.windows(2).any(|w| depends_key(&w[0]) >= depends_key(&w[1])),
                Some(_) => true,
            })
    });
    if depends_on_unsorted || needs(value) {
        std::borrow::Cow::Owned(normalize(value.clone()))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

fn normalize_in_place(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(normalize_in_place),
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(dotted)) = map.get("Fn::GetAtt")
                && let Some((id, attr)) = dotted.split_once('.')
            {
                let list = Value::Array(vec![Value::from(id), Value::from(attr)]);
                map.insert("Fn::GetAtt".into(), list);
            }
            map.values_mut().for_each(normalize_in_place);
        }
        _ => {}
    }
}

/// Whether `value` is an intrinsic function call (`{"Ref": ..}`, `{"Fn::..": ..}`, `{"Condition": ..}`),
/// which the diff treats as one value rather than descending into it.
pub fn is_intrinsic(value: &Value) -> bool {
    match value {
        Value::Object(m) if m.len() == 1 => {
            m.keys().next().is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
        }
        _ => false,
    }
}

/// Equality as CloudFormation sees values: object key order never matters, and a scalar equals another
/// when both reach a resource provider as the same string (`"5"` and `5`, `"true"` and `true`,
/// `5` and `5.0`).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w)),
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.parse::<f64>().ok().zip(n.as_f64()).is_some_and(|(p, q)| p == q)
        }
        (Value::String(s), Value::Bool(b)) | (Value::Bool(b), Value::String(s)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        _ => a == b,
    }
}

fn same_number(x: &Number, y: &Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    x.as_f64() == y.as_f64()
}

/// One place where two values differ: the path below the compared roots, and each side's value there
/// (`None` where that side has nothing).
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// Path segments: object keys and list indices.
    pub path: Vec<String>,
    /// The old value, if the path existed.
    pub old: Option<Value>,
    /// The new value, if the path exists.
    pub new: Option<Value>,
}

/// Every place where `old` and `new` differ, as deep as both keep the same shape: objects key by key,
/// lists of equal length item by item; an intrinsic function, a list that changed length or a value that
/// changed kind is reported whole.
pub fn differences(old: &Value, new: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(&mut path, old, new, &mut out);
    out
}

fn walk(path: &mut Vec<String>, old: &Value, new: &Value, out: &mut Vec<Difference>) {
    if same(old, new) {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) if !is_intrinsic(old) && !is_intrinsic(new) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                path.push(k.clone());
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => walk(path, x, y, out),
                    (x, y) => out.push(Difference { path: path.clone(), old: x.cloned(), new: y.cloned() }),
                }
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(i.to_string());
                walk(path, x, y, out);
                path.pop();
            }
        }
        _ => out.push(Difference { path: path.clone(), old: Some(old.clone()), new: Some(new.clone()) }),
    }
}

/// The values at `pattern` (`/`-separated; `*` matches every item of a list, a number one item) below
/// `root`.
pub fn values_at<'a>(root: &'a Value, pattern: &[&str]) -> Vec<&'a Value> {
    let Some((first, rest)) = pattern.split_first() else {
        return vec![root];
    };
    match (root, *first) {
        (Value::Array(items), "*") => items.iter().flat_map(|v| values_at(v, rest)).collect(),
        (Value::Array(items), index) => {
            index.parse::<usize>().ok().and_then(|i| items.get(i)).map(|v| values_at(v, rest)).unwrap_or_default()
        }
        (Value::Object(m), key) if !is_intrinsic(root) => m.get(key).map(|v| values_at(v, rest)).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Whether the values at `pattern` differ between `old` and `new`.
pub fn differs_at(old: &Value, new: &Value, pattern: &[&str]) -> bool {
    let (a, b) = (values_at(old, pattern), values_at(new, pattern));
    a.len() != b.len() || a.iter().zip(&b).any(|(x, y)| !same(x, y))
}

/// Whether a change at `path` touches `pattern`: one is a prefix of the other (`*` matching any index).
pub fn overlaps(path: &[String], pattern: &[&str]) -> bool {
    path.iter().zip(pattern).all(|(p, q)| *q == "*" || p == q)
}

/// A short one-line rendering of a value for people: strings bare, anything else as compact JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_short_forms_become_long_forms() {
        let yaml = "Resources:\n  A:\n    Type: T\n    Properties:\n      X: !Ref B\n      Y: !GetAtt B.Arn\n      Z: !Sub '${B}-x'\n      W: !Join [',', [!Ref B, c]]\n";
        let v = parse_template(yaml).unwrap();
        let p = &v["Resources"]["A"]["Properties"];
        assert_eq!(p["X"], json!({"Ref": "B"}));
        assert_eq!(p["Y"], json!({"Fn::GetAtt": ["B", "Arn"]}));
        assert_eq!(p["Z"], json!({"Fn::Sub": "${B}-x"}));
        assert_eq!(p["W"], json!({"Fn::Join": [",", [{"Ref": "B"}, "c"]]}));
    }

    #[test]
    fn scalars_compare_as_cloudformation_passes_them() {
        assert!(same(&json!("5"), &json!(5)));
        assert!(same(&json!(5.0), &json!(5)));
        assert!(same(&json!("true"), &json!(true)));
        assert!(!same(&json!("6"), &json!(5)));
        assert!(!same(&json!(""), &json!(0)));
        assert!(!same(&json!("yes"), &json!(true)));
    }

    #[test]
    fn create_only_patterns_match_list_items() {
        let v = json!({"L": [{"A": 1}, {"A": 2}]});
        let w = json!({"L": [{"A": 1}, {"A": 3}]});
        assert!(differs_at(&v, &w, &["L", "*", "A"]));
        assert!(!differs_at(&v, &v, &["L", "*", "A"]));
        assert!(overlaps(&["L".into(), "1".into(), "A".into()], &["L", "*", "A"]));
        assert!(overlaps(&["L".into()], &["L", "*", "A"]));
        assert!(!overlaps(&["M".into()], &["L", "*", "A"]));
    }
}
