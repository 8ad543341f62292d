//! Checks a template the way CloudFormation would refuse it, before anything is deployed: unknown types
//! and properties, missing required properties, references to nothing, bad logical IDs, the service's
//! limits, and secrets written as plain values.
//!
//! Each finding carries the path it was found at (`Resources/Uploads/Properties/VersioningConfiguration`),
//! so a message can point at the exact place.

use std::collections::BTreeSet;

use super::expr::{Expr, PSEUDO_PARAMETERS, sub_placeholders};
use super::resource_types;
use super::template::Template;
use crate::suggest;

/// CloudFormation's limits on one template.
pub mod limits {
    /// Resources in one template.
    pub const RESOURCES: usize = 500;
    /// Parameters in one template.
    pub const PARAMETERS: usize = 200;
    /// Outputs in one template.
    pub const OUTPUTS: usize = 200;
    /// Mappings in one template.
    pub const MAPPINGS: usize = 200;
    /// Characters in a logical ID.
    pub const LOGICAL_ID: usize = 255;
    /// Bytes of a template passed inline (`TemplateBody`); a larger one must be uploaded to S3.
    pub const INLINE_BODY: usize = 51_200;
    /// Bytes of a template uploaded to S3 (`TemplateURL`).
    pub const S3_BODY: usize = 1_048_576;
}

/// One thing wrong in a template.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Where: `Resources/<id>/Properties/<name>`, `Outputs/<id>`, or `template` for the whole.
    pub path: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Finding {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding { path: path.into(), message: message.into() }
    }
}

