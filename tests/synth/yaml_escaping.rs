//! Every value slipway places into YAML reads back as exactly that value: property tests over arbitrary
//! strings (and strings built from the pieces YAML treats specially) for environment variable names and
//! values and start commands, through the real templates and through the whole of synthesis.

use proptest::prelude::*;
use serde_json::Value;
use slipway::model::{BackingService, ComposeHost, Definitions, Environment, Project, Repository, Tier};
use slipway::synth::templates::compose_literal;
use slipway::synth::{cloudgov, compose};

use crate::synth::artifacts::{assert_valid, schema, yaml_to_json};

/// Pieces that a naive YAML writer gets wrong: indicators, comments, quotes, line breaks (YAML 1.1's
/// too), aliases, tags, YAML 1.1 booleans and nulls, numbers, compose's `$`, cf's `((var))`, non-ASCII.
const TRICKY: &[&str] = &[
    ":",
    ": ",
    " #",
    "#",
    "'",
    "\"",
    "\\",
    "\n",
    "\r\n",
    "\t",
    " ",
    "*",
    "&a",
    "!",
    "!!str",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "~",
    "null",
    "true",
    "False",
    "0",
    "0x1F",
    "1e3",
    ".inf",
    "-",
    "- ",
    "? ",
    "|",
    ">",
    "%",
    "@",
    "`",
    "{",
    "}",
    "[",
    "]",
    ",",
    "---",
    "...",
    "é",
    "日本語",
    "🚀",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "$",
    "$$",
    "${X}",
    "((x))",
];

fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(TRICKY), 0..6).prop_map(|parts| parts.concat()),
        prop::collection::vec(prop_oneof![prop::sample::select(TRICKY).prop_map(String::from), "[a-z0-9]{0,3}"], 0..8)
            .prop_map(|parts| parts.concat()),
    ]
}

fn dev_project() -> Definitions {
    webapp::project()
}

fn parse(text: &str) -> Value {
    yaml_to_json(text)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cloud_gov_manifests_read_back_every_name_value_and_command(
        name in tricky(), value in tricky(), command in tricky(),
    ) {
        let project = dev_project();
        let env = project.find("dev").unwrap();
        let mut manifest = cloudgov::manifest(&project, env).unwrap();
        manifest.apps[1].env.insert(name.clone(), value.clone());
        manifest.apps[1].command = Some(command.clone());
        manifest.apps[0].buildpacks = vec![value.clone()];
        let text = cloudgov::render_manifest(&manifest).unwrap();
        let back = parse(&text);
        let backend = &back["applications"][1];
        prop_assert_eq!(&backend["env"][&name], &Value::String(value.clone()), "{}", text);
        prop_assert_eq!(&backend["processes"][0]["command"], &Value::String(command));
        prop_assert_eq!(&back["applications"][0]["buildpacks"][0], &Value::String(value));
        // Nothing else moved: the other variables are still there, with their values.
        prop_assert_eq!(&backend["env"]["APP_ENV"], &Value::String("dev".into()));
    }

    #[test]
    fn compose_files_read_back_every_name_value_and_command(
        name in tricky(), value in tricky(), command in tricky(),
    ) {
        let project = dev_project();
        let env = project.find("dev").unwrap();
        let mut bundle = compose::bundle(&project, env).unwrap();
        let backend = bundle.services.iter_mut().find(|s| s.key == "backend").unwrap();
        backend.environment.insert(name.clone(), compose_literal(&value));
        backend.command = Some(vec!["/bin/sh".into(), "-c".into(), compose_literal(&command)]);
        let text = compose::render_compose(&bundle).unwrap();
        let back = parse(&text);
        let read = back["services"]["backend"]["environment"][&name].as_str().unwrap().to_string();
        prop_assert_eq!(&read, &compose_literal(&value), "{}", text);
        // Compose turns each `$$` back into `$`, so the container sees the value itself.
        prop_assert_eq!(read.replace("$$", "$"), value);
        let cmd = back["services"]["backend"]["command"][2].as_str().unwrap().replace("$$", "$");
        prop_assert_eq!(cmd, command);
    }
}

/// Cases the property tests once found, kept as plain tests (the layout has no place for proptest's
/// regression files, so their persistence is off).
#[test]
fn an_empty_command_is_written_not_dropped() {
    let project = dev_project();
    let mut manifest = cloudgov::manifest(&project, project.find("dev").unwrap()).unwrap();
    manifest.apps[1].command = Some(String::new());
    let back = parse(&cloudgov::render_manifest(&manifest).unwrap());
    assert_eq!(back["applications"][1]["processes"][0]["command"], "");
}

/// A project whose only environment runs on cloud.gov and docker-compose with the given backend settings.
fn project_with(value: &str, command: &str) -> Definitions {
    let backend = webapp::backend().command(command).var("GREETING", value);
    Project::new("webapp", Repository::new("example", "webapp"))
        .service(webapp::frontend())
        .service(backend)
        .backing(BackingService::postgres("db"))
        .environment(
            Environment::new("dev", Tier::Development)
                .cloud_gov("org", "dev")
                .compose(ComposeHost::Local)
                .deploys_from(["main"]),
        )
        .into()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Through the whole pipeline: definitions, check, synthesis, files; and the files stay valid.
    #[test]
    fn synthesized_files_carry_values_and_commands_exactly(value in tricky(), command in tricky()) {
        prop_assume!(!command.trim().is_empty());
        let project = project_with(&value, &command);
        let set = match crate::support::synth(&project, &[]) {
            Ok(set) => set,
            Err(problems) => {
                // The only refusal such values may earn: cf push would read `((name))` as a variable.
                prop_assert!(slipway::model::cf_variable_in(&value).is_some()
                    || slipway::model::cf_variable_in(&command).is_some(), "{:?}", problems);
                return Ok(());
            }
        };
        let manifest = parse(std::str::from_utf8(set.file("dev/cloudgov/manifest.yml").unwrap()).unwrap());
        assert_valid(&schema("cloudfoundry-application-manifest.json"), "manifest", &manifest);
        prop_assert_eq!(&manifest["applications"][1]["env"]["GREETING"], &Value::String(value.clone()));
        prop_assert_eq!(&manifest["applications"][1]["processes"][0]["command"], &Value::String(command.clone()));
        let file = parse(std::str::from_utf8(set.file("dev/compose/docker-compose.yml").unwrap()).unwrap());
        assert_valid(&schema("compose-spec.json"), "compose file", &file);
        let backend = &file["services"]["backend"];
        prop_assert_eq!(backend["environment"]["GREETING"].as_str().unwrap().replace("$$", "$"), value);
        prop_assert_eq!(backend["command"][2].as_str().unwrap().replace("$$", "$"), command);
    }
}
