//! An app's configuration as a deploy sets it: created in a space with environment variables, the variables
//! changed, its web process scaled and health-checked, a route mapped, service instances bound; each checked
//! against what the server holds afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use slipway::cloudfoundry::{
    AppUpdate, CfError, HealthCheck, HealthCheckData, HealthCheckType, Lifecycle, NewApp, Scale,
};

use super::{CfServer, DOMAIN, err, run, space};

#[test]
fn an_app_is_created_with_env_scaled_health_checked_routed_and_bound() {
    let server = CfServer::start();
    let cf = server.client();
    let app = run(async {
        let space = space(&cf).await;
        assert!(cf.app_named(&space, "frontend").await.unwrap().is_none());
        let new = NewApp::new("frontend", &space)
            .lifecycle(Lifecycle::docker())
            .env("LOG_LEVEL", "info")
            .env("DATABASE_URL", "postgres://app:s3cret@db/app");
        // Variable values may be secrets: a NewApp shows their names only.
        assert!(!format!("{new:?}").contains("s3cret") && format!("{new:?}").contains("DATABASE_URL"));
        let app = cf.create_app(&new).await.unwrap();
        assert_eq!(
            (app.name.as_str(), app.state.as_str(), app.lifecycle.kind.as_str()),
            ("frontend", "STOPPED", "docker")
        );
        assert_eq!(app.relationships.space.guid(), Some(space.as_str()));
        assert_eq!(
            cf.app_named(&space, "FRONTEND").await.unwrap().unwrap().guid,
            app.guid,
            "names are case-insensitive"
        );

        // The same name again in the space: CF's uniqueness error, naming the endpoint.
        let e = err(cf.create_app(&NewApp::new("frontend", &space)).await);
        assert_eq!(e.titles(), ["CF-UniquenessError"]);
        assert!(
            e.to_string().starts_with(&format!(
                "POST {}/v3/apps: Cloud Foundry answered 422: CF-UniquenessError (10016)",
                server.url
            )),
            "{e}"
        );

        // Environment variables: merged, a null removes one.
        let changes = BTreeMap::from([
            ("LOG_LEVEL".to_string(), Some("debug".to_string())),
            ("DATABASE_URL".to_string(), None),
            ("FEATURE_X".to_string(), Some("on".to_string())),
        ]);
        let env = cf.update_environment_variables(&app.guid, &changes).await.unwrap();
        assert_eq!(env.var, BTreeMap::from([("FEATURE_X".into(), json!("on")), ("LOG_LEVEL".into(), json!("debug"))]));
        assert_eq!(cf.environment_variables(&app.guid).await.unwrap().var, env.var);

        // The web process: scaled, then an http health check.
        let web = cf.process(&app.guid, "web").await.unwrap();
        assert_eq!((web.instances, web.health_check.kind.clone()), (1, HealthCheckType::Port));
        let scaled = cf
            .scale_process(&web.guid, &Scale { instances: Some(3), memory_in_mb: Some(256), disk_in_mb: None })
            .await
            .unwrap();
        assert_eq!((scaled.instances, scaled.memory_in_mb, scaled.disk_in_mb), (3, 256, 1024));
        let check = HealthCheck {
            kind: HealthCheckType::Http,
            data: HealthCheckData {
                endpoint: Some("/health".into()),
                timeout: Some(60),
                invocation_timeout: Some(2),
                interval: None,
            },
        };
        let checked = cf.set_process(&web.guid, &check, None).await.unwrap();
        assert_eq!(checked.health_check, check);
        // An http check needs a path: the API's refusal.
        let bad = HealthCheck {
            kind: HealthCheckType::Http,
            data: HealthCheckData { endpoint: Some("health".into()), ..Default::default() },
        };
        assert_eq!(err(cf.set_process(&web.guid, &bad, None).await).status(), Some(422));

        // A route in the domain, found again once made, mapped to the web process.
        let domain = cf.domain(DOMAIN).await.unwrap();
        assert!(cf.route(&space, &domain.guid, "frontend-dev", "").await.unwrap().is_none());
        let route = cf.create_route(&space, &domain.guid, "frontend-dev", "").await.unwrap();
        assert_eq!(route.url, format!("frontend-dev.{DOMAIN}"));
        assert_eq!(cf.route(&space, &domain.guid, "frontend-dev", "").await.unwrap().unwrap().guid, route.guid);
        let e = err(cf.create_route(&space, &domain.guid, "frontend-dev", "").await);
        assert!(e.to_string().contains("Route already exists with host 'frontend-dev'"), "{e}");
        let destinations = cf.map_route(&route.guid, &app.guid, "web").await.unwrap();
        assert_eq!(destinations.len(), 1);
        assert_eq!((destinations[0].app.guid.as_str(), destinations[0].port), (app.guid.as_str(), Some(8080)));

        // Two service instances: user-provided (bound at once) and managed (through a job).
        let config = cf.service_instance(&space, "config").await.unwrap();
        let db = cf.service_instance(&space, "db").await.unwrap();
        assert_eq!((config.kind.as_str(), db.kind.as_str()), ("user-provided", "managed"));
        let bound = cf.bind_service(&app.guid, &config.guid, Duration::from_secs(5)).await.unwrap();
        assert_eq!(bound.last_operation.unwrap().state, "succeeded");
        let bound = cf.bind_service(&app.guid, &db.guid, Duration::from_secs(5)).await.unwrap();
        assert_eq!(bound.relationships.service_instance.guid(), Some(db.guid.as_str()));
        assert_eq!(bound.last_operation.unwrap().state, "succeeded", "read after its job completed");
        let bindings = cf.app_bindings(&app.guid).await.unwrap();
        let mut instances: Vec<&str> =
            bindings.iter().filter_map(|b| b.relationships.service_instance.guid()).collect();
        instances.sort();
        let mut expected = vec![config.guid.as_str(), db.guid.as_str()];
        expected.sort();
        assert_eq!(instances, expected);
        let e = err(cf.bind_service(&app.guid, &db.guid, Duration::from_secs(5)).await);
        assert!(e.to_string().contains("The app is already bound to the service instance"), "{e}");

        // A name that is not there: the error names what and where.
        let e = err(cf.service_instance(&space, "cache").await);
        assert!(matches!(e, CfError::NotFound { .. }), "{e:?}");
        assert!(
            e.to_string().starts_with(&format!("GET {}/v3/service_instances?names=cache&space_guids=", server.url)),
            "{e}"
        );
        assert!(e.to_string().ends_with("no service instance `cache` in the space"), "{e}");
        app
    });

    // What the server holds: the app's variables, its web process, the route and the binding job polled.
    let state = server.state();
    assert_eq!(state["apps"]["frontend"]["env"], json!({ "FEATURE_X": "on", "LOG_LEVEL": "debug" }));
    let web = state["processes"].as_array().unwrap().iter().find(|p| p["app"] == app.guid.as_str()).unwrap();
    assert_eq!((web["instances"].as_i64(), web["memory_in_mb"].as_i64()), (Some(3), Some(256)));
    assert_eq!(
        web["health_check"],
        json!({ "type": "http", "data": { "endpoint": "/health", "timeout": 60, "invocation_timeout": 2, "interval": null } })
    );
    let created = server.received("POST", "/v3/apps");
    assert_eq!(created[0]["body"]["lifecycle"], json!({ "type": "docker", "data": {} }));
    assert_eq!(created[0]["body"]["environment_variables"]["LOG_LEVEL"], "info");
    let polls = server.received("GET", "/v3/jobs/");
    assert!(polls.len() >= 2, "the binding job was polled until COMPLETE: {polls:?}");
    let mapped = server.received("POST", "/v3/routes/");
    assert_eq!(
        mapped[0]["body"],
        json!({ "destinations": [{ "app": { "guid": app.guid, "process": { "type": "web" } } }] })
    );
}

