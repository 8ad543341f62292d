//! cloud.gov manifests: one per environment with a cloud.gov target, valid against the published
//! manifest schema, app names and routes distinct between environments that share a
//! space, secrets only as bound services, and `slipway check` refusing collisions.

use std::collections::BTreeSet;

use serde_json::Value;
use slipway::model::{BackingService, Definitions, Environment, Project, Repository, Tier};
use slipway::synth::cloudgov;
use webapp::{backend, frontend};

use crate::synth::artifacts::{assert_valid, files_ending, project, schema, synth, yaml_to_json};

const SCHEMA: &str = "cloudfoundry-application-manifest.json";

#[test]
fn every_environment_on_cloud_gov_gets_a_manifest_that_the_schema_accepts() {
    let project = project();
    let set = synth(&project);
    let manifests = files_ending(&set, "/cloudgov/manifest.yml");
    let paths: BTreeSet<&str> = manifests.iter().map(|(p, _)| p.as_str()).collect();
    // Exactly the environments whose definitions name a cloud.gov space, whichever they are.
    let on_cloud_gov: Vec<String> = project
        .all_environments()
        .filter(|e| e.cloud_gov_target().is_some())
        .map(|e| format!("{}/cloudgov/manifest.yml", e.name))
        .collect();
    assert!(on_cloud_gov.len() >= 4, "the reference project has cloud.gov environments");
    assert_eq!(paths, on_cloud_gov.iter().map(String::as_str).collect());
    let validator = schema(SCHEMA);
    for (path, text) in &manifests {
        assert_valid(&validator, path, &yaml_to_json(text));
    }
}

/// A project of its own: `experiment` and `development` share space `dev` (the four-environment flow).
fn shared_space_project(experiment: Environment) -> Definitions {
    let env = |name: &str, space: &str| {
        Environment::new(name, Tier::Development).cloud_gov("tanf-org", space).deploys_from(["develop"])
    };
    Project::new("tanf", Repository::new("hhs", "tanf-app"))
        .service(frontend())
        .service(backend())
        .backing(BackingService::postgres("db"))
        .environment(env("development", "dev"))
        .environment(experiment)
        .environment(env("staging", "staging"))
        .into()
}

fn manifest_of(project: &Definitions, env: &str) -> Value {
    let set = synth(project);
    let text = set.file(&format!("{env}/cloudgov/manifest.yml")).unwrap();
    yaml_to_json(std::str::from_utf8(text).unwrap())
}

fn apps(manifest: &Value) -> &Vec<Value> {
    manifest["applications"].as_array().expect("applications is a list")
}

#[test]
fn environments_sharing_a_space_get_their_own_app_pair_and_routes() {
    let experiment = Environment::new("experiment", Tier::Development).cloud_gov("tanf-org", "dev").deploys_from(["*"]);
    let project = shared_space_project(experiment);
    let mut names = BTreeSet::new();
    let mut routes = BTreeSet::new();
    for env in ["development", "experiment"] {
        let manifest = manifest_of(&project, env);
        let got: Vec<&str> = apps(&manifest).iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert_eq!(got, [format!("tanf-frontend-{env}"), format!("tanf-backend-{env}")]);
        for app in apps(&manifest) {
            assert!(names.insert(app["name"].as_str().unwrap().to_string()));
            for r in app["routes"].as_array().unwrap() {
                assert!(routes.insert(r["route"].as_str().unwrap().to_string()), "route {r} twice");
            }
        }
    }
    assert_eq!(names.len(), 4);
    assert_eq!(routes.len(), 4);
}

#[test]
fn sizing_health_checks_services_and_labels_come_from_the_definitions() {
    let manifest = manifest_of(&project(), "prod");
    let [frontend, backend] = apps(&manifest).as_slice() else { panic!("two apps") };
    let web = &backend["processes"][0];
    assert_eq!(web["type"], "web");
    assert_eq!(web["instances"], 3);
    assert_eq!(web["memory"], "2048M");
    assert_eq!(web["disk_quota"], "2048M");
    assert_eq!(web["health-check-type"], "http");
    assert_eq!(web["health-check-http-endpoint"], "/health");
    assert_eq!(web["timeout"], 60);
    assert_eq!(frontend["processes"][0]["memory"], "512M");
    // Secrets are bound services, never values; prod has a database, so its service is bound too.
    assert_eq!(backend["services"], serde_json::json!(["webapp-secrets-prod", "webapp-db-prod"]));
    assert!(backend["env"].get("SECRET_KEY").is_none());
    assert!(frontend.get("services").is_none());
    assert_eq!(frontend["env"]["API_URL"], "https://webapp-backend-prod.app.cloud.gov");
    // Release and commit are only known at deploy time: `cf push --var` fills them in.
    let labels = &backend["metadata"]["labels"];
    assert_eq!(labels["environment"], "prod");
    assert_eq!(labels["release"], cloudgov::RELEASE_VAR);
    assert_eq!(labels["commit"], cloudgov::COMMIT_VAR);
}

