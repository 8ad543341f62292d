//! What the cloud.gov, compose and YAML-escaping tests share: the reference project with feature demos,
//! synthesis of it, YAML read back as JSON, and the published JSON schemas that judge the files. (Whole-file
//! snapshots of these artifacts are taken with every other artifact's, in `synth.rs`.)

use slipway::model::Definitions;
use slipway::synth::ArtifactSet;

/// The feature demos the tests synthesize beside the permanent environments.
pub const DEMOS: [&str; 2] = ["checkout-redesign", "dark-mode"];

/// This repository's project with [`DEMOS`] added.
pub fn project() -> Definitions {
    DEMOS.iter().fold(webapp::project(), |p: Definitions, d| p.with_demo(d).expect("the project makes demos"))
}

/// Synthesizes `project`, failing the test with every problem when it is refused.
pub fn synth(project: &Definitions) -> ArtifactSet {
    match crate::support::synth(project, &[]) {
        Ok(set) => set,
        Err(problems) => {
            panic!("synthesis refused:\n{}", problems.0.iter().map(|p| format!("  {p}\n")).collect::<String>())
        }
    }
}

/// The files of `set` whose path ends with `suffix`, as text, sorted by path.
pub fn files_ending(set: &ArtifactSet, suffix: &str) -> Vec<(String, String)> {
    set.files()
        .iter()
        .filter(|(path, _)| path.ends_with(suffix))
        .map(|(path, bytes)| (path.clone(), String::from_utf8(bytes.clone()).expect("artifacts are UTF-8")))
        .collect()
}

/// `yaml` parsed and turned into a JSON value, as a schema validator reads it.
pub fn yaml_to_json(yaml: &str) -> serde_json::Value {
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("not valid YAML ({e}):\n{yaml}"))
}

/// A validator for `../shared/schemas/<file>`, the published schema kept beside the repository.
pub fn schema(file: &str) -> jsonschema::Validator {
    let path = crate::support::shared_dir().join("schemas").join(file);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read the schema {}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{} is not a usable schema: {e}", path.display()))
}

/// Fails the test with every schema error of `instance`, each with its path.
pub fn assert_valid(validator: &jsonschema::Validator, what: &str, instance: &serde_json::Value) {
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("  {}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not validate:\n{}", errors.join("\n"));
}
