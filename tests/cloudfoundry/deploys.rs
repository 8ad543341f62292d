//! From image or source to running instances: docker and bits packages, builds (staged, or failed with the
//! platform's reason), rolling and canary deployments (paused, continued, canceled, crashed), and the
//! revisions and droplets they leave.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use slipway::cloudfoundry::{
    BuildState, CfError, CloudFoundry, DeploymentReason, DeploymentValue, InstanceState, Lifecycle, NewApp,
    NewDeployment, PackageState, Scale, Strategy,
};

use super::{CfServer, err, run, space, wait_running, zip};

const WAIT: Duration = Duration::from_secs(10);

/// Stages `image` for the app; the droplet's guid.
pub async fn stage_image(cf: &CloudFoundry, app: &str, image: &str) -> String {
    let package = cf.create_docker_package(app, image, None).await.unwrap();
    assert_eq!(package.state, PackageState::Ready, "a docker package needs no upload");
    let build = cf.create_build(&package.guid, None).await.unwrap();
    assert_eq!(build.state, BuildState::Staging);
    let build = cf.wait_for_build(&build.guid, WAIT).await.unwrap();
    build.droplet.unwrap().guid
}

/// An app running `image` on `instances` web instances: created, staged, deployed (the first deployment of
/// a stopped app starts it at once), scaled, running. Its guid and droplet.
pub async fn running_app(cf: &CloudFoundry, name: &str, image: &str, instances: u32) -> (String, String) {
    let space = space(cf).await;
    let app = cf.create_app(&NewApp::new(name, &space).lifecycle(Lifecycle::docker())).await.unwrap();
    let droplet = stage_image(cf, &app.guid, image).await;
    let first = cf.create_deployment(&NewDeployment::rolling(&app.guid).droplet(&droplet)).await.unwrap();
    assert_eq!(
        (first.status.value.clone(), first.status.reason.clone()),
        (DeploymentValue::Finalized, DeploymentReason::Deployed)
    );
    assert_eq!(cf.app(&app.guid).await.unwrap().state.as_str(), "STARTED");
    let web = cf.process(&app.guid, "web").await.unwrap();
    cf.scale_process(&web.guid, &Scale { instances: Some(instances), ..Scale::default() }).await.unwrap();
    wait_running(cf, &web.guid, instances as usize).await;
    (app.guid, droplet)
}

