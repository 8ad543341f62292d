//! `slipway check` on the model: every rule that a set of environments must satisfy together.
//!
//! Rules that need the synthesized templates (property names, references) live in `crate::cfn::validate`;
//! `crate::synth` runs both. Every rule reports all its findings, never only the first.

use std::collections::{BTreeMap, BTreeSet};

use super::environment::Environment;
use super::names::name_problem;
use super::problem::Problem;
use super::project::{Definitions, Project};
use super::target::Target;

/// The longest name a Cloud Foundry app may have and still be its own route's host name (a DNS label).
const MAX_APP_NAME: usize = 63;

/// Checks the definitions' environments and services; an empty list means they are sound.
pub fn check(definitions: &Definitions) -> Vec<Problem> {
    let project = &definitions.project;
    let mut problems = Vec::new();
    let all: Vec<&Environment> = project.all_environments().collect();
    check_names(project, &all, &mut problems);
    // A name defined twice is reported once, above; the rules below see its first definition only, so that
    // the twin's app names and routes are not also reported as colliding with themselves.
    let mut seen = BTreeSet::new();
    let envs: Vec<&Environment> = all.iter().copied().filter(|e| seen.insert(e.name.as_str())).collect();
    for env in &envs {
        check_environment(env, &envs, &mut problems);
    }
    check_promotion_cycles(&envs, &mut problems);
    super::service_check::check_services(project, &envs, &mut problems);
    super::github_check::check_github(definitions, &envs, &mut problems);
    super::asset::check_assets(&project.assets, &mut problems);
    problems.sort();
    problems.dedup();
    problems
}

fn check_names(project: &Project, envs: &[&Environment], problems: &mut Vec<Problem>) {
    if let Some(why) = name_problem(&project.name) {
        problems.push(Problem::new("", "project name", format!("`{}` {why}", project.name)));
    }
    let mut seen = BTreeSet::new();
    for env in &project.environments {
        if !seen.insert(env.name.as_str()) {
            problems.push(Problem::new(
                &env.name,
                "name",
                "is defined more than once; give each environment its own name",
            ));
        }
    }
    for demo in &project.demos {
        if project.environments.iter().any(|e| e.name == demo.name) {
            problems.push(Problem::new(
                &demo.name,
                "name",
                format!(
                    "the feature-demo name `{}` collides with the permanent environment of that name; \
                     choose another demo name",
                    demo.name
                ),
            ));
        } else if !seen.insert(demo.name.as_str()) {
            problems.push(Problem::new(&demo.name, "name", "is used by two feature-demo instances"));
        }
    }
    for env in envs {
        if let Some(why) = name_problem(&env.name) {
            problems.push(Problem::new(&env.name, "name", format!("`{}` {why}", env.name)));
            continue;
        }
        if RESERVED_NAMES.contains(&env.name.as_str()) {
            problems.push(Problem::new(
                &env.name,
                "name",
                format!(
                    "`{}` is reserved: synth writes {} under `{}/`; choose another name",
                    env.name,
                    if env.name == "github" { "the project-wide GitHub settings" } else { "the project's rules" },
                    env.name
                ),
            ));
        }
        let longest =
            project.services_in(env).into_iter().filter(|s| s.on_cloud_gov).map(|s| s.name).max_by_key(String::len);
        let Some(app) = longest
            .filter(|_| env.cloud_gov_target().is_some())
            .map(|s| super::service::cloud_gov_app_name(&project.name, &env.name, &s))
        else {
            continue;
        };
        if app.len() > MAX_APP_NAME {
            problems.push(Problem::new(
                &env.name,
                "name",
                format!(
                    "makes the cloud.gov app name `{app}` ({} characters), longer than the {MAX_APP_NAME} a \
                     route's host name may have; shorten the environment name",
                    app.len()
                ),
            ));
        }
    }
}

/// Names that cannot be environments, because project-wide artifacts live in directories of that name.
pub const RESERVED_NAMES: [&str; 2] = ["github", "slipway"];