#[test]
fn a_binding_whose_job_fails_is_reported_with_the_jobs_errors() {
    let server = CfServer::start();
    let cf = server.client();
    server.script(json!({ "kind": "fail_binding", "service_instance": "db", "reason": "the broker is at capacity" }));
    let e = run(async {
        let space = space(&cf).await;
        let app = cf.create_app(&NewApp::new("worker", &space)).await.unwrap();
        let db = cf.service_instance(&space, "db").await.unwrap();
        err(cf.bind_service(&app.guid, &db.guid, Duration::from_secs(5)).await)
    });
    let shown = e.to_string();
    assert!(matches!(e, CfError::Failed { .. }), "{e:?}");
    assert!(shown.starts_with(&format!("GET {}/v3/jobs/", server.url)), "{shown}");
    assert!(
        shown.contains("(service_bindings.create) FAILED: CF-UnableToPerform (10009): bind could not be completed: the broker is at capacity"),
        "{shown}"
    );
}

#[test]
fn a_route_is_unmapped_and_an_app_without_a_droplet_is_not_started() {
    let server = CfServer::start();
    let cf = server.client();
    run(async {
        let space = space(&cf).await;
        let app = cf.create_app(&NewApp::new("api", &space)).await.unwrap();
        assert_eq!(app.lifecycle.kind, "buildpack", "the API's default lifecycle");
        let update =
            AppUpdate { name: None, lifecycle: Some(Lifecycle::buildpack(&["python_buildpack"], Some("cflinuxfs4"))) };
        let updated = cf.update_app(&app.guid, &update).await.unwrap();
        assert_eq!(updated.lifecycle.data, json!({ "buildpacks": ["python_buildpack"], "stack": "cflinuxfs4" }));
        let to_docker = AppUpdate { name: Some("api-v2".into()), lifecycle: Some(Lifecycle::docker()) };
        assert_eq!(err(cf.update_app(&app.guid, &to_docker).await).status(), Some(422), "a lifecycle's type stays");
        // Not startable without a droplet: CF says why.
        let e = err(cf.start_app(&app.guid).await);
        assert!(
            e.to_string().ends_with("CF-UnprocessableEntity (10008): Assign a droplet before starting this app."),
            "{e}"
        );
        assert!(cf.current_droplet(&app.guid).await.unwrap().is_none());

        let domain = cf.domain(DOMAIN).await.unwrap();
        let route = cf.create_route(&space, &domain.guid, "api", "/v1").await.unwrap();
        assert_eq!(route.url, format!("api.{DOMAIN}/v1"));
        let mapped = cf.map_route(&route.guid, &app.guid, "web").await.unwrap();
        assert_eq!(
            cf.map_route(&route.guid, &app.guid, "web").await.unwrap().len(),
            1,
            "mapping twice changes nothing"
        );
        cf.unmap_route(&route.guid, &mapped[0].guid).await.unwrap();
        let route = cf.route(&space, &domain.guid, "api", "/v1").await.unwrap().unwrap();
        assert!(route.destinations.is_empty(), "{route:?}");
        let e = err(cf.unmap_route(&route.guid, &mapped[0].guid).await);
        assert_eq!(e.status(), Some(422), "{e}");
    });
    let deleted = server.received("DELETE", "/v3/routes/");
    assert_eq!(deleted.iter().map(|r| r["status"].as_i64().unwrap()).collect::<Vec<_>>(), [204, 422]);
}