#[test]
fn a_docker_runtime_pushes_the_image_tagged_with_the_release() {
    let experiment = Environment::new("experiment", Tier::Development)
        .cloud_gov("tanf-org", "dev")
        .deploys_from(["*"])
        .service(backend().docker())
        .service(frontend().buildpacks(Vec::<String>::new()));
    let manifest = manifest_of(&shared_space_project(experiment), "experiment");
    assert_valid(&schema(SCHEMA), "the experiment manifest", &manifest);
    let [frontend, backend] = apps(&manifest).as_slice() else { panic!("two apps") };
    assert_eq!(backend["docker"]["image"], "ghcr.io/hhs/tanf-backend:((release))");
    assert!(backend.get("buildpacks").is_none());
    assert_eq!(frontend["buildpacks"], serde_json::json!([]));
}

fn problems(project: &Definitions) -> Vec<String> {
    slipway::model::check(project).iter().map(ToString::to_string).collect()
}

#[test]
fn check_refuses_a_route_another_environment_in_the_space_already_has() {
    let experiment = Environment::new("experiment", Tier::Development)
        .cloud_gov("tanf-org", "dev")
        .deploys_from(["*"])
        .service(frontend().route("tanf-frontend-development.app.cloud.gov"));
    assert_eq!(
        problems(&shared_space_project(experiment)),
        [
            "environment `experiment`, services.frontend.routes: the frontend route `tanf-frontend-development.app.cloud.gov` \
          is already the route of the frontend app of environment `development` (space `tanf-org/dev`); a route maps \
          to one app, so choose another"
        ]
    );
}

#[test]
fn check_refuses_a_route_taken_in_another_space_too() {
    // Routes on app.cloud.gov are unique across all of cloud.gov, not only within a space.
    let experiment = Environment::new("experiment", Tier::Development)
        .cloud_gov("tanf-org", "dev")
        .deploys_from(["*"])
        .service(backend().route("tanf-backend-staging.app.cloud.gov"));
    assert_eq!(
        problems(&shared_space_project(experiment)),
        ["environment `staging`, services.backend.routes: the backend route `tanf-backend-staging.app.cloud.gov` is \
          already the route of the backend app of environment `experiment` (space `tanf-org/dev`); a route maps to one \
          app, so choose another"]
    );
}

#[test]
fn check_refuses_two_environments_that_would_push_the_same_apps_into_one_space() {
    let twin = Environment::new("development", Tier::Development).cloud_gov("tanf-org", "dev").deploys_from(["*"]);
    // Reported once, as a duplicate: not also as the twin's apps and routes colliding with themselves.
    assert_eq!(
        problems(&shared_space_project(twin)),
        ["environment `development`, name: is defined more than once; give each environment its own name"]
    );
}

#[test]
fn check_refuses_values_cf_push_would_read_as_variables_and_bad_app_settings() {
    let mut backend = backend().var("GREETING", "hi ((name))").var("PORT", "1");
    let health = backend.health.as_mut().expect("the backend has a health check");
    health.path = "health".into();
    health.start_timeout_seconds = 600;
    backend.secrets.push("bad-name".into());
    let experiment = Environment::new("experiment", Tier::Development)
        .cloud_gov("tanf-org", "dev")
        .deploys_from(["*"])
        .service(backend);
    assert_eq!(
        problems(&shared_space_project(experiment)),
        [
            "environment `experiment`, services.backend.health.path: `health` must start with `/` and hold no spaces",
            "environment `experiment`, services.backend.health.start_timeout_seconds: is 600, more than the 180 seconds \
             cloud.gov allows",
            "environment `experiment`, services.backend.secrets: the secret name `bad-name` may hold only ASCII letters, \
             digits and `_`, as a shell variable does",
            "environment `experiment`, services.backend.variables: sets `PORT`, which slipway or the platform sets itself; \
             rename it",
            "environment `experiment`, services.backend.variables: the value of `GREETING` holds `((name))`, which `cf \
             push` would read as a manifest variable; change the value",
        ]
    );
}
