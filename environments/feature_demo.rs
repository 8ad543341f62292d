//! Feature demos: throwaway instances from branches named `feature-demo/<name>`, run with docker-compose
//! on a demo server and shut down when the demo is over (`slipway demo up|down|gc`).

use slipway::model::{ComposeHost, Environment, Rollback, SmokeCheck, SmokeUrl, Tier, Trigger};

/// The feature-demo instance `name`: deployed on every push to `feature-demo/<name>`. A demo that does not
/// come up is left as it is for whoever is debugging it; `slipway demo down` removes it.
pub fn feature_demo(name: &str) -> Environment {
    Environment::new(name, Tier::Demo)
        .compose(ComposeHost::Server(format!("{name}.demo.webapp.example")))
        .deploys_from([format!("feature-demo/{name}").as_str()])
        .trigger(Trigger::Push)
        .rollback(Rollback::Leave)
        .smoke(SmokeCheck::get("frontend", SmokeUrl::service("frontend"), "/"))
        .smoke(SmokeCheck::get("backend", SmokeUrl::service("backend"), "/health"))
}
