//! Feature demos: throwaway instances from branches named `feature-demo/<name>`, run with docker-compose
//! on a demo server and shut down when the demo is over.

use crate::model::{ComposeHost, Environment, Rollback, Tier, Trigger};

/// The feature-demo instance `name`: deployed on every push to `feature-demo/<name>`.
pub fn feature_demo(name: &str) -> Environment {
    Environment::new(name, Tier::Demo)
        .compose(ComposeHost::Server(format!("{name}.demo.webapp.example")))
        .deploys_from([format!("feature-demo/{name}").as_str()])
        .trigger(Trigger::Push)
        .rollback(Rollback::Leave)
}
