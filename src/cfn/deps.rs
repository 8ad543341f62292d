//! The order an environment's stacks deploy in, from what their templates say: a stack that imports
//! another's export comes after it, and so does a stack whose template names another in its
//! `SlipwayDeployAfter` metadata (what [`Stack::after`](super::Stack::after) writes, for a dependency no
//! import shows).
//!
//! The order is read from the templates themselves, so a deploy of a `synth` output directory or of a
//! release bundle orders the stacks exactly as the definitions did, from the bytes a reviewer read.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Expr, Stack};

/// The template-level metadata key that lists the stacks (short names) a stack deploys after.
pub const AFTER_METADATA: &str = "SlipwayDeployAfter";

/// What ties a stack to the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Export names it declares (literal ones).
    pub exports: Vec<String>,
    /// Export names it imports (literal ones).
    pub imports: Vec<String>,
    /// Stacks it is declared to come after.
    pub after: Vec<String>,
}

impl Links {
    /// The links of a typed stack.
    pub fn of(stack: &Stack) -> Links {
        Links {
            exports: stack.exports().map(str::to_string).collect(),
            imports: stack.imports().into_iter().map(str::to_string).collect(),
            after: stack.after.clone(),
        }
    }

    /// The links of a template read back from JSON (as `synth` wrote it).
    pub fn of_template(template: &Value) -> Links {
        let mut links = Links::default();
        if let Some(Value::Object(outputs)) = template.get("Outputs") {
            for output in outputs.values() {
                if let Some(Value::String(name)) = output.get("Export").and_then(|e| e.get("Name")) {
                    links.exports.push(name.clone());
                }
            }
        }
        // Where the typed model looks for imports: resource properties and output values.
        for (section, field) in [("Resources", "Properties"), ("Outputs", "Value")] {
            if let Some(Value::Object(entries)) = template.get(section) {
                entries.values().filter_map(|e| e.get(field)).for_each(|v| imports_in(v, &mut links.imports));
            }
        }
        links.imports.sort_unstable();
        links.imports.dedup();
        if let Some(Value::Array(after)) = template.get("Metadata").and_then(|m| m.get(AFTER_METADATA)) {
            links.after = after.iter().filter_map(Value::as_str).map(str::to_string).collect();
        }
        links
    }

    /// The metadata value that records `after` in a template.
    pub fn after_metadata(after: &[String]) -> Expr {
        Expr::strs(after.iter().cloned())
    }
}

fn imports_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let (1, Some(Value::String(name))) = (m.len(), m.get("Fn::ImportValue")) {
                out.push(name.clone());
                return;
            }
            m.values().for_each(|v| imports_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| imports_in(v, out)),
        _ => {}
    }
}

/// Which stacks each stack depends on (by short name): those whose exports it imports, and those it is
/// declared to come after. Imports of exports no stack declares are no dependency (the check reports them).
pub fn dependencies<'a>(
    stacks: impl IntoIterator<Item = (&'a str, &'a Links)> + Clone,
) -> BTreeMap<String, BTreeSet<String>> {
    let exporter: BTreeMap<&str, &str> = stacks
        .clone()
        .into_iter()
        .flat_map(|(name, links)| links.exports.iter().map(move |e| (e.as_str(), name)))
        .collect();
    stacks
        .into_iter()
        .map(|(name, links)| {
            let deps = links
                .imports
                .iter()
                .filter_map(|i| exporter.get(i.as_str()).copied())
                .filter(|from| *from != name)
                .map(str::to_string)
                .chain(links.after.iter().filter(|a| a.as_str() != name).cloned())
                .collect();
            (name.to_string(), deps)
        })
        .collect()
}

/// Orders `names` so that each comes after its dependencies (Kahn's algorithm). Among stacks ready
/// together, the one more stacks wait for (directly or not) goes first, so that a deploy one stack at a
/// time unblocks the most work soonest; ties keep the given order. `Err` holds the stacks caught in a
/// cycle, in the given order.
pub fn order(names: &[String], deps: &BTreeMap<String, BTreeSet<String>>) -> Result<Vec<String>, Vec<String>> {
    let known: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    // Each stack's dependencies among `names`, worked out once: the walks below read them many times.
    let needs: BTreeMap<&str, Vec<&str>> = names
        .iter()
        .map(|s| {
            (s.as_str(), deps.get(s).into_iter().flatten().map(String::as_str).filter(|d| known.contains(d)).collect())
        })
        .collect();
    let needs = |s: &str| -> &[&str] { needs.get(s).map_or(&[], Vec::as_slice) };
    // How many stacks wait for each, directly or through others.
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for name in names {
        let mut todo = needs(name).to_vec();
        let mut seen = BTreeSet::new();
        while let Some(d) = todo.pop() {
            if seen.insert(d) {
                waiting.entry(d).or_default().insert(name.as_str());
                todo.extend_from_slice(needs(d));
            }
        }
    }
    let weight = |s: &str| waiting.get(s).map_or(0, BTreeSet::len);
    let mut remaining: Vec<&String> = names.iter().collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining
            .iter()
            .enumerate()
            .filter(|(_, s)| needs(s).iter().all(|d| done.contains(d)))
            .max_by_key(|(i, s)| (weight(s), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match ready {
            Some(i) => {
                let s = remaining.remove(i);
                done.insert(s);
                ordered.push(s.clone());
            }
            None => return Err(remaining.into_iter().cloned().collect()),
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::{Output, Resource, Template};

    #[test]
    fn links_read_back_from_json_match_the_typed_ones() {
        let mut base = Template::new("base");
        base.resource("Topic", Resource::new("AWS::SNS::Topic"));
        base.output("Arn", Output::new("arn", Expr::r#ref("Topic")).export("x-base-Arn"));
        let mut app = Template::new("app");
        app.resource("Q", Resource::new("AWS::SQS::Queue").prop("QueueName", Expr::import("x-base-Arn")));
        let app = Stack::new("app", app).after("side");
        let mut json: Value = serde_json::from_str(&app.template.to_json()).unwrap();
        json["Metadata"] = serde_json::json!({ AFTER_METADATA: ["side"] });
        assert_eq!(Links::of_template(&json), Links::of(&app));
        let base = Stack::new("base", base);
        let base_json: Value = serde_json::from_str(&base.template.to_json()).unwrap();
        assert_eq!(Links::of_template(&base_json), Links::of(&base));
    }

    #[test]
    fn orders_by_dependencies_and_reports_cycles() {
        let names: Vec<String> = ["app", "base", "side"].map(String::from).to_vec();
        let deps = BTreeMap::from([
            ("app".to_string(), BTreeSet::from(["base".to_string()])),
            ("base".to_string(), BTreeSet::new()),
            ("side".to_string(), BTreeSet::new()),
        ]);
        assert_eq!(order(&names, &deps).unwrap(), ["base", "app", "side"]);
        // Among stacks ready together, the one others wait for goes first.
        let waited_for = BTreeMap::from([("app".to_string(), BTreeSet::from(["side".to_string()]))]);
        assert_eq!(order(&names, &waited_for).unwrap(), ["side", "app", "base"]);
        let cyclic = BTreeMap::from([
            ("app".to_string(), BTreeSet::from(["base".to_string()])),
            ("base".to_string(), BTreeSet::from(["app".to_string()])),
        ]);
        assert_eq!(order(&names, &cyclic), Err(vec!["app".to_string(), "base".to_string()]));
    }
}