/// The app's web processes on the server, with their instance counts.
fn web_processes(server: &CfServer, app: &str) -> Vec<(String, i64)> {
    let state = server.state();
    state["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["app"] == app && p["type"] == "web")
        .map(|p| (p["guid"].as_str().unwrap().to_string(), p["instances"].as_i64().unwrap()))
        .collect()
}

#[test]
fn a_docker_image_is_staged_and_rolled_out_until_its_instances_run() {
    let server = CfServer::start();
    let cf = server.client();
    let (app, deployment) = run(async {
        let (app, first) = running_app(&cf, "frontend", "registry.example/frontend:1", 2).await;
        let droplet = cf.droplet(&first).await.unwrap();
        assert_eq!(
            (droplet.image.as_deref(), droplet.lifecycle.kind.as_str()),
            (Some("registry.example/frontend:1"), "docker")
        );
        assert!(droplet.process_types.contains_key("web"), "{droplet:?}");

        let second = stage_image(&cf, &app, "registry.example/frontend:2").await;
        let d = cf.create_deployment(&NewDeployment::rolling(&app).droplet(&second).max_in_flight(1)).await.unwrap();
        assert_eq!(
            (d.strategy.clone(), d.status.value.clone(), d.status.reason.clone()),
            (Strategy::Rolling, DeploymentValue::Active, DeploymentReason::Deploying)
        );
        assert_eq!(d.previous_droplet.as_ref().and_then(|p| p.guid.as_deref()), Some(first.as_str()));
        assert_eq!(d.new_processes.len(), 1);

        let done = cf.wait_for_deployment(&d.guid, WAIT).await.unwrap();
        assert_eq!(
            (done.status.value.clone(), done.status.reason.clone()),
            (DeploymentValue::Finalized, DeploymentReason::Deployed)
        );
        // The web process is the one the deployment made, with every instance running.
        let web = cf.process(&app, "web").await.unwrap();
        assert_eq!((web.guid.as_str(), web.instances), (d.new_processes[0].guid.as_str(), 2));
        let states: Vec<InstanceState> =
            cf.process_stats(&web.guid).await.unwrap().into_iter().map(|i| i.state).collect();
        assert_eq!(states, [InstanceState::Running, InstanceState::Running]);
        let current = cf.current_droplet(&app).await.unwrap().unwrap();
        assert_eq!(
            (current.guid.as_str(), current.image.as_deref()),
            (second.as_str(), Some("registry.example/frontend:2"))
        );
        (app, d)
    });
    assert_eq!(
        web_processes(&server, &app),
        [(deployment.new_processes[0].guid.clone(), 2)],
        "the old web process is gone"
    );
    let polls = server.received("GET", &format!("/v3/deployments/{}", deployment.guid));
    assert!(polls.len() > 1, "the deployment was ACTIVE for a while and polled: {polls:?}");
    let packages = server.received("POST", "/v3/packages");
    assert_eq!(
        packages[1]["body"],
        json!({ "type": "docker", "data": { "image": "registry.example/frontend:2" }, "relationships": { "app": { "data": { "guid": app } } } })
    );
    let created = server.received("POST", "/v3/deployments");
    assert_eq!(created[1]["body"]["options"], json!({ "max_in_flight": 1 }));
    assert_eq!(created[1]["body"]["strategy"], "rolling");
}

#[test]
fn an_app_is_stopped_started_and_restarted() {
    let server = CfServer::start();
    let cf = server.client();
    let app = run(async {
        let (app, _) = running_app(&cf, "frontend", "registry.example/frontend:1", 2).await;
        let stopped = cf.stop_app(&app).await.unwrap();
        assert_eq!(stopped.state.as_str(), "STOPPED");
        let states: Vec<InstanceState> = cf.process_stats(&app).await.unwrap().into_iter().map(|i| i.state).collect();
        assert_eq!(states, [InstanceState::Down, InstanceState::Down], "a stopped process reports its instances DOWN");
        assert_eq!(cf.start_app(&app).await.unwrap().state.as_str(), "STARTED");
        wait_running(&cf, &app, 2).await;
        // A restart replaces every instance: they start again before they run.
        assert_eq!(cf.restart_app(&app).await.unwrap().state.as_str(), "STARTED");
        let states: Vec<InstanceState> = cf.process_stats(&app).await.unwrap().into_iter().map(|i| i.state).collect();
        assert_eq!(states, [InstanceState::Starting, InstanceState::Starting]);
        wait_running(&cf, &app, 2).await;
        app
    });
    let actions: Vec<String> = server
        .received("POST", &format!("/v3/apps/{app}/actions/"))
        .iter()
        .map(|r| r["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(actions, ["stop", "start", "restart"]);
}

#[test]
fn a_bits_upload_is_staged_from_its_procfile_and_a_failed_staging_says_why() {
    let server = CfServer::start();
    let cf = server.client();
    let bits = zip(&[
        ("Procfile", b"web: ./bin/server --port $PORT\nworker: ./bin/worker\n"),
        ("bin/server", b"#!/bin/sh\nexec busybox httpd -f -p \"$PORT\"\n"),
    ]);
    let (package, failed) = run(async {
        let space = space(&cf).await;
        let app = cf.create_app(&NewApp::new("backend", &space)).await.unwrap();
        let package = cf.create_bits_package(&app.guid).await.unwrap();
        assert_eq!(package.state, PackageState::AwaitingUpload);
        let uploaded = cf.upload_bits(&package.guid, &bits).await.unwrap();
        assert_eq!(uploaded.state, PackageState::ProcessingUpload);
        let ready = cf.wait_for_package(&package.guid, WAIT).await.unwrap();
        assert_eq!(ready.data.checksum.and_then(|c| c.value), Some(format!("{:x}", Sha256::digest(&bits))));
        let build = cf.create_build(&package.guid, None).await.unwrap();
        let droplet =
            cf.droplet(&cf.wait_for_build(&build.guid, WAIT).await.unwrap().droplet.unwrap().guid).await.unwrap();
        let types = BTreeMap::from([
            ("web".to_string(), "./bin/server --port $PORT".to_string()),
            ("worker".to_string(), "./bin/worker".to_string()),
        ]);
        assert_eq!(droplet.process_types, types, "read from the Procfile in the uploaded zip");

        // The next build of these bits fails staging: the error carries the platform's reason.
        server.script(json!({ "kind": "fail_staging", "app": "backend", "error_id": "NoAppDetectedError" }));
        let build = cf.create_build(&package.guid, None).await.unwrap();
        let e = err(cf.wait_for_build(&build.guid, WAIT).await);
        assert!(matches!(e, CfError::Failed { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "GET {url}/v3/builds/{b}: build {b} failed staging: NoAppDetectedError - An app was not successfully \
                 detected by any available buildpack",
                url = server.url,
                b = build.guid,
            )
        );

        // Bits that are not a zip: the package fails, and says so.
        let broken = cf.create_bits_package(&app.guid).await.unwrap();
        cf.upload_bits(&broken.guid, b"this is not a zip").await.unwrap();
        let e = err(cf.wait_for_package(&broken.guid, WAIT).await);
        assert!(
            e.to_string().ends_with(&format!(
                "package {} is FAILED: Error while uploading bits: the upload is not a zip file",
                broken.guid
            )),
            "{e}"
        );
        (package.guid, build.guid)
    });
    // What the server received: the zip itself, under the form fields the reference names.
    let upload = &server.state()["uploads"][&package];
    assert_eq!(upload["size"], bits.len());
    assert_eq!(upload["sha256"], format!("{:x}", Sha256::digest(&bits)));
    assert_eq!(upload["files"], json!(["Procfile", "bin/server"]));
    let posted = server.received("POST", &format!("/v3/packages/{package}/upload"));
    assert_eq!(posted[0]["body"]["multipart"]["bits"], json!({ "size": bits.len(), "filename": "package.zip" }));
    assert_eq!(posted[0]["body"]["multipart"]["resources"]["size"], 2);
    assert!(
        server.received("GET", &format!("/v3/builds/{failed}")).len() >= 2,
        "the build was STAGING before it FAILED"
    );
}

#[test]
fn a_canary_pauses_at_each_step_and_is_continued_to_the_end() {
    let server = CfServer::start();
    let cf = server.client();
    let (app, d) = run(async {
        let (app, _) = running_app(&cf, "frontend", "registry.example/frontend:1", 4).await;
        let second = stage_image(&cf, &app, "registry.example/frontend:2").await;
        let d = cf.create_deployment(&NewDeployment::canary(&app, &[25, 50]).droplet(&second)).await.unwrap();
        assert_eq!(d.strategy, Strategy::Canary);
        let new = d.new_processes[0].guid.clone();

        // Step 1 of 2: 25% of 4 instances run the new droplet, beside all the old ones.
        let paused = cf.wait_for_deployment(&d.guid, WAIT).await.unwrap();
        assert!(paused.is_paused(), "{:?}", paused.status);
        let steps = paused.status.canary.as_ref().unwrap().steps;
        assert_eq!((steps.current, steps.total), (1, 2));
        wait_running(&cf, &new, 1).await;
        assert_eq!(web_processes(&server, &app), [(app.clone(), 4), (new.clone(), 1)]);
        // Paused means paused: time passes and nothing moves until it is continued.
        for _ in 0..5 {
            assert!(cf.deployment(&d.guid).await.unwrap().is_paused());
        }

        // Step 2 of 2: 50%.
        cf.continue_deployment(&d.guid).await.unwrap();
        let paused = cf.wait_for_deployment(&d.guid, WAIT).await.unwrap();
        assert!(paused.is_paused(), "{:?}", paused.status);
        assert_eq!(paused.status.canary.as_ref().unwrap().steps.current, 2);
        wait_running(&cf, &new, 2).await;
        assert_eq!(web_processes(&server, &app), [(app.clone(), 3), (new.clone(), 2)]);

        // Then to the end, like a rolling deployment.
        cf.continue_deployment(&d.guid).await.unwrap();
        let done = cf.wait_for_deployment(&d.guid, WAIT).await.unwrap();
        assert_eq!(done.status.reason, DeploymentReason::Deployed);
        wait_running(&cf, &new, 4).await;
        let e = err(cf.continue_deployment(&d.guid).await);
        assert!(
            e.to_string().ends_with("Cannot continue a deployment with status: FINALIZED and reason: DEPLOYED"),
            "{e}"
        );
        (app, d)
    });
    assert_eq!(web_processes(&server, &app), [(d.new_processes[0].guid.clone(), 4)]);
    let created = server.received("POST", "/v3/deployments");
    assert_eq!(
        created[1]["body"]["options"],
        json!({ "canary": { "steps": [{ "instance_weight": 25 }, { "instance_weight": 50 }] } })
    );
    assert_eq!(server.received("POST", &format!("/v3/deployments/{}/actions/continue", d.guid)).len(), 3);
}

#[test]
fn a_deployment_whose_instance_crashes_never_finishes_and_is_canceled() {
    let server = CfServer::start();
    let cf = server.client();
    run(async {
        let (app, first) = running_app(&cf, "frontend", "registry.example/frontend:1", 2).await;
        let second = stage_image(&cf, &app, "registry.example/frontend:bad").await;
        server.script(json!({ "kind": "crash", "app": "frontend", "indexes": [0] }));
        let d = cf.create_deployment(&NewDeployment::rolling(&app).droplet(&second)).await.unwrap();
        let new = d.new_processes[0].guid.clone();

        // The new instance crashes; the deployment stays ACTIVE, and the wait says why it gave up.
        let e = err(cf.wait_for_deployment(&d.guid, Duration::from_secs(1)).await);
        assert!(matches!(e, CfError::Unfinished { seconds: 1, .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "GET {url}/v3/deployments/{d}: deployment {d} not finished after 1 s: still ACTIVE (DEPLOYING); web \
                 process {new}: 1 CRASHED (a crashed instance stops a deployment from progressing)",
                url = server.url,
                d = d.guid,
            )
        );
        // The old instances kept serving meanwhile.
        assert_eq!(web_processes(&server, &app), [(app.clone(), 2), (new.clone(), 1)]);

        // Canceled: the app goes back to its previous droplet at once, its old process to its instances.
        cf.cancel_deployment(&d.guid).await.unwrap();
        assert_eq!(cf.current_droplet(&app).await.unwrap().unwrap().guid, first);
        let e = err(cf.wait_for_deployment(&d.guid, WAIT).await);
        assert!(e.to_string().ends_with(&format!("deployment {} was canceled", d.guid)), "{e}");
        let status = cf.deployment(&d.guid).await.unwrap().status;
        assert_eq!((status.value, status.reason), (DeploymentValue::Finalized, DeploymentReason::Canceled));
        assert_eq!(web_processes(&server, &app), [(app.clone(), 2)], "the crashed process is gone");
        wait_running(&cf, &app, 2).await;
        let e = err(cf.cancel_deployment(&d.guid).await);
        assert!(
            e.to_string().ends_with("Cannot cancel a deployment with status: FINALIZED and reason: CANCELED"),
            "{e}"
        );
    });
}

#[test]
fn a_deployment_canceled_by_someone_else_is_reported_as_canceled() {
    let server = CfServer::start();
    let cf = server.client();
    run(async {
        let (app, first) = running_app(&cf, "frontend", "registry.example/frontend:1", 1).await;
        let second = stage_image(&cf, &app, "registry.example/frontend:2").await;
        let d = cf.create_deployment(&NewDeployment::rolling(&app).droplet(&second)).await.unwrap();
        assert_eq!(cf.active_deployment(&app).await.unwrap().map(|a| a.guid), Some(d.guid.clone()));
        server.script(json!({ "kind": "cancel_deployment", "app": "frontend" }));
        let e = err(cf.wait_for_deployment(&d.guid, WAIT).await);
        assert!(matches!(e, CfError::Failed { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("GET {}/v3/deployments/{1}: deployment {1} was canceled", server.url, d.guid)
        );
        assert_eq!(cf.current_droplet(&app).await.unwrap().unwrap().guid, first);
        assert!(cf.active_deployment(&app).await.unwrap().is_none());
    });
}

#[test]
fn revisions_and_droplets_are_read_across_pages_and_a_revision_is_rolled_back_to() {
    let server = CfServer::start();
    let mut settings = server.settings();
    settings.page_size = 1;
    let cf = CloudFoundry::new(settings).unwrap();
    let app = run(async {
        let (app, first) = running_app(&cf, "frontend", "registry.example/frontend:1", 1).await;
        let second = stage_image(&cf, &app, "registry.example/frontend:2").await;
        let d2 = cf.create_deployment(&NewDeployment::rolling(&app).droplet(&second)).await.unwrap();
        cf.wait_for_deployment(&d2.guid, WAIT).await.unwrap();
        let changes = BTreeMap::from([("FEATURE".to_string(), Some("on".to_string()))]);
        cf.update_environment_variables(&app, &changes).await.unwrap();
        let d3 = cf.create_deployment(&NewDeployment::rolling(&app)).await.unwrap();
        cf.wait_for_deployment(&d3.guid, WAIT).await.unwrap();

        let revisions = cf.revisions(&app).await.unwrap();
        let seen: Vec<(u32, &str, &str)> =
            revisions.iter().map(|r| (r.version, r.description.as_deref().unwrap(), r.droplet.guid.as_str())).collect();
        assert_eq!(
            seen,
            [
                (1, "Initial revision.", first.as_str()),
                (2, "New droplet deployed.", second.as_str()),
                (3, "New environment variables deployed.", second.as_str()),
            ]
        );
        assert!(revisions.iter().all(|r| r.deployable));
        assert_eq!(d3.revision.as_ref().map(|r| (r.guid.as_str(), r.version)), Some((revisions[2].guid.as_str(), 3)));
        assert_eq!(cf.revision(&revisions[1].guid).await.unwrap().version, 2);
        assert_eq!(cf.current_droplet(&app).await.unwrap().unwrap().guid, second);
        let droplets: Vec<String> = cf.app_droplets(&app).await.unwrap().into_iter().map(|d| d.guid).collect();
        assert_eq!(droplets, [first.clone(), second.clone()]);

        // Rolling back to revision 1 deploys its droplet and its (empty) environment as a new revision.
        let back = cf.create_deployment(&NewDeployment::rolling(&app).revision(&revisions[0].guid)).await.unwrap();
        cf.wait_for_deployment(&back.guid, WAIT).await.unwrap();
        assert_eq!(cf.current_droplet(&app).await.unwrap().unwrap().guid, first);
        assert!(cf.environment_variables(&app).await.unwrap().var.is_empty());
        let revisions = cf.revisions(&app).await.unwrap();
        assert_eq!(
            revisions.last().unwrap().description.as_deref(),
            Some("New droplet deployed. New environment variables deployed. Rolled back to revision 1.")
        );
        app
    });
    // Read a page at a time, following pagination.next.
    let pages: Vec<String> = server
        .received("GET", &format!("/v3/apps/{app}/revisions"))
        .iter()
        .map(|r| format!("{}/{}", r["query"]["page"].as_str().unwrap_or("-"), r["query"]["per_page"].as_str().unwrap()))
        .collect();
    assert_eq!(pages, ["-/1", "2/1", "3/1", "-/1", "2/1", "3/1", "4/1"]);
}
