//! Values in a template: literals, lists, maps and the intrinsic functions, serialized as CloudFormation
//! JSON (`{"Ref": ..}`, `{"Fn::GetAtt": [..]}`, ...).
//!
//! Building templates from this enum rather than from raw JSON is what lets validation find every
//! reference (`Ref`, `GetAtt`, `${..}` in `Sub`) and say where it is.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The pseudo parameters every template may `Ref`.
pub const PSEUDO_PARAMETERS: [&str; 8] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// A template value.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Expr>),
    /// An object with sorted keys.
    Map(BTreeMap<String, Expr>),
    /// `Ref`: a parameter's value, a resource's primary identifier, or a pseudo parameter.
    Ref(String),
    /// `Fn::GetAtt`: an attribute of a resource.
    GetAtt(String, String),
    /// `Fn::Sub` with `${..}` placeholders, and variables of its own (empty: the short form).
    Sub(String, BTreeMap<String, Expr>),
    /// `Fn::Join`.
    Join(String, Vec<Expr>),
    /// `Fn::Select`.
    Select(u32, Box<Expr>),
    /// `Fn::Split`.
    Split(String, Box<Expr>),
    /// `Fn::If` on a named condition.
    If(String, Box<Expr>, Box<Expr>),
    /// `Fn::Equals`, in conditions.
    Equals(Box<Expr>, Box<Expr>),
    /// `Fn::Not`, in conditions.
    Not(Box<Expr>),
    /// `Fn::And`, in conditions.
    And(Vec<Expr>),
    /// `Fn::Or`, in conditions.
    Or(Vec<Expr>),
    /// `Condition`: another named condition, inside a condition.
    Condition(String),
    /// `Fn::ImportValue`: an export of another stack.
    ImportValue(Box<Expr>),
    /// `Fn::GetAZs` for a region (empty string: the stack's region).
    GetAZs(Box<Expr>),
    /// `Fn::FindInMap`.
    FindInMap(String, Box<Expr>, Box<Expr>),
    /// `Fn::Base64`.
    Base64(Box<Expr>),
    /// `Fn::Cidr`: `count` blocks of `bits` host bits carved from a block.
    Cidr(Box<Expr>, u32, u32),
}

