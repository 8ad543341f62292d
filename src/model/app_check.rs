//! `slipway check` rules for the apps that run on cloud.gov and under docker-compose: what each
//! environment says about its components, and what environments must not share (app names in a space,
//! routes anywhere on cloud.gov, published ports on a compose host).
//!
//! Kept apart from `check.rs` because these rules read [`App`] and the naming functions beside it; `check`
//! calls [`check_apps`] once.

use std::collections::BTreeMap;

use super::app::Component;
use super::app::{App, Runtime, cf_variable_in, cloud_gov_app_name, cloud_gov_default_route, variable_name_problem};
use super::environment::{Environment, Tier};
use super::problem::Problem;
use super::project::Project;
use super::target::ComposeHost;

/// Variables slipway itself sets in manifests and compose files; a definition may not set them too.
pub const RESERVED_VARIABLES: [&str; 9] =
    ["API_URL", "APP_ENV", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_PORT", "DB_USER", "PORT", "RELEASE"];

/// The longest health-check start timeout cloud.gov accepts, in seconds.
pub const MAX_CLOUD_GOV_TIMEOUT: u32 = 180;

/// Runs every rule of this module over `envs`.
pub fn check_apps(project: &Project, envs: &[&Environment], problems: &mut Vec<Problem>) {
    for env in envs {
        if env.cloud_gov_target().is_none() && env.compose_target().is_none() {
            continue;
        }
        for component in Component::ALL {
            check_app(env, component, &env.app_of(component), problems);
        }
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
    for env in envs {
        let Some(target) = env.compose_target() else { continue };
        let image = &target.database_image;
        let last = image.rsplit('/').next().unwrap_or("");
        if image.is_empty() || image.chars().any(|c| c.is_whitespace() || c == '$') || last.starts_with(':') {
            problems.push(Problem::new(
                &env.name,
                "targets",
                format!("the compose database image `{image}` is not an image name (`repository:tag`)"),
            ));
        }
    }
    check_cloud_gov_names(project, envs, problems);
    check_compose_ports(envs, problems);
}

fn check_app(env: &Environment, component: Component, app: &App, problems: &mut Vec<Problem>) {
    let field = |what: &str| format!("apps.{component}.{what}");
    let mut bad = |what: &str, message: String| problems.push(Problem::new(&env.name, field(what), message));
    let on_cloud_gov = env.cloud_gov_target().is_some();
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
    if app.port == 0 {
        bad("port", "is 0; give the port the component listens on".into());
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
    let h = &app.health;
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
    if let Some(image) = &app.image {
        let last = image.rsplit('/').next().unwrap_or("");
        if last.is_empty() || last.contains(':') || last.contains('@') {
            bad("image", format!("`{image}` must be a repository without a tag; the release is the tag"));
        }
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

/// One claim on a name: which environment's which component wants it.
struct Claim<'a> {
    env: &'a str,
    component: Component,
    space: String,
}

/// App names must be unique within a space; routes across all of cloud.gov.
fn check_cloud_gov_names(project: &Project, envs: &[&Environment], problems: &mut Vec<Problem>) {
    let mut apps: BTreeMap<(String, String), Claim> = BTreeMap::new();
    let mut routes: BTreeMap<String, Claim> = BTreeMap::new();
    for env in envs {
        let Some(cg) = env.cloud_gov_target() else { continue };
        let space = format!("{}/{}", cg.org, cg.space);
        for component in Component::ALL {
            let claim = || Claim { env: &env.name, component, space: space.clone() };
            let name = cloud_gov_app_name(&project.name, &env.name, component);
            if let Some(first) = apps.get(&(space.clone(), name.clone())) {
                problems.push(Problem::new(
                    &env.name,
                    "cloud.gov app name",
                    format!(
                        "the {component} app `{name}` collides with the {} app of environment `{}` in space `{space}`; \
                         rename one of the environments",
                        first.component, first.env
                    ),
                ));
            } else {
                apps.insert((space.clone(), name), claim());
            }
            let app = env.app_of(component);
            let mut own = vec![cloud_gov_default_route(&project.name, &env.name, component)];
            own.extend(app.routes.iter().cloned());
            for route in own {
                if let Some(first) = routes.get(&route) {
                    let whose = if first.env == env.name {
                        format!("the {} app of this environment", first.component)
                    } else {
                        format!("the {} app of environment `{}` (space `{}`)", first.component, first.env, first.space)
                    };
                    problems.push(Problem::new(
                        &env.name,
                        format!("apps.{component}.routes"),
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
fn check_compose_ports(envs: &[&Environment], problems: &mut Vec<Problem>) {
    let compose: Vec<(&Environment, &ComposeHost)> =
        envs.iter().filter_map(|e| e.compose_target().map(|t| (*e, &t.host))).collect();
    for (i, (a, host_a)) in compose.iter().enumerate() {
        for (b, host_b) in &compose[i + 1..] {
            let same_host = host_a == host_b;
            let both_demos = a.tier == Tier::Demo && b.tier == Tier::Demo;
            if !(same_host || both_demos) {
                continue;
            }
            let ports_a = host_a.ports_for(&a.name).all();
            let ports_b = host_b.ports_for(&b.name).all();
            let shared: Vec<String> = ports_a.iter().filter(|p| ports_b.contains(p)).map(ToString::to_string).collect();
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
