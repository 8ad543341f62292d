//! `slipway check` rules for the services that run on cloud.gov and under docker-compose: what each
//! environment says about its services, their links and its backing services, and what environments
//! must not share (app names in a space, routes anywhere on cloud.gov, published ports on a compose host).
//!
//! Kept apart from `check.rs` because these rules read [`Service`] and the naming functions beside it;
//! `check` calls [`check_services`] once.

use std::collections::BTreeMap;

use super::backing::BackingService;
use super::environment::{Environment, Tier};
use super::problem::Problem;
use super::project::Project;
use super::service::{
    Link, Runtime, Service, cf_variable_in, cloud_gov_app_name, cloud_gov_default_route, variable_name_problem,
};
use super::target::{ComposeHost, PORTS_PER_SLOT};

/// Variables slipway itself sets in manifests and compose files; a definition may not set them too (nor
/// the variables its links make, which are checked per service).
pub const RESERVED_VARIABLES: [&str; 3] = ["APP_ENV", "PORT", "RELEASE"];

/// The longest health-check start timeout cloud.gov accepts, in seconds.
pub const MAX_CLOUD_GOV_TIMEOUT: u32 = 180;

/// Runs every rule of this module over `envs`.
pub fn check_services(project: &Project, envs: &[&Environment], problems: &mut Vec<Problem>) {
    for env in envs {
        if env.cloud_gov_target().is_none() && env.compose_target().is_none() {
            continue;
        }
        let services = project.services_in(env);
        let backing = project.backing_in(env);
        check_names_unique(env, &services, &backing, problems);
        check_registry(project, env, &services, problems);
        for service in &services {
            check_service(env, service, problems);
            check_links(env, service, &services, &backing, problems);
        }
        for b in &backing {
            check_backing(env, b, problems);
        }
        check_published(env, &services, problems);
        if let Some(ComposeHost::Server(host)) = env.compose_target().map(|t| &t.host)
            && (host.contains('/') || route_problem(host).is_some())
        {
            problems.push(Problem::new(
                &env.name,
                "targets",
                format!("the compose server `{}` is not a host name (lowercase DNS labels joined by dots)", host),
            ));
        }
    }
    check_cloud_gov_names(project, envs, problems);
    check_compose_ports(project, envs, problems);
}

/// Service and backing-service names must be names (they are app names, compose keys and host names),
/// and no two may share one.
fn check_names_unique(
    env: &Environment,
    services: &[Service],
    backing: &[BackingService],
    problems: &mut Vec<Problem>,
) {
    let mut seen: Vec<&str> = Vec::new();
    for name in services.iter().map(|s| s.name.as_str()).chain(backing.iter().map(|b| b.name.as_str())) {
        if let Some(why) = super::names::name_problem(name) {
            problems.push(Problem::new(&env.name, format!("services.{name}"), format!("`{name}` {why}")));
        }
        if seen.contains(&name) {
            problems.push(Problem::new(
                &env.name,
                format!("services.{name}"),
                "names two services (or a service and a backing service); give each its own name",
            ));
        }
        seen.push(name);
    }
}

/// A link names a service of the environment, of the right kind, and its variables collide with nothing
/// the service sets itself.
fn check_links(
    env: &Environment,
    service: &Service,
    services: &[Service],
    backing: &[BackingService],
    problems: &mut Vec<Problem>,
) {
    let field = format!("services.{}.links", service.name);
    let mut bad = |message: String| problems.push(Problem::new(&env.name, field.clone(), message));
    let own: Vec<&str> =
        service.variables.keys().chain(service.secrets.iter()).map(String::as_str).chain(RESERVED_VARIABLES).collect();
    for link in &service.links {
        let target = link.target();
        let hint = || {
            let names = services.iter().map(|s| s.name.as_str()).chain(backing.iter().map(|b| b.name.as_str()));
            crate::suggest::hint(target, names)
        };
        let made: Vec<String> = match link {
            Link::Url { service: other, var } => {
                match services.iter().find(|s| &s.name == other) {
                    None => {
                        bad(format!("links to the URL of `{other}`, which is no service of this environment{}", hint()))
                    }
                    Some(o) if o.port.is_none() => {
                        bad(format!("links to the URL of `{other}`, which serves no port (a worker has no URL)"))
                    }
                    Some(o) if o.name == service.name => bad("links to its own URL; use `PORT`".to_string()),
                    Some(_) => {}
                }
                vec![var.clone()]
            }
            Link::Backing { service: other, prefix } => match backing.iter().find(|b| &b.name == other) {
                None => {
                    bad(format!("links to backing service `{other}`, which this environment does not have{}", hint()));
                    Vec::new()
                }
                Some(b) => b.spec("p").connection.keys().map(|k| format!("{prefix}{k}")).collect(),
            },
        };
        for var in made {
            if let Some(why) = variable_name_problem(&var) {
                bad(format!("makes the variable name `{var}`, which {why}"));
            }
            if own.contains(&var.as_str()) {
                bad(format!("makes variable `{var}`, which the service sets itself; rename one of them"));
            }
        }
    }
}

