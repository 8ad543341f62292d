//! The synthesized workflows read back as GitHub runs them: which events start a run, which jobs run for an
//! event, which environments' branch policies admit it, and a small evaluator of the `if:` expressions the
//! workflows use.

use std::collections::BTreeMap;

use serde_json::Value;
use slipway::model::{Environment, Project, RefPattern, Trigger};
use slipway::synth::github::EnvironmentsFile;

use crate::model::ref_forms::{CORPUS, filter_matches, fnmatch_pathname};

/// Tag names, for the environments deployed on release tags.
pub(crate) const TAGS: &[&str] = &["v1.2.3", "v1", "version", "1.0", "release/v1", "v2.0.0-rc.1"];

/// What started a run: a push of a branch or tag, or a dispatch on a branch with inputs.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    PushBranch(String),
    PushTag(String),
    Dispatch { branch: String, inputs: BTreeMap<String, String> },
}

impl Event {
    /// The ref a job runs on, as GitHub's deployment branch policy sees it: (name, `branch` or `tag`).
    fn git_ref(&self) -> (&str, &str) {
        match self {
            Event::PushBranch(b) | Event::Dispatch { branch: b, .. } => (b, "branch"),
            Event::PushTag(t) => (t, "tag"),
        }
    }
}

/// Every event worth trying on a workflow: pushes of every corpus branch and tag, and dispatches on every
/// corpus branch with every combination of its choice inputs.
pub(crate) fn events(workflow: &Value) -> Vec<Event> {
    let on = &workflow["on"];
    let mut out = Vec::new();
    for b in CORPUS {
        out.push(Event::PushBranch(b.to_string()));
    }
    for t in TAGS {
        out.push(Event::PushTag(t.to_string()));
    }
    if let Some(dispatch) = on.get("workflow_dispatch") {
        let mut combos = vec![BTreeMap::new()];
        if let Some(inputs) = dispatch.get("inputs").and_then(Value::as_object) {
            for (name, input) in inputs {
                let values: Vec<String> = match input["options"].as_array() {
                    Some(options) => options.iter().map(|o| o.as_str().unwrap().to_string()).collect(),
                    None => vec!["r-1".to_string()],
                };
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.insert(name.clone(), v.clone());
                            c
                        })
                    })
                    .collect();
            }
        }
        for b in CORPUS {
            for inputs in &combos {
                out.push(Event::Dispatch { branch: b.to_string(), inputs: inputs.clone() });
            }
        }
    }
    out
}

/// Whether `event` starts the workflow at all.
pub(crate) fn triggers(workflow: &Value, event: &Event) -> bool {
    let on = &workflow["on"];
    let any = |key: &str, name: &str| {
        on["push"][key]
            .as_array()
            .is_some_and(|filters| filters.iter().any(|f| filter_matches(f.as_str().unwrap(), name)))
    };
    match event {
        Event::PushBranch(b) => any("branches", b),
        Event::PushTag(t) => any("tags", t),
        Event::Dispatch { .. } => on.get("workflow_dispatch").is_some(),
    }
}

/// Whether job `id` runs for `event` (its `if:` and those of every job it needs, transitively).
pub(crate) fn job_runs(workflow: &Value, id: &str, event: &Event) -> bool {
    let job = &workflow["jobs"][id];
    let condition = job["if"].as_str().map(|c| eval(c, event)).unwrap_or(true);
    let needs = job["needs"].as_array().into_iter().flatten().all(|n| job_runs(workflow, n.as_str().unwrap(), event));
    condition && needs
}

/// Whether GitHub lets a job run in environment `env` on the event's ref.
pub(crate) fn policy_admits(envs: &EnvironmentsFile, env: &str, event: &Event) -> bool {
    let (name, kind) = event.git_ref();
    let settings = envs.environments.iter().find(|e| e.name == env).expect("every environment a job names exists");
    settings.branch_policies.iter().any(|p| p.kind == kind && fnmatch_pathname(&p.name, name))
}

/// What the definitions allow a job of `workflow` (by its file) in `env` to do for `event`.
pub(crate) fn allowed(project: &Project, file: &str, env: &Environment, event: &Event) -> bool {
    let ref_ok = match event {
        Event::PushTag(t) => matches!(&env.trigger, Trigger::ReleaseTag(p) if p.matches(t)),
        Event::PushBranch(b) | Event::Dispatch { branch: b, .. } => env.allows_ref(b),
    };
    if !ref_ok {
        return false;
    }
    let input = |name: &str| match event {
        Event::Dispatch { inputs, .. } => inputs.get(name).map(String::as_str),
        _ => None,
    };
    match file {
        f if f.starts_with("slipway-deploy-") => match (&env.trigger, event) {
            (Trigger::Push, Event::PushBranch(_)) | (Trigger::ReleaseTag(_), Event::PushTag(_)) => true,
            (Trigger::Manual, Event::Dispatch { .. }) => env.promoted_from.is_empty(),
            _ => false,
        },
        "slipway-promote.yml" => {
            input("to") == Some(env.name.as_str())
                && input("from").is_some_and(|f| env.promoted_from.iter().any(|p| p == f))
                && project.find(&env.name).is_some()
        }
        "slipway-rollback.yml" => input("environment") == Some(env.name.as_str()),
        other => panic!("an unexpected workflow `{other}` runs jobs in environment `{}`", env.name),
    }
}