fn check_environment(env: &Environment, all: &[&Environment], problems: &mut Vec<Problem>) {
    let name = env.name.as_str();
    if env.targets.is_empty() {
        problems.push(Problem::new(
            name,
            "targets",
            "has no target; add `.aws(..)`, `.cloud_gov(..)` or `.compose(..)`",
        ));
    }
    for t in &env.targets {
        if let Target::Aws(aws) = t
            && let Some(why) = aws.account.problem()
        {
            problems.push(Problem::new(
                name,
                "targets",
                format!("{why}; write it as `account_id!(\"123456789012\")` so that the compiler checks it"),
            ));
        }
    }
    let mut kinds = BTreeMap::new();
    for t in &env.targets {
        let kind = match t {
            Target::Aws(_) => "an AWS account",
            Target::CloudGov(_) => "a cloud.gov space",
            Target::Compose(_) => "a docker-compose host",
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    for (kind, n) in kinds {
        if n > 1 {
            problems.push(Problem::new(
                name,
                "targets",
                format!("names {kind} {n} times; an environment deploys to one of each, so split it in two"),
            ));
        }
    }
    if let Some(cg) = env.cloud_gov_target() {
        for (what, value) in [("org", &cg.org), ("space", &cg.space)] {
            if value.is_empty() || value.chars().any(char::is_whitespace) {
                problems.push(Problem::new(
                    name,
                    "targets",
                    format!("the cloud.gov {what} `{value}` must be non-empty, without spaces"),
                ));
            }
        }
        if let Some(why) = cg.rollout.problem() {
            problems.push(Problem::new(name, "targets", format!("{why}; write them as `.canary([25, 50])`")));
        }
    }
    if env.refs.is_empty() && !matches!(env.trigger, super::Trigger::ReleaseTag(_)) {
        problems.push(Problem::new(
            name,
            "refs",
            "allows no git ref to deploy; add `.deploys_from([\"main\"])` or a glob such as `release/*`",
        ));
    }
    for r in &env.refs {
        if let Some(why) = r.problem() {
            problems.push(Problem::new(name, "refs", format!("the ref pattern {why}")));
        }
    }
    if let super::Trigger::ReleaseTag(tag) = &env.trigger
        && let Some(why) = tag.problem()
    {
        problems.push(Problem::new(name, "trigger", format!("the release tag pattern {why}")));
    }
    if env.trigger == super::Trigger::Promotion && env.promoted_from.is_empty() {
        problems.push(Problem::new(
            name,
            "trigger",
            "is `Trigger::Promotion` but nothing is promoted into it, so nothing could ever reach it; add \
             `.promoted_from([..])` or choose another trigger",
        ));
    }
    let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    for from in &env.promoted_from {
        if from == name {
            problems.push(Problem::new(name, "promoted_from", "names the environment itself"));
        } else if !names.contains(&from.as_str()) {
            problems.push(Problem::new(
                name,
                "promoted_from",
                format!(
                    "names `{from}`, which is not an environment{}",
                    crate::suggest::hint(from, names.iter().copied())
                ),
            ));
        }
    }
    check_approvals(env, problems);
    super::evidence::check(env, problems);
    check_protection(env, problems);
    for check in &env.smoke_checks {
        if check.attempts == 0 {
            problems.push(Problem::new(
                name,
                format!("smoke_checks `{}`", check.name),
                "has 0 attempts; it would never run",
            ));
        }
        if !check.path.starts_with('/') {
            problems.push(Problem::new(
                name,
                format!("smoke_checks `{}`", check.name),
                format!("path `{}` must start with `/`", check.path),
            ));
        }
        if !(100..=599).contains(&check.expect_status) {
            problems.push(Problem::new(
                name,
                format!("smoke_checks `{}`", check.name),
                format!("expects status {}, which is not an HTTP status", check.expect_status),
            ));
        }
    }
}

fn check_approvals(env: &Environment, problems: &mut Vec<Problem>) {
    let a = &env.approvals;
    for group in &a.groups {
        if group.members.is_empty() {
            problems.push(Problem::new(
                &env.name,
                "approvals",
                format!("asks approval from group `{}`, which has no members; add members or drop it", group.name),
            ));
        }
    }
    if a.required == 0 && a.optional == 0 {
        return;
    }
    if a.groups.is_empty() {
        let (n, kind) = if a.required > 0 { (a.required, "") } else { (a.optional, "optional ") };
        problems.push(Problem::new(
            &env.name,
            "approvals",
            format!(
                "needs {n} {kind}approval(s) but names no group to give them; add one with `.from(Group::new(..))`"
            ),
        ));
        return;
    }
    if a.required == 0 {
        return;
    }
    let approvers = a.approvers().len();
    if approvers > 0 && (approvers as u32) < a.required {
        problems.push(Problem::new(
            &env.name,
            "approvals",
            format!(
                "needs {} approvals but its groups have only {approvers} distinct member(s), so no deploy could \
                 ever be approved",
                a.required
            ),
        ));
    }
}

/// Staging and production must be protected: approvals, and refs that are not every ref. A definition that
/// deliberately does without says why with `unprotected_because`.
fn check_protection(env: &Environment, problems: &mut Vec<Problem>) {
    if env.tier < super::Tier::Staging {
        return;
    }
    let waive = "or, if that is deliberate, say why with `.unprotected_because(\"...\")`";
    match &env.unprotected_because {
        Some(reason) if reason.trim().is_empty() => problems.push(Problem::new(
            &env.name,
            "unprotected_because",
            "gives no reason; say why this environment needs no approvals or may deploy from any ref",
        )),
        Some(_) => {}
        None => {
            if env.approvals.required == 0 {
                problems.push(Problem::new(
                    &env.name,
                    "approvals",
                    format!(
                        "a {} environment deploys with no approval; add `.approvals(Approvals::new(1).from(..))`, \
                         {waive}",
                        env.tier
                    ),
                ));
            }
            if let Some(any) = env.refs.iter().find(|r| r.is_unrestricted()) {
                problems.push(Problem::new(
                    &env.name,
                    "refs",
                    format!(
                        "a {} environment deploys from any ref (`{any}`); name the branches (`main`, \
                         `release/*`), {waive}",
                        env.tier
                    ),
                ));
            }
        }
    }
}

/// Reports each promotion cycle once, as the path that closes it (`a -> b -> a`).
fn check_promotion_cycles(envs: &[&Environment], problems: &mut Vec<Problem>) {
    // Edges run from an environment to the ones it is promoted from.
    let edges: BTreeMap<&str, Vec<&str>> = envs
        .iter()
        .map(|e| (e.name.as_str(), e.promoted_from.iter().map(String::as_str).filter(|f| *f != e.name).collect()))
        .collect();
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = edges.keys().map(|k| (*k, Mark::New)).collect();
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        reported: &mut BTreeSet<Vec<&'a str>>,
    ) {
        marks.insert(node, Mark::OnPath);
        path.push(node);
        for &next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied() {
                Some(Mark::New) => visit(next, edges, marks, path, reported),
                Some(Mark::OnPath) => {
                    let start = path.iter().position(|n| *n == next).unwrap_or(0);
                    let mut cycle: Vec<&str> = path[start..].to_vec();
                    // Rotate so that the same cycle found from another node is recorded once.
                    let min = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map(|(i, _)| i).unwrap_or(0);
                    cycle.rotate_left(min);
                    reported.insert(cycle);
                }
                _ => {}
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
    }
    let nodes: Vec<&str> = edges.keys().copied().collect();
    for node in nodes {
        if marks[node] == Mark::New {
            visit(node, &edges, &mut marks, &mut Vec::new(), &mut reported);
        }
    }
    for cycle in reported {
        // Written in promotion order (a release flows from each environment to the next), starting from
        // the first name in sort order so the message does not depend on where the search began.
        let mut order: Vec<&str> = cycle.iter().rev().copied().collect();
        let first = order.iter().enumerate().min_by_key(|(_, n)| **n).map(|(i, _)| i).unwrap_or(0);
        order.rotate_left(first);
        order.push(order[0]);
        problems.push(Problem::new(
            order[0],
            "promoted_from",
            format!(
                "forms a promotion cycle {}; a release must flow one way, so drop one of these links",
                order.join(" -> ")
            ),
        ));
    }
}
