//! Synthesis: the definitions in, every artifact out, as a map from [`ArtifactKey`] to bytes.
//!
//! A pure function of the definitions: no clock, no network, no file system, so the same definitions
//! give the same bytes. Writing the artifacts to a directory is `output`'s job, reading them back (with
//! every file checked against the manifest) is `read`'s.

mod alarms;
mod artifact;
pub mod cloudgov;
pub mod compose;
pub mod github;
pub mod graph;
mod manifest;
mod output;
mod read;
pub mod rules;
pub mod templates;

use std::collections::{BTreeMap, BTreeSet};

use crate::cfn::deps::{self, Links};
use crate::cfn::{Stack, validate};
use crate::model::{Definitions, Environment, Problem, Problems, Project, SmokeUrl};

pub use artifact::{ArtifactKey, ArtifactKind, Artifacts, RESERVED_NAMES, Scope, TEMPLATE_EXTENSIONS};
pub use manifest::{MANIFEST, Manifest, ManifestEntry, sha256_hex};
pub use output::{OutputError, write};
pub use read::{ReadError, SynthDir, read_dir};

/// Tag keys every taggable resource carries.
pub const TAG_ENVIRONMENT: &str = "slipway:environment";
/// The project tag key.
pub const TAG_PROJECT: &str = "slipway:project";

/// Something worth telling the user that is not an error (a template that must go through S3).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// The artifact the note is about.
    pub path: String,
    /// What to know.
    pub message: String,
}

/// What one synthesis produced: every artifact by key, and what was synthesized.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArtifactSet {
    /// The artifacts (the manifest is made from them, see [`ArtifactSet::manifest`]).
    pub artifacts: Artifacts,
    /// The environments synthesized, in definition order.
    pub environments: Vec<String>,
    /// The stacks synthesized per environment (their short names), in dependency order. Their templates
    /// are the artifacts: the typed ones are dropped once written, which at a thousand stacks is most of
    /// the memory a synthesis would otherwise hold.
    pub stacks: BTreeMap<String, Vec<String>>,
    /// Things to tell the user.
    pub notes: Vec<Note>,
    /// The bytes of the project's file and directory assets, by the key they are kept and published under
    /// (`assets/<hash>.zip`): the definitions' program reads them (synthesis itself reads no file).
    pub assets: BTreeMap<String, Vec<u8>>,
}

/// Synthesizes the environments named in `only` (all of them when empty).
///
/// Fails with every problem found in the definitions and templates, not only the first.
pub fn synth(definitions: &Definitions, only: &[String]) -> Result<ArtifactSet, Problems> {
    let project = &definitions.project;
    let mut problems = crate::model::check(definitions);
    let mut set = ArtifactSet::default();
    for env in project.all_environments() {
        if !only.is_empty() && !only.contains(&env.name) {
            continue;
        }
        set.environments.push(env.name.clone());
        let stacks = definitions.stacks_of(env);
        let ordered = synth_cloudformation(project, env, stacks, &mut set, &mut problems);
        set.stacks.insert(env.name.clone(), ordered.into_iter().map(|s| s.name).collect());
        synth_cloudgov(project, env, &mut set, &mut problems);
        synth_compose(project, env, &mut set, &mut problems);
        check_smoke_services(project, env, &mut problems);
    }
    // The workflows and GitHub environments describe the whole project, so they come with a synthesis of
    // all of it (and a diff or read of some environments leaves them out on both sides).
    if only.is_empty() {
        synth_github(definitions, &mut set, &mut problems);
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(Problems(problems));
    }
    Ok(set)
}

impl ArtifactSet {
    /// The manifest of every artifact.
    pub fn manifest(&self) -> Manifest {
        Manifest::of(&self.artifacts, &self.environments).with_assets(&self.assets)
    }