impl Expr {
    /// A string literal.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::Str(s.into())
    }

    /// `Ref` of a parameter, resource or pseudo parameter.
    pub fn r#ref(id: impl Into<String>) -> Expr {
        Expr::Ref(id.into())
    }

    /// `Fn::GetAtt` of a resource's attribute.
    pub fn get_att(id: impl Into<String>, attribute: impl Into<String>) -> Expr {
        Expr::GetAtt(id.into(), attribute.into())
    }

    /// `Fn::Sub` in its short form.
    pub fn sub(template: impl Into<String>) -> Expr {
        Expr::Sub(template.into(), BTreeMap::new())
    }

    /// `Fn::ImportValue` of a literal export name.
    pub fn import(export: impl Into<String>) -> Expr {
        Expr::ImportValue(Box::new(Expr::Str(export.into())))
    }

    /// `Fn::Select` of item `index`.
    pub fn select(index: u32, list: Expr) -> Expr {
        Expr::Select(index, Box::new(list))
    }

    /// `Fn::Join`.
    pub fn join(separator: impl Into<String>, items: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::Join(separator.into(), items.into_iter().collect())
    }

    /// `Fn::If`.
    pub fn if_(condition: impl Into<String>, then: Expr, otherwise: Expr) -> Expr {
        Expr::If(condition.into(), Box::new(then), Box::new(otherwise))
    }

    /// `Fn::Equals`.
    pub fn equals(a: Expr, b: Expr) -> Expr {
        Expr::Equals(Box::new(a), Box::new(b))
    }

    /// `Fn::GetAZs` of the stack's own region.
    pub fn azs() -> Expr {
        Expr::GetAZs(Box::new(Expr::Str(String::new())))
    }

    /// `Ref AWS::NoValue`: removes the property it is the value of.
    pub fn no_value() -> Expr {
        Expr::Ref("AWS::NoValue".into())
    }

    /// An object from key-value pairs.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Expr)>) -> Expr {
        Expr::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list.
    pub fn list(items: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::List(items.into_iter().collect())
    }

    /// A list of string literals.
    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Expr {
        Expr::List(items.into_iter().map(|s| Expr::Str(s.into())).collect())
    }

    /// Visits this value and every value inside it, without their paths: what a search that finds nothing
    /// wrong (the usual case) needs, at no allocation per value.
    pub fn each<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        visit(self);
        match self {
            Expr::Bool(_) | Expr::Int(_) | Expr::Str(_) | Expr::Ref(_) | Expr::GetAtt(..) | Expr::Condition(_) => {}
            Expr::List(items) | Expr::And(items) | Expr::Or(items) | Expr::Join(_, items) => {
                items.iter().for_each(|e| e.each(visit))
            }
            Expr::Map(m) | Expr::Sub(_, m) => m.values().for_each(|e| e.each(visit)),
            Expr::If(_, a, b) | Expr::Equals(a, b) | Expr::FindInMap(_, a, b) => {
                a.each(visit);
                b.each(visit);
            }
            Expr::Select(_, e)
            | Expr::Split(_, e)
            | Expr::Not(e)
            | Expr::ImportValue(e)
            | Expr::GetAZs(e)
            | Expr::Base64(e)
            | Expr::Cidr(e, _, _) => e.each(visit),
        }
    }

    /// Visits this value and every value inside it, with its path below `path` (`Properties/Tags/0/Value`).
    pub fn walk<'a>(&'a self, path: &mut Vec<String>, visit: &mut dyn FnMut(&'a Expr, &[String])) {
        visit(self, path);
        let child = |key: String, e: &'a Expr, path: &mut Vec<String>, visit: &mut dyn FnMut(&'a Expr, &[String])| {
            path.push(key);
            e.walk(path, visit);
            path.pop();
        };
        match self {
            Expr::Bool(_) | Expr::Int(_) | Expr::Str(_) | Expr::Ref(_) | Expr::GetAtt(..) | Expr::Condition(_) => {}
            Expr::List(items) | Expr::And(items) | Expr::Or(items) => {
                for (i, e) in items.iter().enumerate() {
                    child(i.to_string(), e, path, visit);
                }
            }
            Expr::Map(m) => {
                for (k, e) in m {
                    child(k.clone(), e, path, visit);
                }
            }
            Expr::Sub(_, vars) => {
                for (k, e) in vars {
                    child(format!("Fn::Sub/{k}"), e, path, visit);
                }
            }
            Expr::Join(_, items) => {
                for (i, e) in items.iter().enumerate() {
                    child(format!("Fn::Join/{i}"), e, path, visit);
                }
            }
            Expr::Select(_, e) => child("Fn::Select".into(), e, path, visit),
            Expr::Split(_, e) => child("Fn::Split".into(), e, path, visit),
            Expr::If(_, a, b) => {
                child("Fn::If/1".into(), a, path, visit);
                child("Fn::If/2".into(), b, path, visit);
            }
            Expr::Equals(a, b) => {
                child("Fn::Equals/0".into(), a, path, visit);
                child("Fn::Equals/1".into(), b, path, visit);
            }
            Expr::Not(e) => child("Fn::Not".into(), e, path, visit),
            Expr::ImportValue(e) => child("Fn::ImportValue".into(), e, path, visit),
            Expr::GetAZs(e) => child("Fn::GetAZs".into(), e, path, visit),
            Expr::FindInMap(_, a, b) => {
                child("Fn::FindInMap/1".into(), a, path, visit);
                child("Fn::FindInMap/2".into(), b, path, visit);
            }
            Expr::Base64(e) => child("Fn::Base64".into(), e, path, visit),
            Expr::Cidr(e, _, _) => child("Fn::Cidr".into(), e, path, visit),
        }
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Str(s.into())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Str(s)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Expr {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(n: i64) -> Expr {
        Expr::Int(n)
    }
}

impl From<u32> for Expr {
    fn from(n: u32) -> Expr {
        Expr::Int(n.into())
    }
}

impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(items: Vec<T>) -> Expr {
        Expr::List(items.into_iter().map(Into::into).collect())
    }
}

/// `{"Fn::X": args}`: every intrinsic function serializes as an object of one key.
fn function<S: Serializer, T: Serialize + ?Sized>(s: S, name: &str, args: &T) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(name, args)?;
    m.end()
}

/// One argument of an intrinsic function whose arguments are of mixed kinds (`Fn::Select`'s `[index, list]`).
enum Arg<'a> {
    Str(&'a str),
    Expr(&'a Expr),
    List(&'a [Expr]),
    Map(&'a BTreeMap<String, Expr>),
}

impl Serialize for Arg<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::Str(v) => s.serialize_str(v),
            Arg::Expr(e) => e.serialize(s),
            Arg::List(items) => items.serialize(s),
            Arg::Map(m) => m.serialize(s),
        }
    }
}