/// Everything wrong with `template`; empty when CloudFormation would accept it.
pub fn template(t: &Template) -> Vec<Finding> {
    let mut out = Vec::new();
    check_counts(t, &mut out);
    check_ids(t, &mut out);
    let scope = Scope::of(t);
    for (id, r) in &t.resources {
        let base = format!("Resources/{id}");
        check_resource_type_and_properties(id, r, &mut out);
        if let Some(c) = &r.condition
            && !t.conditions.contains_key(c)
        {
            out.push(Finding::new(
                format!("{base}/Condition"),
                format!("names condition `{c}`, which the template does not define"),
            ));
        }
        for d in &r.depends_on {
            if d == id {
                out.push(Finding::new(format!("{base}/DependsOn"), "depends on itself"));
            } else if !t.resources.contains_key(d) {
                out.push(Finding::new(
                    format!("{base}/DependsOn"),
                    format!(
                        "names `{d}`, which is not a resource of this template{}",
                        suggest::hint(d, t.resources.keys().map(String::as_str))
                    ),
                ));
            }
        }
        for (name, value) in &r.properties {
            scope.check_refs(value, &|| format!("{base}/Properties/{name}"), false, &mut out);
            check_secret(name, value, &|| format!("{base}/Properties/{name}"), &mut out);
        }
        for (name, value) in &r.metadata {
            scope.check_refs(value, &|| format!("{base}/Metadata/{name}"), false, &mut out);
        }
    }
    for (id, c) in &t.conditions {
        scope.check_refs(c, &|| format!("Conditions/{id}"), true, &mut out);
    }
    for (id, p) in &t.parameters {
        if let Some(d) = &p.default
            && p.no_echo
            && matches!(d, Expr::Str(s) if !s.is_empty())
        {
            out.push(Finding::new(
                format!("Parameters/{id}/Default"),
                "a NoEcho parameter has a default value, which puts the secret in the template; remove the default",
            ));
        }
    }
    let mut exports = BTreeSet::new();
    for (id, o) in &t.outputs {
        let base = format!("Outputs/{id}");
        scope.check_refs(&o.value, &|| format!("{base}/Value"), false, &mut out);
        if let Some(c) = &o.condition
            && !t.conditions.contains_key(c)
        {
            out.push(Finding::new(
                format!("{base}/Condition"),
                format!("names condition `{c}`, which the template does not define"),
            ));
        }
        if let Some(e) = &o.export {
            scope.check_refs(&e.name, &|| format!("{base}/Export/Name"), false, &mut out);
            if let Expr::Str(name) = &e.name
                && !exports.insert(name.as_str())
            {
                out.push(Finding::new(
                    format!("{base}/Export/Name"),
                    format!("exports `{name}` a second time; export names are unique in a region"),
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Checks the serialized size: an error over what S3 accepts, and `Some(note)` when the template is too
/// large to pass inline and so must go through an S3 bucket at deploy time.
pub fn size(bytes: usize) -> Result<Option<String>, Finding> {
    if bytes > limits::S3_BODY {
        return Err(Finding::new(
            "template",
            format!("is {bytes} bytes, over CloudFormation's limit of {} bytes; split the stack", limits::S3_BODY),
        ));
    }
    if bytes > limits::INLINE_BODY {
        return Ok(Some(format!(
            "is {bytes} bytes, over the {} bytes CloudFormation accepts inline, so deploys upload it to the \
             artifacts bucket and pass a TemplateURL",
            limits::INLINE_BODY
        )));
    }
    Ok(None)
}

fn check_counts(t: &Template, out: &mut Vec<Finding>) {
    for (section, n, max) in [
        ("Resources", t.resources.len(), limits::RESOURCES),
        ("Parameters", t.parameters.len(), limits::PARAMETERS),
        ("Outputs", t.outputs.len(), limits::OUTPUTS),
        ("Mappings", t.mappings.len(), limits::MAPPINGS),
    ] {
        if n > max {
            out.push(Finding::new(
                section,
                format!("has {n} entries, over CloudFormation's limit of {max}; split the stack"),
            ));
        }
    }
    if t.resources.is_empty() {
        out.push(Finding::new("Resources", "is empty; CloudFormation needs at least one resource"));
    }
}

/// A logical ID is 1 to 255 ASCII letters and digits.
pub fn logical_id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("is empty".into());
    }
    if let Some(c) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Some(format!("`{id}` holds {c:?}; logical IDs may hold only ASCII letters and digits"));
    }
    if id.len() > limits::LOGICAL_ID {
        return Some(format!("`{id}` is {} characters, over the limit of {}", id.len(), limits::LOGICAL_ID));
    }
    None
}

fn check_ids(t: &Template, out: &mut Vec<Finding>) {
    let sections: [(&str, Vec<&String>); 5] = [
        ("Resources", t.resources.keys().collect()),
        ("Parameters", t.parameters.keys().collect()),
        ("Outputs", t.outputs.keys().collect()),
        ("Conditions", t.conditions.keys().collect()),
        ("Mappings", t.mappings.keys().collect()),
    ];
    for (section, ids) in sections {
        for id in ids {
            if let Some(why) = logical_id_problem(id) {
                out.push(Finding::new(format!("{section}/{id}"), format!("invalid logical ID: {why}")));
            }
        }
    }
    for id in t.parameters.keys() {
        if t.resources.contains_key(id) {
            out.push(Finding::new(format!("Parameters/{id}"), "has the same logical ID as a resource; rename one"));
        }
    }
}

fn is_custom(kind: &str) -> bool {
    kind.starts_with("Custom::") || kind == "AWS::CloudFormation::CustomResource"
}

fn check_resource_type_and_properties(id: &str, r: &super::Resource, out: &mut Vec<Finding>) {
    let base = format!("Resources/{id}");
    if is_custom(&r.kind) {
        if !r.properties.contains_key("ServiceToken") {
            out.push(Finding::new(format!("{base}/Properties"), "a custom resource needs `ServiceToken`"));
        }
        return;
    }
    let Some(spec) = resource_types::get(&r.kind) else {
        out.push(Finding::new(
            format!("{base}/Type"),
            format!("unknown resource type `{}`{}", r.kind, suggest::hint(&r.kind, resource_types::names())),
        ));
        return;
    };
    for name in r.properties.keys() {
        if spec.is_writable(name) {
            continue;
        }
        let message = if spec.properties.contains(&name.as_str()) {
            format!("`{name}` is read-only for {}: CloudFormation sets it; read it with Fn::GetAtt instead", r.kind)
        } else {
            format!("unknown property `{name}` for {}{}", r.kind, suggest::hint(name, spec.writable()))
        };
        out.push(Finding::new(format!("{base}/Properties/{name}"), message));
    }
    for required in &spec.required {
        if !r.properties.contains_key(*required) {
            out.push(Finding::new(
                format!("{base}/Properties"),
                format!("missing required property `{required}` for {}", r.kind),
            ));
        }
    }
}

/// What to say after an attribute `spec`'s type does not have: the closest one it has, or else which it has.
fn attribute_hint(attr: &str, spec: &resource_types::TypeSpec) -> String {
    // A pattern (`Outputs.*`) reads as the names it stands for.
    let attrs: Vec<String> = spec.attributes().into_iter().map(|a| a.replace('*', "NAME")).collect();
    if let Some(close) = suggest::closest(attr, attrs.iter().map(String::as_str)) {
        return format!("; did you mean `{close}`?");
    }
    // Top-level attributes first: `Arn` says more than `MetadataConfiguration.Destination.TableBucketArn`.
    let mut attrs = attrs;
    attrs.sort_by_key(|a| (a.matches('.').count(), a.clone()));
    const SHOWN: usize = 8;
    let mut list: Vec<String> = attrs.iter().take(SHOWN).map(|a| format!("`{a}`")).collect();
    if attrs.len() > SHOWN {
        list.push(format!("and {} more", attrs.len() - SHOWN));
    }
    match list.is_empty() {
        true => "; it has no attributes to read (use Ref)".into(),
        false => format!("; its attributes are {}", list.join(", ")),
    }
}

/// Property names whose literal value would be a secret in the template.
fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    (n.contains("password") || n.contains("secretstring") || n.contains("secretaccesskey") || n.ends_with("token"))
        && !n.contains("arn")
        && !n.starts_with("manage")
        && n != "servicetoken"
}

fn check_secret(name: &str, value: &Expr, path: &dyn Fn() -> String, out: &mut Vec<Finding>) {
    if !looks_secret(name) {
        return;
    }
    if let Expr::Str(s) = value
        && !s.starts_with("{{resolve:secretsmanager:")
        && !s.starts_with("{{resolve:ssm-secure:")
    {
        out.push(Finding::new(
            path(),
            format!(
                "`{name}` is a literal value; a secret must never be in a template: use \
                     `{{{{resolve:secretsmanager:...}}}}` or a NoEcho parameter"
            ),
        ));
    }
}

/// The names a reference may point at.
struct Scope<'t> {
    t: &'t Template,
}

impl<'t> Scope<'t> {
    fn of(t: &'t Template) -> Self {
        Scope { t }
    }

    /// Checks every reference inside `value`, found at `path` (made only when something is wrong).
    fn check_refs(&self, value: &Expr, path: &dyn Fn() -> String, in_condition: bool, out: &mut Vec<Finding>) {
        // Most values refer to nothing missing: look first without building a path for every value inside,
        // and only when something is wrong look again, with the paths the findings name.
        let mut found = Vec::new();
        value.each(&mut |e| self.check_one(e, "", in_condition, &mut found));
        if found.is_empty() {
            return;
        }
        let mut segments: Vec<String> = path().split('/').map(str::to_owned).collect();
        value.walk(&mut segments, &mut |e, at| self.check_one(e, &at.join("/"), in_condition, out));
    }

    /// The findings about `e` alone (not the values inside it), at path `at`.
    fn check_one(&self, e: &Expr, at: &str, in_condition: bool, out: &mut Vec<Finding>) {
        match e {
            Expr::Ref(target) => self.check_ref(target, at, in_condition, out),
            Expr::GetAtt(id, attr) => self.check_get_att(id, attr, at, out),
            Expr::Sub(text, vars) => self.check_sub(text, vars, at, out),
            Expr::If(c, _, _) | Expr::Condition(c) if !self.t.conditions.contains_key(c) => {
                let known = self.t.conditions.keys().map(String::as_str);
                out.push(Finding::new(
                    at,
                    format!("names condition `{c}`, which the template does not define{}", suggest::hint(c, known)),
                ));
            }
            Expr::FindInMap(m, _, _) if !self.t.mappings.contains_key(m) => {
                out.push(Finding::new(at, format!("names mapping `{m}`, which the template does not define")));
            }
            _ => {}
        }
    }

    fn check_ref(&self, target: &str, at: &str, in_condition: bool, out: &mut Vec<Finding>) {
        if self.t.parameters.contains_key(target) || PSEUDO_PARAMETERS.contains(&target) {
            return;
        }
        if self.t.resources.contains_key(target) {
            if in_condition {
                out.push(Finding::new(
                    at,
                    format!("a condition may not Ref resource `{target}`; only parameters and pseudo parameters"),
                ));
            }
            return;
        }
        let known = self.t.parameters.keys().chain(self.t.resources.keys()).map(String::as_str);
        out.push(Finding::new(
            at,
            format!(
                "Ref to `{target}`, which is not a parameter or resource of this template{}",
                suggest::hint(target, known)
            ),
        ));
    }

    fn check_get_att(&self, id: &str, attr: &str, at: &str, out: &mut Vec<Finding>) {
        let Some(r) = self.t.resources.get(id) else {
            out.push(Finding::new(
                at,
                format!(
                    "Fn::GetAtt of `{id}`, which is not a resource of this template{}",
                    suggest::hint(id, self.t.resources.keys().map(String::as_str))
                ),
            ));
            return;
        };
        if is_custom(&r.kind) {
            return;
        }
        // A type with no facts (newer than the bundled data) may have any attribute: nothing says it does not.
        if let Some(spec) = resource_types::get(&r.kind)
            && !spec.has_attribute(attr)
        {
            out.push(Finding::new(
                at,
                format!(
                    "Fn::GetAtt of `{id}.{attr}`, but {} has no attribute `{attr}`{}",
                    r.kind,
                    attribute_hint(attr, spec)
                ),
            ));
        }
    }

    fn check_sub(&self, text: &str, vars: &std::collections::BTreeMap<String, Expr>, at: &str, out: &mut Vec<Finding>) {
        for placeholder in sub_placeholders(text) {
            if vars.contains_key(placeholder) {
                continue;
            }
            match placeholder.split_once('.') {
                Some((id, attr)) if !id.starts_with("AWS::") => self.check_get_att(id, attr, at, out),
                _ => self.check_ref(placeholder, at, false, out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_property_names() {
        assert!(looks_secret("MasterUserPassword"));
        assert!(!looks_secret("ManageMasterUserPassword"));
        assert!(!looks_secret("MasterUserSecretArn"));
        assert!(!looks_secret("ServiceToken"));
    }
}