/// A backing service's image is an image name.
fn check_backing(env: &Environment, b: &BackingService, problems: &mut Vec<Problem>) {
    let image = &b.image;
    let last = image.rsplit('/').next().unwrap_or("");
    if image.is_empty() || image.chars().any(|c| c.is_whitespace() || c == '$') || last.starts_with(':') {
        problems.push(Problem::new(
            &env.name,
            format!("backing.{}.image", b.name),
            format!("`{image}` is not an image name (`repository:tag`)"),
        ));
    }
}

/// A compose environment on a developer's machine publishes each web service on its `local_port`; one on
/// a server has at most [`PORTS_PER_SLOT`] of them.
fn check_published(env: &Environment, services: &[Service], problems: &mut Vec<Problem>) {
    let Some(target) = env.compose_target() else { return };
    let published: Vec<&Service> = services.iter().filter(|s| s.on_compose && s.port.is_some()).collect();
    match &target.host {
        ComposeHost::Local => {
            for s in published.iter().filter(|s| s.local_port.is_none()) {
                problems.push(Problem::new(
                    &env.name,
                    format!("services.{}.local_port", s.name),
                    "is not set, and a compose target on the local machine publishes every web service on its \
                     local port; give it one (`Service::local_port`)",
                ));
            }
        }
        ComposeHost::Server(_) if published.len() > usize::from(PORTS_PER_SLOT) => problems.push(Problem::new(
            &env.name,
            "services",
            format!(
                "publishes {} services on a compose server, which gives an environment {PORTS_PER_SLOT} ports",
                published.len()
            ),
        )),
        ComposeHost::Server(_) => {}
    }
}