    /// The contents of the artifact at relative path `path`, if there is one.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        ArtifactKey::from_path(path).and_then(|k| self.artifacts.get(&k)).map(Vec::as_slice)
    }

    /// Every file an output directory holds: each artifact at its path, and `manifest.json`.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = self.artifacts.iter().map(|(k, v)| (k.path(), v.clone())).collect();
        files.push((MANIFEST.to_string(), self.manifest().to_json().into_bytes()));
        files.sort();
        files
    }

    /// The artifacts of environment `env`.
    pub fn of_environment(&self, env: &str) -> Artifacts {
        self.artifacts
            .iter()
            .filter(|(k, _)| k.environment() == Some(env))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The part of the set a synthesis of only the environments `envs` makes (all of it when empty):
    /// their artifacts, without the project-wide files.
    pub fn only(&self, envs: &[String]) -> ArtifactSet {
        if envs.is_empty() {
            return self.clone();
        }
        let wanted = |env: Option<&str>| env.is_some_and(|e| envs.iter().any(|w| w == e));
        ArtifactSet {
            artifacts: self
                .artifacts
                .iter()
                .filter(|(k, _)| wanted(k.environment()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            environments: self.environments.iter().filter(|e| wanted(Some(e))).cloned().collect(),
            stacks: self.stacks.iter().filter(|(e, _)| wanted(Some(e))).map(|(e, s)| (e.clone(), s.clone())).collect(),
            notes: Vec::new(),
            assets: self.assets.clone(),
        }
    }
}

fn synth_cloudformation(
    project: &Project,
    env: &Environment,
    mut stacks: Vec<Stack>,
    set: &mut ArtifactSet,
    problems: &mut Vec<Problem>,
) -> Vec<Stack> {
    let mut names = BTreeSet::new();
    for stack in &mut stacks {
        let field = format!("stack `{}`", stack.name);
        if !names.insert(stack.name.clone()) {
            problems.push(Problem::new(&env.name, &field, "is defined twice; give each stack its own name"));
        }
        let stack_name = stack.stack_name(&project.name, &env.name);
        if let Some(why) = stack_name_problem(&stack_name) {
            problems.push(Problem::new(&env.name, &field, format!("makes the stack name `{stack_name}`, which {why}")));
        }
        tag_resources(stack, &[(TAG_PROJECT, &project.name), (TAG_ENVIRONMENT, &env.name)]);
        if !stack.after.is_empty() {
            stack.template.metadata.insert(deps::AFTER_METADATA.into(), Links::after_metadata(&stack.after));
        }
        for f in validate::template(&stack.template) {
            problems.push(Problem::new(&env.name, format!("{field}, {}", f.path), f.message));
        }
        let key = ArtifactKey::template(&env.name, &stack.name);
        let path = key.path();
        let json = stack.template.to_json();
        unresolved_assets(project, &json, |message| problems.push(Problem::new(&env.name, &field, message)));
        match validate::size(json.len()) {
            Ok(Some(note)) => set.notes.push(Note { path: path.clone(), message: note }),
            Ok(None) => {}
            Err(f) => problems.push(Problem::new(&env.name, field, f.message)),
        }
        set.artifacts.insert(key, json.into_bytes());
    }
    let ordered = order_by_imports(env, stacks, problems);
    check_smoke_outputs(env, &ordered, problems);
    alarms::check(env, &ordered, problems);
    ordered
}

/// Reports each asset a template refers to that the project does not declare, or that was not hashed.
fn unresolved_assets(project: &Project, json: &str, mut report: impl FnMut(String)) {
    let mut rest = json;
    let mut seen = BTreeSet::new();
    while let Some(at) = rest.find(crate::model::UNRESOLVED) {
        rest = &rest[at + crate::model::UNRESOLVED.len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        if !seen.insert(name.clone()) {
            continue;
        }
        report(match project.find_asset(&name) {
            None => format!(
                "refers to asset `{name}`, which the project does not declare; declare it (`Project::asset`) or \
                 correct the name"
            ),
            Some(_) => format!(
                "refers to asset `{name}`, which was not hashed: synthesize through the definitions' program \
                 (`synth`), which hashes every asset first"
            ),
        });
    }
}

/// Adds `<env>/cloudgov/manifest.yml` when the environment has a cloud.gov target.
fn synth_cloudgov(project: &Project, env: &Environment, set: &mut ArtifactSet, problems: &mut Vec<Problem>) {
    let Some(manifest) = cloudgov::manifest(project, env) else { return };
    match cloudgov::render_manifest(&manifest) {
        Ok(text) => {
            set.artifacts
                .insert(ArtifactKey::env_file(&env.name, ArtifactKind::CloudGov, "manifest.yml"), text.into_bytes());
        }
        Err(e) => problems.push(Problem::new(&env.name, "cloud.gov manifest", e.to_string())),
    }
}

/// Adds `<env>/compose/docker-compose.yml` and `.env.example` when the environment has a compose target,
/// and `install.sh` when that target is a server.
fn synth_compose(project: &Project, env: &Environment, set: &mut ArtifactSet, problems: &mut Vec<Problem>) {
    let Some(bundle) = compose::bundle(project, env) else { return };
    let on_server = env.compose_target().is_some_and(|t| t.host != crate::model::ComposeHost::Local);
    let mut files = vec![
        ("docker-compose.yml", compose::render_compose(&bundle)),
        (".env.example", compose::render_env_example(&bundle)),
    ];
    if on_server {
        files.push(("install.sh", compose::render_install(&bundle)));
    }
    for (name, text) in files {
        match text {
            Ok(text) => {
                set.artifacts.insert(ArtifactKey::env_file(&env.name, ArtifactKind::Compose, name), text.into_bytes());
            }
            Err(e) => problems.push(Problem::new(&env.name, "docker-compose bundle", e.to_string())),
        }
    }
}

/// Adds `.github/workflows/slipway-*.yml`, `github/environments.json` and `slipway/project.json`.
fn synth_github(project: &Definitions, set: &mut ArtifactSet, problems: &mut Vec<Problem>) {
    for workflow in github::workflows(project) {
        match github::render_workflow(&workflow) {
            Ok(text) => {
                set.artifacts
                    .insert(ArtifactKey::project_file(ArtifactKind::Workflow, &workflow.file), text.into_bytes());
            }
            Err(e) => problems.push(Problem::new("", format!("workflow {}", workflow.file), e.to_string())),
        }
    }
    let environments = github::environments_json(&github::environments(project, project.demo_factory.is_some()));
    set.artifacts
        .insert(ArtifactKey::project_file(ArtifactKind::GitHub, github::ENVIRONMENTS_FILE), environments.into_bytes());
    let rules = rules::Rules::of(project).to_json();
    set.artifacts.insert(ArtifactKey::project_file(ArtifactKind::Rules, rules::RULES_FILE), rules.into_bytes());
    let without_aws: Vec<&str> =
        project.environments.iter().filter(|e| e.aws_target().is_none()).map(|e| e.name.as_str()).collect();
    if !without_aws.is_empty() && project.github.store_role.is_none() {
        set.notes.push(Note {
            path: ".github/workflows".into(),
            message: format!(
                "{} no AWS account, so {} CI jobs get no credentials for the S3 store every runner shares; name a \
                 store role (`GitHubSettings::store_role`) and make it in the store's account with \
                 `Project::store_access_role(BUCKET, PREFIX)`",
                match without_aws.as_slice() {
                    [one] => format!("environment `{one}` has"),
                    many => format!(
                        "environments {} have",
                        many.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
                    ),
                },
                if without_aws.len() == 1 { "its" } else { "their" }
            ),
        });
    }
}

/// CloudFormation's rule for stack names: a letter, then letters, digits and hyphens, 128 at most.
fn stack_name_problem(name: &str) -> Option<&'static str> {
    if name.len() > 128 {
        return Some("is longer than the 128 characters CloudFormation allows; shorten the environment name");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Some("CloudFormation refuses: a stack name is a letter followed by letters, digits and hyphens");
    }
    None
}

/// Resource types whose `Tags` property is a JSON object rather than a list of `{Key, Value}`.
const MAP_TAGGED_TYPES: [&str; 4] =
    ["AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::DomainName", "AWS::SSM::Parameter"];

/// Adds `tags` to every resource whose type takes tags, keeping tags the stack set itself.
fn tag_resources(stack: &mut Stack, tags: &[(&str, &str)]) {
    use crate::cfn::Expr;
    let mut tags: Vec<(&str, &str)> = tags.to_vec();
    let stack_name = stack.name.clone();
    tags.push(("slipway:stack", &stack_name));
    for r in stack.template.resources.values_mut() {
        let takes_tags = crate::cfn::resource_types::get(&r.kind).is_some_and(|s| s.is_writable("Tags"));
        if !takes_tags {
            continue;
        }
        if MAP_TAGGED_TYPES.contains(&r.kind.as_str()) {
            let mut map = match r.properties.remove("Tags") {
                Some(Expr::Map(m)) => m,
                _ => BTreeMap::new(),
            };
            for (k, v) in &tags {
                map.entry((*k).to_string()).or_insert_with(|| Expr::str(*v));
            }
            r.properties.insert("Tags".into(), Expr::Map(map));
        } else {
            let mut list = match r.properties.remove("Tags") {
                Some(Expr::List(l)) => l,
                _ => Vec::new(),
            };
            let has = |list: &[Expr], key: &str| {
                list.iter().any(|t| matches!(t, Expr::Map(m) if m.get("Key") == Some(&Expr::str(key))))
            };
            for (k, v) in &tags {
                if !has(&list, k) {
                    list.push(Expr::map([("Key", Expr::str(*k)), ("Value", Expr::str(*v))]));
                }
            }
            list.sort_by(|a, b| tag_key(a).cmp(&tag_key(b)));
            r.properties.insert("Tags".into(), Expr::List(list));
        }
    }
}

/// The literal key of a `{Key, Value}` tag, for sorting.
fn tag_key(tag: &crate::cfn::Expr) -> Option<&str> {
    match tag {
        crate::cfn::Expr::Map(m) => match m.get("Key") {
            Some(crate::cfn::Expr::Str(k)) => Some(k),
            _ => None,
        },
        _ => None,
    }
}

/// Orders stacks so that each comes after the stacks whose exports it imports; reports duplicate exports,
/// imports of exports no stack of the environment declares, and import cycles.
fn order_by_imports(env: &Environment, stacks: Vec<Stack>, problems: &mut Vec<Problem>) -> Vec<Stack> {
    let mut exporter: BTreeMap<&str, &str> = BTreeMap::new();
    for s in &stacks {
        for e in s.exports() {
            if let Some(other) = exporter.insert(e, &s.name) {
                problems.push(Problem::new(
                    &env.name,
                    format!("stack `{}`", s.name),
                    format!("exports `{e}`, which stack `{other}` exports too; export names are unique in a region"),
                ));
            }
        }
    }
    for s in &stacks {
        for import in s.imports() {
            match exporter.get(import) {
                Some(from) if *from == s.name => problems.push(Problem::new(
                    &env.name,
                    format!("stack `{}`", s.name),
                    format!("imports `{import}`, its own export; use a Ref or GetAtt instead"),
                )),
                Some(_) => {}
                None => problems.push(Problem::new(
                    &env.name,
                    format!("stack `{}`", s.name),
                    format!(
                        "imports `{import}`, which no stack of this environment exports{}",
                        crate::suggest::hint(import, exporter.keys().copied())
                    ),
                )),
            }
        }
    }
    for s in &stacks {
        for other in &s.after {
            if !stacks.iter().any(|t| &t.name == other) || other == &s.name {
                problems.push(Problem::new(
                    &env.name,
                    format!("stack `{}`", s.name),
                    format!(
                        "is declared to come after `{other}`, which is not another stack of this environment{}",
                        crate::suggest::hint(other, stacks.iter().map(|t| t.name.as_str()))
                    ),
                ));
            }
        }
    }
    let links: Vec<(String, Links)> = stacks.iter().map(|s| (s.name.clone(), Links::of(s))).collect();
    let deps = deps::dependencies(links.iter().map(|(n, l)| (n.as_str(), l)));
    let names: Vec<String> = stacks.iter().map(|s| s.name.clone()).collect();
    let order = deps::order(&names, &deps).unwrap_or_else(|cycle| {
        problems.push(Problem::new(
            &env.name,
            "stacks",
            format!(
                "stacks {} import each other's exports in a cycle; CloudFormation cannot deploy them",
                cycle.join(", ")
            ),
        ));
        names.clone()
    });
    // Stack names may repeat (a problem reported above): keep every stack, in order, the repeats last.
    let mut remaining = stacks;
    let mut ordered = Vec::with_capacity(remaining.len());
    for name in &order {
        if let Some(i) = remaining.iter().position(|s| &s.name == name) {
            ordered.push(remaining.remove(i));
        }
    }
    ordered.append(&mut remaining);
    ordered
}

/// A smoke check of a service's URL needs a compose target that publishes that service.
fn check_smoke_services(project: &Project, env: &Environment, problems: &mut Vec<Problem>) {
    for check in &env.smoke_checks {
        let SmokeUrl::Service(name) = &check.url else { continue };
        let field = format!("smoke_checks `{}`", check.name);
        if env.compose_target().is_none() {
            problems.push(Problem::new(
                &env.name,
                field,
                format!(
                    "reads the URL a compose target publishes `{name}` on, but the environment has no compose \
                     target; read a stack output instead"
                ),
            ));
            continue;
        }
        let services = project.services_in(env);
        match services.iter().find(|s| &s.name == name) {
            Some(s) if s.on_compose && s.port.is_some() => {}
            Some(_) => problems.push(Problem::new(
                &env.name,
                field,
                format!("reads the URL of `{name}`, which the compose target does not publish (it serves no port)"),
            )),
            None => problems.push(Problem::new(
                &env.name,
                field,
                format!(
                    "reads the URL of `{name}`, which is no service of this environment{}",
                    crate::suggest::hint(name, services.iter().map(|s| s.name.as_str()))
                ),
            )),
        }
    }
}

fn check_smoke_outputs(env: &Environment, stacks: &[Stack], problems: &mut Vec<Problem>) {
    for check in &env.smoke_checks {
        let field = format!("smoke_checks `{}`", check.name);
        let output = match &check.url {
            SmokeUrl::Stack(output) => output,
            SmokeUrl::Service(_) => continue,
        };
        let Some(stack) = stacks.iter().find(|s| s.name == output.stack) else {
            problems.push(Problem::new(
                &env.name,
                field,
                format!(
                    "reads stack `{}`, which the environment does not have{}",
                    output.stack,
                    crate::suggest::hint(&output.stack, stacks.iter().map(|s| s.name.as_str()))
                ),
            ));
            continue;
        };
        if !stack.template.outputs.contains_key(&output.output) {
            problems.push(Problem::new(
                &env.name,
                field,
                format!(
                    "reads output `{}` of stack `{}`, which has no such output{}",
                    output.output,
                    stack.name,
                    crate::suggest::hint(&output.output, stack.template.outputs.keys().map(String::as_str))
                ),
            ));
        }
    }
}
