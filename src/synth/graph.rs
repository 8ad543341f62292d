//! The promotion graph drawn from the definitions, as Mermaid (a `flowchart`, which GitHub renders in
//! comments and Markdown) or Graphviz dot: each environment with its refs and trigger, each edge from an
//! environment to one promoted from it, labelled with the gate into the target (approvals, their groups,
//! the wait timer, the soak on that edge). An environment with allow or deny windows, or alarms it is
//! watched by, shows them in its node. Pure, like the rest of synthesis.

use crate::clock::human;
use crate::model::{Environment, Project};

/// What an environment's node says: its name, refs and trigger, and its windows and alarms if any.
fn node_lines(env: &Environment) -> Vec<String> {
    let refs: Vec<String> = env.refs.iter().map(ToString::to_string).collect();
    let mut lines = vec![
        env.name.clone(),
        format!("refs: {}", if refs.is_empty() { "none".to_string() } else { refs.join(", ") }),
        format!("trigger: {}", env.trigger),
    ];
    lines.extend(env.windows.iter().map(|w| format!("window: {w}")));
    let e = &env.evidence;
    if !e.alarms.is_empty() {
        lines.push(format!("alarms: {}, bake {}", e.alarms.len(), human(e.bake)));
    }
    lines
}

/// The label of the edge from `from` into `env`: the gate into `env`, and the soak the edge asks for.
fn edge_label(env: &Environment, from: &str) -> String {
    match env.soak.get(from) {
        Some(soak) => format!("{}, soak {} in {from}", gate(env), human(*soak)),
        None => gate(env),
    }
}

/// The gate into `env`: its approvals and wait timer (`2 approvals from release-managers, wait 30m`).
pub fn gate(env: &Environment) -> String {
    let a = &env.approvals;
    let mut parts = Vec::new();
    let groups: Vec<&str> = a.groups.iter().map(|g| g.name.as_str()).collect();
    let plural = |n: u32| if n == 1 { "" } else { "s" };
    match a.required {
        0 if a.optional == 0 => parts.push("no approval".to_string()),
        0 => {}
        n => parts.push(format!("{n} approval{} from {}", plural(n), groups.join(" or "))),
    }
    if a.optional > 0 {
        let n = a.optional;
        parts.push(format!("optional: {n} approval{} from {}", plural(n), groups.join(" or ")));
    }
    if !a.wait.is_zero() {
        parts.push(format!("wait {}", human(a.wait)));
    }
    parts.join(", ")
}

/// A Mermaid node id for an environment: letters, digits and `_` only, never a keyword.
fn mermaid_id(name: &str) -> String {
    format!("env_{}", name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>())
}

/// Text inside Mermaid's double quotes: `"` is written as an entity.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// The graph as a Mermaid flowchart.
pub fn mermaid(project: &Project) -> String {
    let mut out = String::from("flowchart LR\n");
    for env in &project.environments {
        let label = node_lines(env).iter().map(|l| mermaid_text(l)).collect::<Vec<_>>().join("<br/>");
        out.push_str(&format!("    {}[\"{label}\"]\n", mermaid_id(&env.name)));
    }
    for env in &project.environments {
        for from in &env.promoted_from {
            out.push_str(&format!(
                "    {} -->|\"{}\"| {}\n",
                mermaid_id(from),
                mermaid_text(&edge_label(env, from)),
                mermaid_id(&env.name)
            ));
        }
    }
    out
}

/// Text inside a dot string.
fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The graph in Graphviz dot.
pub fn dot(project: &Project) -> String {
    let mut out = String::from("digraph promotion {\n    rankdir=LR;\n    node [shape=box];\n");
    for env in &project.environments {
        let label = node_lines(env).iter().map(|l| dot_text(l)).collect::<Vec<_>>().join("\\n");
        out.push_str(&format!("    \"{}\" [label=\"{label}\"];\n", dot_text(&env.name)));
    }
    for env in &project.environments {
        for from in &env.promoted_from {
            out.push_str(&format!(
                "    \"{}\" -> \"{}\" [label=\"{}\"];\n",
                dot_text(from),
                dot_text(&env.name),
                dot_text(&edge_label(env, from))
            ));
        }
    }
    out.push_str("}\n");
    out
}