/// A list of mixed arguments.
struct Args<'a>(Vec<Arg<'a>>);

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in &self.0 {
            seq.serialize_element(a)?;
        }
        seq.end()
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::Int(n) => s.serialize_i64(*n),
            Expr::Str(v) => s.serialize_str(v),
            Expr::List(items) => items.serialize(s),
            Expr::Map(m) => m.serialize(s),
            Expr::Ref(id) => function(s, "Ref", id),
            Expr::GetAtt(id, attr) => function(s, "Fn::GetAtt", &[id, attr]),
            Expr::Sub(t, vars) if vars.is_empty() => function(s, "Fn::Sub", t),
            Expr::Sub(t, vars) => function(s, "Fn::Sub", &Args(vec![Arg::Str(t), Arg::Map(vars)])),
            Expr::Join(sep, items) => function(s, "Fn::Join", &Args(vec![Arg::Str(sep), Arg::List(items)])),
            Expr::Select(i, list) => function(s, "Fn::Select", &Args(vec![Arg::Str(&i.to_string()), Arg::Expr(list)])),
            Expr::Split(sep, e) => function(s, "Fn::Split", &Args(vec![Arg::Str(sep), Arg::Expr(e)])),
            Expr::If(c, a, b) => function(s, "Fn::If", &Args(vec![Arg::Str(c), Arg::Expr(a), Arg::Expr(b)])),
            Expr::Equals(a, b) => function(s, "Fn::Equals", &[a, b]),
            Expr::Not(e) => function(s, "Fn::Not", &[e]),
            Expr::And(items) => function(s, "Fn::And", items),
            Expr::Or(items) => function(s, "Fn::Or", items),
            Expr::Condition(c) => function(s, "Condition", c),
            Expr::ImportValue(e) => function(s, "Fn::ImportValue", e),
            Expr::GetAZs(e) => function(s, "Fn::GetAZs", e),
            Expr::FindInMap(m, a, b) => {
                function(s, "Fn::FindInMap", &Args(vec![Arg::Str(m), Arg::Expr(a), Arg::Expr(b)]))
            }
            Expr::Base64(e) => function(s, "Fn::Base64", e),
            Expr::Cidr(e, count, bits) => function(
                s,
                "Fn::Cidr",
                &Args(vec![Arg::Expr(e), Arg::Str(&count.to_string()), Arg::Str(&bits.to_string())]),
            ),
        }
    }
}

/// The `${name}` placeholders of an `Fn::Sub` string (`A`, `B.Arn`, `AWS::Region`), without the literal
/// `${!...}` ones: the one reading of `Fn::Sub` that checks, diffs and dependency links share.
pub fn sub_placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        if !inner.starts_with('!') {
            found.push(inner.trim());
        }
        rest = &after[end + 1..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_placeholders_skip_literals() {
        assert_eq!(sub_placeholders("${A}-${B.Arn}-${!Literal}-${AWS::Region}"), vec!["A", "B.Arn", "AWS::Region"]);
        assert_eq!(sub_placeholders("no placeholders"), Vec::<&str>::new());
    }

    fn json(e: &Expr) -> String {
        serde_json::to_string(e).unwrap()
    }

    #[test]
    fn intrinsics_serialize_as_cloudformation_writes_them() {
        assert_eq!(json(&Expr::r#ref("Bucket")), r#"{"Ref":"Bucket"}"#);
        assert_eq!(json(&Expr::get_att("Db", "Endpoint.Address")), r#"{"Fn::GetAtt":["Db","Endpoint.Address"]}"#);
        assert_eq!(json(&Expr::sub("${AWS::StackName}-x")), r#"{"Fn::Sub":"${AWS::StackName}-x"}"#);
        assert_eq!(
            json(&Expr::Sub("${A}".into(), [("A".to_string(), Expr::r#ref("B"))].into())),
            r#"{"Fn::Sub":["${A}",{"A":{"Ref":"B"}}]}"#
        );
        assert_eq!(json(&Expr::select(1, Expr::azs())), r#"{"Fn::Select":["1",{"Fn::GetAZs":""}]}"#);
        assert_eq!(
            json(&Expr::join(",", [Expr::str("a"), Expr::r#ref("B")])),
            r#"{"Fn::Join":[",",["a",{"Ref":"B"}]]}"#
        );
        assert_eq!(
            json(&Expr::if_("IsProd", Expr::Int(2), Expr::no_value())),
            r#"{"Fn::If":["IsProd",2,{"Ref":"AWS::NoValue"}]}"#
        );
        assert_eq!(
            json(&Expr::Cidr(Box::new(Expr::str("10.0.0.0/16")), 4, 8)),
            r#"{"Fn::Cidr":["10.0.0.0/16","4","8"]}"#
        );
        assert_eq!(
            json(&Expr::FindInMap("M".into(), Box::new(Expr::r#ref("AWS::Region")), Box::new("k".into()))),
            r#"{"Fn::FindInMap":["M",{"Ref":"AWS::Region"},"k"]}"#
        );
    }
}