// ---- a small evaluator of the `if:` expressions the workflows use ----------------------------------

#[derive(Clone, Debug, PartialEq)]
enum V {
    Str(String),
    Bool(bool),
    Null,
}

impl V {
    fn truthy(&self) -> bool {
        match self {
            V::Str(s) => !s.is_empty(),
            V::Bool(b) => *b,
            V::Null => false,
        }
    }
}

/// Evaluates a GitHub expression of `==`, `!=`, `&&`, `||`, `!`, parentheses, string literals and
/// `inputs.*`/`github.*` lookups, for `event`.
fn eval(expr: &str, event: &Event) -> bool {
    let tokens = tokenize(expr);
    let mut pos = 0;
    let v = or(&tokens, &mut pos, event);
    assert_eq!(pos, tokens.len(), "could not read all of `{expr}`");
    v.truthy()
}

fn tokenize(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let end = chars[i + 1..].iter().position(|c| *c == '\'').unwrap() + i + 1;
            out.push(chars[i..=end].iter().collect());
            i = end + 1;
        } else if ["==", "!=", "&&", "||"].iter().any(|op| chars[i..].starts_with(&op.chars().collect::<Vec<_>>())) {
            out.push(chars[i..i + 2].iter().collect());
            i += 2;
        } else if "()!,".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            let end = chars[i..]
                .iter()
                .position(|c| !(c.is_alphanumeric() || "._-".contains(*c)))
                .map_or(chars.len(), |p| p + i);
            out.push(chars[i..end].iter().collect());
            i = end;
        }
    }
    out
}

fn or(t: &[String], pos: &mut usize, e: &Event) -> V {
    let mut v = and(t, pos, e);
    while t.get(*pos).map(String::as_str) == Some("||") {
        *pos += 1;
        let r = and(t, pos, e);
        v = V::Bool(v.truthy() || r.truthy());
    }
    v
}

fn and(t: &[String], pos: &mut usize, e: &Event) -> V {
    let mut v = cmp(t, pos, e);
    while t.get(*pos).map(String::as_str) == Some("&&") {
        *pos += 1;
        let r = cmp(t, pos, e);
        v = V::Bool(v.truthy() && r.truthy());
    }
    v
}

fn cmp(t: &[String], pos: &mut usize, e: &Event) -> V {
    let l = unary(t, pos, e);
    match t.get(*pos).map(String::as_str) {
        Some(op @ ("==" | "!=")) => {
            let op = op.to_string();
            *pos += 1;
            let r = unary(t, pos, e);
            V::Bool((l == r) == (op == "=="))
        }
        _ => l,
    }
}

fn unary(t: &[String], pos: &mut usize, e: &Event) -> V {
    let token = t[*pos].clone();
    *pos += 1;
    match token.as_str() {
        "!" => V::Bool(!unary(t, pos, e).truthy()),
        "(" => {
            let v = or(t, pos, e);
            assert_eq!(t[*pos], ")");
            *pos += 1;
            v
        }
        s if s.starts_with('\'') => V::Str(s.trim_matches('\'').to_string()),
        path => lookup(path, e),
    }
}

fn lookup(path: &str, e: &Event) -> V {
    match (path.split_once('.'), e) {
        (Some(("inputs", name)), Event::Dispatch { inputs, .. }) => {
            inputs.get(name).map_or(V::Null, |v| V::Str(v.clone()))
        }
        (Some(("inputs", _)), _) => V::Null,
        _ => panic!("the evaluator does not know `{path}`"),
    }
}

#[test]
fn the_evaluator_reads_the_conditions_the_workflows_write() {
    let e = Event::Dispatch {
        branch: "main".into(),
        inputs: BTreeMap::from([("to".into(), "prod".into()), ("from".into(), "staging".into())]),
    };
    assert!(eval("inputs.to == 'prod' && (inputs.from == 'uat' || inputs.from == 'staging')", &e));
    assert!(!eval("inputs.to == 'prod' && (inputs.from == 'uat')", &e));
    assert!(eval("!(inputs.to != 'prod')", &e));
    assert!(!eval("inputs.environment == 'prod'", &Event::PushBranch("main".into())));
    let _ = RefPattern::new("main");
}