fn check_service(env: &Environment, app: &Service, problems: &mut Vec<Problem>) {
    let field = |what: &str| format!("services.{}.{what}", app.name);
    let mut bad = |what: &str, message: String| problems.push(Problem::new(&env.name, field(what), message));
    let on_cloud_gov = env.cloud_gov_target().is_some() && app.on_cloud_gov;
    for (name, value) in &app.variables {
        if let Some(why) = variable_name_problem(name) {
            bad("variables", format!("the variable name `{name}` {why}"));
        }
        if RESERVED_VARIABLES.contains(&name.as_str()) || name.starts_with("VCAP_") || name.starts_with("CF_") {
            bad("variables", format!("sets `{name}`, which slipway or the platform sets itself; rename it"));
        }
        if app.secrets.contains(name) {
            bad(
                "variables",
                format!("sets `{name}` as a plain value, but it is also listed as a secret; drop the value"),
            );
        }
        if on_cloud_gov && let Some(var) = cf_variable_in(value) {
            bad(
                "variables",
                format!(
                    "the value of `{name}` holds `{var}`, which `cf push` would read as a manifest variable; \
                         change the value"
                ),
            );
        }
    }
    let mut seen = Vec::new();
    for name in &app.secrets {
        if let Some(why) = variable_name_problem(name) {
            bad("secrets", format!("the secret name `{name}` {why}"));
        }
        if RESERVED_VARIABLES.contains(&name.as_str()) {
            bad("secrets", format!("names `{name}`, which slipway sets itself; rename the secret"));
        }
        if seen.contains(&name) {
            bad("secrets", format!("lists `{name}` twice"));
        }
        seen.push(name);
    }
    if app.port == Some(0) {
        bad("port", "is 0; give the port the service listens on".into());
    }
    if app.health.is_some() && app.port.is_none() {
        bad("health", "is an HTTP check, but the service listens on no port".into());
    }
    if let Some(command) = &app.command {
        if command.trim().is_empty() {
            bad("command", "is empty; use `None` to keep the buildpack's or image's own".into());
        }
        if on_cloud_gov && let Some(var) = cf_variable_in(command) {
            bad("command", format!("holds `{var}`, which `cf push` would read as a manifest variable"));
        }
    }
    if let Runtime::Buildpacks(packs) = &app.runtime
        && packs.iter().any(|p| p.trim().is_empty())
    {
        bad("runtime", "names an empty buildpack".into());
    }
    let Some(h) = &app.health else { return check_routes(app, &mut bad) };
    if !h.path.starts_with('/') || h.path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bad("health.path", format!("`{}` must start with `/` and hold no spaces", h.path.escape_debug()));
    }
    if h.request_timeout_seconds == 0 || h.start_timeout_seconds == 0 {
        bad("health", "has a timeout of 0 seconds; give it at least 1".into());
    }
    if h.interval_seconds == 0 {
        bad("health.interval_seconds", "is 0; give the seconds between two checks".into());
    }
    if on_cloud_gov && h.start_timeout_seconds > MAX_CLOUD_GOV_TIMEOUT {
        bad(
            "health.start_timeout_seconds",
            format!("is {}, more than the {MAX_CLOUD_GOV_TIMEOUT} seconds cloud.gov allows", h.start_timeout_seconds),
        );
    }
    check_routes(app, &mut bad);
}

fn check_routes(app: &Service, bad: &mut impl FnMut(&str, String)) {
    if let Some(image) = &app.image {
        let last = image.rsplit('/').next().unwrap_or("");
        if last.is_empty() || last.contains(':') || last.contains('@') {
            bad("image", format!("`{image}` must be a repository without a tag; the release is the tag"));
        }
    }
    if !app.routes.is_empty() && app.port.is_none() {
        bad("routes", "are given, but the service listens on no port to route to".into());
    }
    for route in &app.routes {
        if let Some(why) = route_problem(route) {
            bad("routes", format!("the route `{route}` {why}"));
        }
    }
}

/// Why `route` (`host.domain[/path]`) cannot be a cloud.gov route, if it cannot.
fn route_problem(route: &str) -> Option<&'static str> {
    let host = route.split('/').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Some("needs a host and a domain (`name.app.cloud.gov`)");
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !labels.iter().all(label_ok) {
        return Some("must be lowercase DNS labels (letters, digits, inner hyphens) joined by dots");
    }
    if route.chars().any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#') {
        return Some("may not hold spaces, `?` or `#`");
    }
    None
}

/// One claim on a name: which environment's which service wants it.
struct Claim<'a> {
    env: &'a str,
    service: String,
    space: String,
}

/// App names must be unique within a space; routes across all of cloud.gov.
fn check_cloud_gov_names(project: &Project, envs: &[&Environment], problems: &mut Vec<Problem>) {
    let mut apps: BTreeMap<(String, String), Claim> = BTreeMap::new();
    let mut routes: BTreeMap<String, Claim> = BTreeMap::new();
    for env in envs {
        let Some(cg) = env.cloud_gov_target() else { continue };
        let space = format!("{}/{}", cg.org, cg.space);
        for app in project.services_in(env).into_iter().filter(|s| s.on_cloud_gov) {
            let component = app.name.clone();
            let claim = || Claim { env: &env.name, service: component.clone(), space: space.clone() };
            let name = cloud_gov_app_name(&project.name, &env.name, &component);
            if let Some(first) = apps.get(&(space.clone(), name.clone())) {
                problems.push(Problem::new(
                    &env.name,
                    "cloud.gov app name",
                    format!(
                        "the {component} app `{name}` collides with the {} app of environment `{}` in space `{space}`; \
                         rename one of the environments",
                        first.service, first.env
                    ),
                ));
            } else {
                apps.insert((space.clone(), name), claim());
            }
            let mut own = Vec::new();
            if app.port.is_some() {
                own.push(cloud_gov_default_route(&project.name, &env.name, &component));
            }
            own.extend(app.routes.iter().cloned());
            for route in own {
                if let Some(first) = routes.get(&route) {
                    let whose = if first.env == env.name {
                        format!("the {} app of this environment", first.service)
                    } else {
                        format!("the {} app of environment `{}` (space `{}`)", first.service, first.env, first.space)
                    };
                    problems.push(Problem::new(
                        &env.name,
                        format!("services.{component}.routes"),
                        format!(
                            "the {component} route `{route}` is already the route of {whose}; a route maps to one \
                             app, so choose another"
                        ),
                    ));
                } else {
                    routes.insert(route, claim());
                }
            }
        }
    }
}

