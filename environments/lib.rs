//! This repository's definitions (the crate `webapp`): its environments, services and stacks, and the
//! example a new team copies. `main.rs` makes them a program (`slipway::app::main`), which the `slipway`
//! engine runs to synthesize them; they depend only on slipway's pure part, so they build without the
//! AWS SDK.
//!
//! A web app (`webapp`: a static frontend, a Python backend and its Postgres database) runs in four
//! permanent environments, promoted dev -> test -> staging -> prod, plus throwaway feature-demo instances
//! made from a name at run time.

use slipway::model::{Asset, BackingService, Definitions, Group, HealthCheck, Link, Project, Repository, Service};

#[path = "../stacks/mod.rs"]
pub mod stacks;

mod dev;
mod feature_demo;
mod prod;
mod staging;
mod test;

pub use feature_demo::feature_demo;

/// The directory the app's code is in (`app/backend`, `app/frontend`): the repository's top, wherever the
/// program runs.
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The app's code, as assets: the backend (the function's zip on AWS, the app's bits on cloud.gov) and
/// the frontend's static files, so that a release carries them and a deploy publishes them.
pub fn code() -> [Asset; 2] {
    [Asset::directory("backend", "app/backend"), Asset::directory("frontend", "app/frontend")]
}

/// `definitions` with the app's code declared (for a project that uses these stacks).
pub fn with_code(definitions: Definitions) -> Definitions {
    code().into_iter().fold(definitions, Definitions::asset).assets_in(ROOT)
}

/// The people who approve releases into test and staging.
pub fn qa() -> Group {
    Group::new("qa", ["amara", "jonas"])
}

/// The people who approve releases into production.
pub fn release_managers() -> Group {
    Group::new("release-managers", ["priya", "mateo", "ines"])
}

/// The static frontend, served on 8080 (3000 on a developer's machine); it calls the backend at `API_URL`.
pub fn frontend() -> Service {
    Service::web("frontend", 8080)
        .buildpacks(["staticfile_buildpack"])
        .source("frontend")
        .local_port(3000)
        .link(Link::url("backend", "API_URL"))
}

/// The Python backend, served on 8080 (8000 on a developer's machine), checked at `/health`; it reads its
/// database's connection from `DB_*` and a secret key.
pub fn backend() -> Service {
    Service::web("backend", 8080)
        .buildpacks(["python_buildpack"])
        .source("backend")
        .command("python3 -m webapp.serve --port $PORT")
        .health(HealthCheck::http("/health"))
        .secret("SECRET_KEY")
        .memory_mb(512)
        .local_port(8000)
        .link(Link::backing("db"))
}

/// The project: its code, its services, every permanent environment, and the factories of stacks and demo
/// instances.
pub fn project() -> Definitions {
    let project = Project::new("webapp", Repository::new("slipway-examples", "webapp"))
        .service(frontend())
        .service(backend())
        .backing(BackingService::postgres("db"))
        .environment(dev::dev())
        .environment(test::test())
        .environment(staging::staging())
        .environment(prod::prod())
        .demos_from(feature_demo)
        .stacks_from(crate::stacks::for_environment);
    with_code(project)
}
