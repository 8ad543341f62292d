//! A project whose feature demos run on the test engine: the reference project, with a demo factory that
//! makes the reference `feature_demo(name)` and then points its apps at the images the test command
//! builds (busybox serving HTTP) and its database at the test PostgreSQL image, on host [`LOCAL_HOST`]. The
//! reference definition names images on ghcr.io that cannot be pulled here and stays as it is; tests that
//! bring a demo up (and the demo commands' tests) use [`local_project`], so that the URLs a demo prints
//! answer for real.

use std::collections::BTreeMap;

use slipway::docker::ServiceChange;
use slipway::model::{BackingService, ComposeHost, ComposeTarget, Definitions, Environment, Service, Target};

use crate::support::{ProjectCleanup, docker, harness_var, http_get, tempdir, unique_name};
use crate::synth::compose::write_bundle;

/// The address a local demo's URLs name: the test engine publishes ports on this machine. (`slipway
/// check` wants a compose server's name to have a dot, so not `localhost`.)
pub const LOCAL_HOST: &str = "127.0.0.1";

/// The test image's repository and tag (`slipway-test/busybox`, `1`): a demo's apps run
/// `<repository>:<RELEASE>`, so the tag is the release to put in `.env`.
pub fn local_image() -> (String, String) {
    let image = harness_var("SLIPWAY_TEST_IMAGE");
    let (repository, tag) = image.rsplit_once(':').expect("SLIPWAY_TEST_IMAGE has a tag");
    (repository.to_string(), tag.to_string())
}

/// The release a local demo's `.env` names: the test image's tag.
pub fn local_release() -> String {
    local_image().1
}

/// The release (image tag) under which a local demo's apps serve no `/health`, so that a backend (whose
/// health check reads it) never becomes healthy: tag the test image so to run it.
pub const BROKEN: &str = "broken";

/// A service that serves `<env> <service> <release>` at `/` and `ok` at `/health` (except under release
/// [`BROKEN`]) from the test image, on `$PORT`, with busybox's httpd: the reference `service`, run from the
/// test image. One that links to the database first proves it reaches it by name (and exits when it
/// cannot).
pub fn served(service: Service) -> Service {
    let name = service.name.clone();
    let wait_for_db = if service.links.iter().any(|l| l.target() == "db") {
        "nc -w 5 \"$DB_HOST\" \"$DB_PORT\" < /dev/null; "
    } else {
        ""
    };
    let health = service.health.clone().expect("the reference services have health checks");
    service
        .docker()
        .image(local_image().0)
        // The shell stays as PID 1 and ends on TERM, which httpd as PID 1 would ignore (making every `down`
        // wait out docker's 10-second stop timeout).
        .command(format!(
            "set -e; {wait_for_db}mkdir -p /tmp/www; echo \"$APP_ENV {name} $RELEASE\" > /tmp/www/index.html; \
             [ \"$RELEASE\" = {BROKEN} ] || echo ok > /tmp/www/health; trap 'exit 0' TERM; \
             httpd -f -p \"$PORT\" -h /tmp/www & wait"
        ))
        // Checked every second, so that a demo is up in seconds rather than a ten-second step per service,
        // and one that is broken is found so within seconds too.
        .health(slipway::model::HealthCheck { start_timeout_seconds: 8, interval_seconds: 1, ..health })
}

/// The reference feature demo `name`, running on [`LOCAL_HOST`] from the test images.
pub fn local_demo(name: &str) -> Environment {
    let mut env = webapp::feature_demo(name);
    env.targets.retain(|t| !matches!(t, Target::Compose(_)));
    env.compose_on(ComposeTarget::new(ComposeHost::Server(LOCAL_HOST.into())))
        .backing(BackingService::postgres("db").image(harness_var("SLIPWAY_TEST_POSTGRES_IMAGE")))
        .service(served(webapp::frontend()))
        .service(served(webapp::backend()))
}

/// The reference project, making its demos with [`local_demo`].
pub fn local_project() -> Definitions {
    webapp::project().demos_from(local_demo)
}

/// A demo name no other test of this run uses, whose ports on [`LOCAL_HOST`] no other such name has and
/// nothing listens on now: demos that run at once never fight over a port by chance.
pub fn demo_name(prefix: &str) -> String {
    demo_name_slugged(prefix, |name| name.to_string())
}

/// [`demo_name`], for names whose demo runs under another slug (`slug` makes it from the name).
pub fn demo_name_slugged(prefix: &str, slug: impl Fn(&str) -> String) -> String {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    static TAKEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let name = unique_name(prefix);
        let (frontend, backend) = (webapp::frontend(), webapp::backend());
        let ports = ComposeHost::Server(LOCAL_HOST.into()).ports_for(&slug(&name), &[&frontend, &backend]);
        let mut taken = TAKEN.lock().unwrap();
        let free = |port: u16| std::net::TcpListener::bind((LOCAL_HOST, port)).is_ok();
        if ports.values().all(|p| !taken.contains(p) && free(*p)) {
            taken.extend(ports.values().copied());
            return name;
        }
    }
}

#[test]
fn a_local_demo_comes_up_on_the_engine_and_answers_on_the_urls_synth_gives() {
    let engine = docker();
    let name = demo_name("local");
    let project = local_project().with_demo(&name).unwrap();
    let set = crate::synth::artifacts::synth(&project);
    let dir = tempdir();
    let release = local_release();
    write_bundle(&set, &name, dir.path(), &release);
    let bundle = slipway::synth::compose::bundle(&project, project.find(&name).unwrap()).unwrap();
    let _cleanup = ProjectCleanup::new(&engine, &bundle.project);

    let report = engine.compose().up(dir.path(), &bundle.project, &engine.host).unwrap_or_else(|e| panic!("{e}"));
    let created = ["backend", "db", "frontend"].map(|s| (s.to_string(), ServiceChange::Created));
    assert_eq!(report.changes, BTreeMap::from(created));
    for (component, url) in &bundle.urls {
        assert!(url.starts_with(&format!("http://{LOCAL_HOST}:")), "{url}");
        assert_eq!(http_get(url), Ok((200, format!("{name} {component} {release}\n"))), "GET {url}");
    }
    let backend = &bundle.urls.iter().find(|(c, _)| c == "backend").unwrap().1;
    assert_eq!(http_get(&format!("{backend}/health")), Ok((200, "ok\n".into())));

    let (frontend, backend) = (webapp::frontend(), webapp::backend());
    let ports = ComposeHost::Server(LOCAL_HOST.into()).ports_for(&name, &[&frontend, &backend]);
    let published: BTreeMap<String, u16> = report.published().into_iter().map(|p| (p.service, p.published)).collect();
    assert_eq!(published, ports);
    let found = engine.compose().projects(&engine.host).unwrap();
    let found = found.iter().find(|p| p.name == bundle.project).expect("the demo is listed");
    assert_eq!(found.label("slipway.environment"), Some(name.as_str()));
    assert_eq!(found.label("slipway.project"), Some("webapp"));
}
