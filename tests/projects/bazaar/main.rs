//! A team's web app of four services under docker-compose, as its own repository would define it (only
//! slipway's public API): `web` (the pages), `api` (behind them), PostgreSQL and an object store, with a
//! feature demo for every branch `feature-demo/<name>`, brought up on a demo server.
//!
//! Its preview and live servers run the same services with docker-compose too, and nothing else: no AWS
//! account, no cloud.gov space. Every push to `main` deploys preview over SSH; a maintainer promotes what
//! runs there to live.
//!
//! The images are the team's (`ghcr.io/acme/bazaar`, tagged with the release); where they cannot be pulled
//! (slipway's tests, whose Docker engine has only images built on the machine), `BAZAAR_IMAGE`,
//! `BAZAAR_FILES_IMAGE`, `BAZAAR_POSTGRES_IMAGE`, `BAZAAR_DEMO_HOST`, `BAZAAR_SERVER_HOST` and
//! `BAZAAR_SERVER_DOCKER_HOST` name the ones to run, the servers to run them on and how to reach them. Both
//! web services are served by one image: a shell that writes `<env> <service> <release>` to `/` and `ok` to
//! `/health` (except under release `broken`, which slipway's tests deploy as a release that never becomes
//! healthy), and serves them.
//!
//! With `BAZAAR_SITE_CONTEXT` (a build context holding a Dockerfile), the team also runs `site`: an image
//! asset built from it by `release create`, which its servers pull from the registry `BAZAAR_REGISTRY`
//! names (slipway's tests of image assets; the project is otherwise as above).

use slipway::model::{
    Approvals, Asset, BackingService, ComposeHost, ComposeTarget, CustomBacking, Definitions, Environment, Group,
    HealthCheck, Link, Project, Repository, Rollback, Service, SmokeCheck, SmokeUrl, Tier, Trigger,
};

fn main() -> std::process::ExitCode {
    slipway::app::main(project())
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

fn project() -> Definitions {
    let project = Project::new("bazaar", Repository::new("acme", "bazaar"));
    let project = match std::env::var("BAZAAR_SITE_CONTEXT") {
        Ok(context) => project.asset(Asset::image("site", context)).service(site()),
        Err(_) => project,
    };
    project
        .service(web_service("api").link(Link::backing("db")).link(Link::backing("files")).local_port(8081))
        .service(web_service("web").link(Link::url("api", "API_URL")).local_port(8080))
        .backing(BackingService::postgres("db").image(var("BAZAAR_POSTGRES_IMAGE", "postgres:16-alpine")))
        .backing(files())
        .environment(
            Environment::new("dev", Tier::Development)
                .compose_on(registry(ComposeTarget::new(ComposeHost::Local)))
                .deploys_from(["main"])
                .trigger(Trigger::Push),
        )
        .environment(preview())
        .environment(live())
        .demos_from(demo)
}

/// A service of the app's image, serving on 8080 and checked at `/health` every second.
fn web_service(name: &str) -> Service {
    Service::web(name, 8080)
        .docker()
        .image(var("BAZAAR_IMAGE", "ghcr.io/acme/bazaar"))
        .command(format!(
            "set -e; mkdir -p /tmp/www; echo \"$APP_ENV {name} $RELEASE\" > /tmp/www/index.html; \
             [ \"$RELEASE\" = broken ] || echo ok > /tmp/www/health; trap 'exit 0' TERM; \
             httpd -f -p \"$PORT\" -h /tmp/www & wait"
        ))
        .health(HealthCheck { start_timeout_seconds: 10, interval_seconds: 1, ..HealthCheck::http("/health") })
}

/// The site: image asset `site` (its files in `/site`), serving on 8080 and checked at `/health`.
fn site() -> Service {
    Service::web("site", 8080)
        .docker()
        .image("site")
        .local_port(8082)
        .command("trap 'exit 0' TERM; httpd -f -p \"$PORT\" -h /site & wait")
        .health(HealthCheck { start_timeout_seconds: 10, interval_seconds: 1, ..HealthCheck::http("/health") })
}

/// The object store: an S3-compatible server the api reaches at `FILES_ENDPOINT`.
fn files() -> BackingService {
    let custom = CustomBacking {
        port: 9000,
        command: Some(["httpd", "-f", "-p", "9000", "-h", "/data"].map(str::to_string).to_vec()),
        health: Some("nc -w 1 127.0.0.1 9000 < /dev/null".into()),
        data_path: Some("/data".into()),
        connection: [("ENDPOINT".to_string(), "http://${HOST}:${PORT}".to_string())].into(),
        ..CustomBacking::default()
    };
    BackingService::custom("files", var("BAZAAR_FILES_IMAGE", "ghcr.io/acme/bazaar-files:1"), custom)
        .described("the object store the api keeps uploads in")
}

/// A server of the team's, `name`: docker-compose over SSH and nothing else, checked by its smoke checks.
fn server(name: &str, tier: Tier) -> Environment {
    let server = var("BAZAAR_SERVER_HOST", &format!("{name}.bazaar.example"));
    let engine = var("BAZAAR_SERVER_DOCKER_HOST", &format!("ssh://deploy@{name}.bazaar.example"));
    Environment::new(name, tier)
        .compose_on(registry(ComposeTarget::new(ComposeHost::Server(server)).docker_host(engine)))
        .smoke(SmokeCheck::get("web", SmokeUrl::service("web"), "/"))
        .smoke(SmokeCheck::get("api", SmokeUrl::service("api"), "/health"))
}

/// `target`, pulling image assets from `BAZAAR_REGISTRY` when it names a registry.
fn registry(target: ComposeTarget) -> ComposeTarget {
    match std::env::var("BAZAAR_REGISTRY") {
        Ok(registry) => target.registry(registry),
        Err(_) => target,
    }
}

/// The preview server, where the team's power users try each merge: deployed on every push to `main`.
fn preview() -> Environment {
    server("preview", Tier::Staging)
        .deploys_from(["main"])
        .trigger(Trigger::Push)
        .unprotected_because("the team tries each merge on preview at once; the PR into `main` is reviewed")
}

/// The live server: what runs on preview, promoted with a maintainer's approval.
fn live() -> Environment {
    server("live", Tier::Production)
        .deploys_from(["main"])
        .promoted_from(["preview"])
        .approvals(Approvals::new(1).from(Group::new("maintainers", ["ines", "omar"])))
}

/// The feature demo `name`: on the demo server, left as it is when it does not come up.
fn demo(name: &str) -> Environment {
    Environment::new(name, Tier::Demo)
        .compose_on(registry(ComposeTarget::new(ComposeHost::Server(var("BAZAAR_DEMO_HOST", "demo.bazaar.example")))))
        .deploys_from([format!("feature-demo/{name}").as_str()])
        .trigger(Trigger::Push)
        .rollback(Rollback::Leave)
        .smoke(SmokeCheck::get("web", SmokeUrl::service("web"), "/"))
        .smoke(SmokeCheck::get("api", SmokeUrl::service("api"), "/health"))
}