/// Two compose environments must not publish the same port on one host; two feature demos must not
/// derive the same ports at all, since any two of them may be put on one server.
fn check_compose_ports(project: &Project, envs: &[&Environment], problems: &mut Vec<Problem>) {
    let compose: Vec<(&Environment, &ComposeHost)> =
        envs.iter().filter_map(|e| e.compose_target().map(|t| (*e, &t.host))).collect();
    for (i, (a, host_a)) in compose.iter().enumerate() {
        for (b, host_b) in &compose[i + 1..] {
            let same_host = host_a == host_b;
            let both_demos = a.tier == Tier::Demo && b.tier == Tier::Demo;
            if !(same_host || both_demos) {
                continue;
            }
            let (services_a, services_b) = (project.services_in(a), project.services_in(b));
            let ports_a: Vec<u16> =
                host_a.ports_for(&a.name, &services_a.iter().collect::<Vec<_>>()).into_values().collect();
            let ports_b: Vec<u16> =
                host_b.ports_for(&b.name, &services_b.iter().collect::<Vec<_>>()).into_values().collect();
            let mut shared: Vec<u16> = ports_a.iter().filter(|p| ports_b.contains(p)).copied().collect();
            shared.sort_unstable();
            let shared: Vec<String> = shared.iter().map(ToString::to_string).collect();
            if shared.is_empty() {
                continue;
            }
            let where_ = if same_host {
                format!("on {}", host_a.describe())
            } else {
                "if they ever share a demo server".to_string()
            };
            problems.push(Problem::new(
                &b.name,
                "compose published ports",
                format!(
                    "publishes port {} like environment `{}` {where_}; {}",
                    shared.join(" and "),
                    a.name,
                    if both_demos {
                        "the ports are derived from the demo name, so choose another name for one of the demos"
                    } else {
                        "run one of them on another host"
                    }
                ),
            ));
        }
    }
}

/// A compose host that runs an image asset must name the registry it pulls it from, in the form an image
/// reference takes (`host[:port]`, no scheme or path).
fn check_registry(project: &Project, env: &Environment, services: &[Service], problems: &mut Vec<Problem>) {
    let Some(target) = env.compose_target() else { return };
    if let Some(registry) = &target.registry {
        let bad = registry.is_empty()
            || registry.contains("://")
            || registry.contains('/')
            || registry.chars().any(|c| c.is_whitespace() || c.is_ascii_uppercase());
        if bad {
            problems.push(Problem::new(
                &env.name,
                "targets",
                format!(
                    "the compose registry `{registry}` must be a host and optional port in lowercase \
                     (`registry.example.org:5000`), without a scheme or path"
                ),
            ));
        }
        return;
    }
    for service in services.iter().filter(|s| s.on_compose) {
        if let Some(asset) = project.image_asset_of(service) {
            problems.push(Problem::new(
                &env.name,
                format!("service `{}`", service.name),
                format!(
                    "runs image asset `{}` on its compose host, which names no registry to pull it from; add \
                     `.registry(\"registry.example.org:5000\")` to the environment's `ComposeTarget`",
                    asset.name
                ),
            ));
        }
    }
}
