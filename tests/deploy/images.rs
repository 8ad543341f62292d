//! Image assets on a compose host, with real parts: the team's `bazaar` project with its `site` (an image
//! asset whose Dockerfile is `FROM` the harness's busybox image plus a file, so nothing is pulled), the
//! `slipway` binary, the test Docker engine over real SSH, and the harness's registry (Debian's
//! `docker-registry`, `SLIPWAY_TEST_REGISTRY`), read through its own HTTP API v2.
//!
//! `release create` builds the image once and keeps its `docker save` in the store; a second release of
//! the same code builds nothing. A deploy pushes it to the registry and the host runs exactly that image; a
//! release that changes the site's files is a new tag the host then runs; a rollback runs the earlier
//! image again; and a registry that does not answer stops the deploy before the host changes, naming it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use crate::demo::local::local_image;
use crate::projects::engine;
use crate::sshd::Sshd;
use crate::support::{Docker, ProjectCleanup, Run, docker, free_port, harness_var, http_get, tempdir, unique_name};

/// The compose project of bazaar's preview server (shared with [`super::compose_only`], hence the lock).
const PROJECT: &str = "bazaar-preview";

struct Site {
    docker: Docker,
    sshd: Sshd,
    dir: tempfile::TempDir,
    vars: Vec<(&'static str, String)>,
}

impl Site {
    fn new(registry: &str) -> Site {
        let docker = docker();
        let sshd = Sshd::start(&docker);
        let vars = vec![
            ("BAZAAR_IMAGE", local_image().0),
            ("BAZAAR_FILES_IMAGE", harness_var("SLIPWAY_TEST_IMAGE")),
            ("BAZAAR_POSTGRES_IMAGE", harness_var("SLIPWAY_TEST_POSTGRES_IMAGE")),
            ("BAZAAR_SERVER_HOST", "127.0.0.1".to_string()),
            ("BAZAAR_SERVER_DOCKER_HOST", sshd.url()),
            ("BAZAAR_SITE_CONTEXT", "site".to_string()),
            ("BAZAAR_REGISTRY", registry.to_string()),
        ];
        Site { docker, sshd, dir: tempdir(), vars }
    }

    /// Writes the site's build context: the Dockerfile, its page saying `page`, its health file.
    fn write(&self, page: &str) {
        self.write_with(page, "COPY www /site");
    }

    /// The same, with `step` after the Dockerfile's `FROM`.
    fn write_with(&self, page: &str, step: &str) {
        let site = self.dir.path().join("site");
        std::fs::create_dir_all(site.join("www")).unwrap();
        let dockerfile = format!("FROM {}\n{step}\n", harness_var("SLIPWAY_TEST_IMAGE"));
        std::fs::write(site.join("Dockerfile"), dockerfile).unwrap();
        std::fs::write(site.join("www/index.html"), format!("{page}\n")).unwrap();
        std::fs::write(site.join("www/health"), "ok\n").unwrap();
    }

    fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("store")
    }

    fn slipway(&self, args: &[&str], extra: &[(&'static str, String)]) -> Run {
        let mut vars: BTreeMap<&str, &str> = self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        vars.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
        let vars: Vec<(&str, &str)> = vars.into_iter().collect();
        let store = self.store().display().to_string();
        engine("bazaar", self.dir.path(), None, &vars, &[args, &["--store", &store]].concat())
    }

    fn release(&self, id: &str) -> Run {
        let started = std::time::Instant::now();
        let run = self.slipway(&["release", "create", "--id", id, "--commit", "abc123"], &[]);
        eprintln!("release create {id}: {:.1} s, exit {}\n{}", started.elapsed().as_secs_f64(), run.status, run.stderr);
        run
    }

    /// `slipway COMMAND --env preview ARGS` over SSH, the server's key pinned, with `extra` variables.
    fn run(&self, command: &str, args: &[&str], extra: &[(&'static str, String)]) -> Run {
        let ssh = self.sshd.engine_args();
        let ssh: Vec<&str> = ssh.iter().map(String::as_str).collect();
        let started = std::time::Instant::now();
        let run = self.slipway(&[&[command, "--env", "preview"][..], args, &ssh].concat(), extra);
        // Figures for the notes (`--nocapture`), never assertions: the publish lines say how long it took.
        let images: Vec<&str> = run.stderr.lines().filter(|l| l.contains("images:")).collect();
        eprintln!("{command} {args:?}: {:.1} s, exit {}; {images:?}", started.elapsed().as_secs_f64(), run.status);
        run
    }

    /// The image ID (`sha256:...`) `site`'s container runs, and what it serves at `/`.
    fn site(&self) -> (String, String) {
        let services = self.docker.compose().services(PROJECT, &self.docker.host).unwrap();
        let site = services.iter().find(|s| s.service == "site").expect("site runs");
        let out = self.docker.cli(&["inspect", "--format", "{{.Image}}", &site.id]);
        let image = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let out = self.docker.cli(&["port", &site.id, "8080/tcp"]);
        let port = String::from_utf8_lossy(&out.stdout);
        let address = port.lines().next().unwrap_or_else(|| panic!("site publishes no port: {out:?}")).trim();
        let (status, body) = http_get(&format!("http://{address}/")).unwrap();
        assert_eq!(status, 200, "{body}");
        (image, body.trim().to_string())
    }

    /// Each service's container ID.
    fn containers(&self) -> BTreeMap<String, String> {
        let services = self.docker.compose().services(PROJECT, &self.docker.host).unwrap();
        services.into_iter().map(|s| (s.service, s.id)).collect()
    }

    /// The one image asset release `id` lists: its hash and its size in the store.
    fn asset_of(&self, id: &str) -> (String, u64) {
        let path = self.store().join("releases").join(id).join("assets.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let assets: serde_json::Value = serde_json::from_str(&text).unwrap();
        let site = assets.as_array().unwrap().iter().find(|a| a["name"] == "site").expect("site is listed");
        assert_eq!(site["kind"], "image", "{text}");
        let hash = site["hash"].as_str().unwrap().to_string();
        assert_eq!(site["key"], format!("assets/{hash}.tar"), "{text}");
        (hash, site["bytes"].as_u64().unwrap())
    }
}

/// `METHOD http://<registry><path>` with `accept`: the status, the head and the body.
fn registry_request(method: &str, registry: &str, path: &str, accept: &str) -> (u16, String, String) {
    let mut stream = std::net::TcpStream::connect(registry).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let request = format!("{method} {path} HTTP/1.0\r\nHost: {registry}\r\nAccept: {accept}\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn registry_get(registry: &str, path: &str, accept: &str) -> (u16, String) {
    let (status, _, body) = registry_request("GET", registry, path, accept);
    (status, body)
}

/// Deletes `bazaar/site:<tag>` from the registry (its manifest, by digest, as the API v2 deletes).
fn delete(registry: &str, tag: &str) {
    let accept = "application/vnd.docker.distribution.manifest.v2+json";
    let (status, head, _) = registry_request("HEAD", registry, &format!("/v2/bazaar/site/manifests/{tag}"), accept);
    assert_eq!(status, 200, "{head}");
    let digest = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("docker-content-digest")))
        .map(|(_, v)| v.trim().to_string())
        .expect("the registry names the manifest's digest");
    let (status, head, _) =
        registry_request("DELETE", registry, &format!("/v2/bazaar/site/manifests/{digest}"), accept);
    assert_eq!(status, 202, "{head}");
}

/// The tags the registry has of `bazaar/site`.
pub(crate) fn tags(registry: &str) -> Vec<String> {
    let (status, body) = registry_get(registry, "/v2/bazaar/site/tags/list", "application/json");
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    list["tags"].as_array().into_iter().flatten().map(|t| t.as_str().unwrap().to_string()).collect()
}

/// The image ID (its configuration's digest) of `bazaar/site:<tag>` as the registry's manifest says it.
pub(crate) fn config_digest(registry: &str, tag: &str) -> String {
    let accept = "application/vnd.docker.distribution.manifest.v2+json";
    let (status, body) = registry_get(registry, &format!("/v2/bazaar/site/manifests/{tag}"), accept);
    assert_eq!(status, 200, "{body}");
    let manifest: serde_json::Value = serde_json::from_str(&body).unwrap();
    manifest["config"]["digest"].as_str().unwrap().to_string()
}

/// The test image tagged as each release (bazaar's `api` and `web` run `<image>:<release>`), untagged when
/// dropped: other tests share the engine.
struct Releases<'a>(&'a Docker, Vec<String>);

impl Releases<'_> {
    fn new(docker: &Docker, n: usize) -> Releases<'_> {
        let (repository, tag) = local_image();
        let ids: Vec<String> = (1..=n).map(|i| unique_name(&format!("img{i}"))).collect();
        for id in &ids {
            let out = docker.cli(&["tag", &format!("{repository}:{tag}"), &format!("{repository}:{id}")]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        Releases(docker, ids)
    }
}

impl Drop for Releases<'_> {
    fn drop(&mut self) {
        for id in &self.1 {
            let _ = self.0.cli(&["rmi", &format!("{}:{id}", local_image().0)]);
        }
    }
}

fn said(run: &Run) -> String {
    format!("status {}\n--- stdout\n{}--- stderr\n{}", run.status, run.stdout, run.stderr)
}

fn stored(store: &Path, hash: &str) -> std::path::PathBuf {
    store.join("assets").join(format!("{hash}.tar"))
}

#[test]
fn an_image_asset_is_built_once_pushed_to_the_hosts_registry_run_and_rolled_back() {
    let _preview = super::compose_only::PREVIEW_SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let registry = harness_var("SLIPWAY_TEST_REGISTRY");
    let w = Site::new(&registry);
    let _cleanup = ProjectCleanup::new(&w.docker, PROJECT);
    let releases = Releases::new(&w.docker, 4);
    let [r1, r2, r3, r4] = [0, 1, 2, 3].map(|i| releases.1[i].as_str());
    w.write(&format!("site v1 {}", std::process::id()));

    // Built once: the store keeps its `docker save`, and the release lists it.
    let first = w.release(r1);
    assert_eq!(first.status, 0, "{}", said(&first));
    let (v1, size) = w.asset_of(r1);
    let tar = stored(&w.store(), &v1);
    assert_eq!(std::fs::metadata(&tar).unwrap().len(), size);
    assert!(first.stderr.contains(&format!("image asset `site`: built as bazaar/site:{v1}")), "{}", said(&first));
    // A second release of the same code builds nothing: with the built image gone from the engine, it
    // stays gone, and the stored tar is the same file.
    let local = format!("bazaar/site:{v1}");
    let out = w.docker.cli(&["rmi", &local]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let modified = std::fs::metadata(&tar).unwrap().modified().unwrap();
    let again = w.release(r2);
    assert_eq!(again.status, 0, "{}", said(&again));
    assert_eq!(w.asset_of(r2).0, v1);
    assert!(again.stderr.contains("image asset `site`: in the store already"), "{}", said(&again));
    assert!(!w.docker.cli(&["image", "inspect", &local]).status.success(), "a second build ran");
    assert_eq!(std::fs::metadata(&tar).unwrap().modified().unwrap(), modified);

    // The deploy pushes it (loaded from the store: the engine no longer has it), and the host runs it.
    assert!(!tags(&registry).contains(&v1));
    let deployed = w.run("deploy", &["--release", r1, "--commit", "abc123"], &[]);
    assert_eq!(deployed.status, 0, "{}", said(&deployed));
    assert!(tags(&registry).contains(&v1), "{:?}", tags(&registry));
    assert!(
        deployed.stderr.contains(&format!("images: 1 pushed ({registry}/bazaar/site:{v1})")),
        "{}",
        said(&deployed)
    );
    let (image, page) = w.site();
    assert_eq!(image, config_digest(&registry, &v1));
    assert_eq!(page, format!("site v1 {}", std::process::id()));
    // The same again: the registry has it, nothing is pushed.
    let same = w.run("deploy", &["--release", r2, "--commit", "abc123"], &[]);
    assert_eq!(same.status, 0, "{}", said(&same));
    assert!(same.stderr.contains("images: 0 pushed, 1 in the registry already"), "{}", said(&same));

    // New files, a new tag, and the host runs it.
    w.write(&format!("site v2 {}", std::process::id()));
    let changed = w.release(r3);
    assert_eq!(changed.status, 0, "{}", said(&changed));
    let (v2, _) = w.asset_of(r3);
    assert_ne!(v2, v1);
    let deployed = w.run("deploy", &["--release", r3, "--commit", "abc123"], &[]);
    assert_eq!(deployed.status, 0, "{}", said(&deployed));
    let (image, page) = w.site();
    assert_eq!(image, config_digest(&registry, &v2));
    assert_eq!(page, format!("site v2 {}", std::process::id()));

    // A rollback runs the earlier image again, pushed anew from the store when the registry lost it.
    delete(&registry, &v1);
    assert!(!tags(&registry).contains(&v1));
    let back = w.run("rollback", &["--to", r1, "--reason", "v2 misbehaves"], &[]);
    assert_eq!(back.status, 0, "{}", said(&back));
    assert!(back.stderr.contains(&format!("images: 1 pushed ({registry}/bazaar/site:{v1})")), "{}", said(&back));
    let (image, page) = w.site();
    assert_eq!(image, config_digest(&registry, &v1));
    assert_eq!(page, format!("site v1 {}", std::process::id()));

    let unheld = w.slipway(&["unhold", "--env", "preview"], &[]);
    assert_eq!(unheld.status, 0, "{}", said(&unheld));

    // A registry that does not answer: the deploy stops naming it, and the host is as it was.
    let down = format!("127.0.0.1:{}", free_port());
    let before = w.containers();
    w.write(&format!("site v3 {}", std::process::id()));
    let elsewhere = [("BAZAAR_REGISTRY", down.clone())];
    let made = w.slipway(&["release", "create", "--id", r4, "--commit", "abc123"], &elsewhere);
    assert_eq!(made.status, 0, "{}", said(&made));
    let refused = w.run("deploy", &["--release", r4, "--commit", "abc123"], &elsewhere);
    assert_eq!(refused.status, 3, "{}", said(&refused));
    eprintln!("the deploy with the registry down said:\n{}", refused.stderr);
    assert!(refused.stderr.contains(&format!("the image registry `{down}` does not answer")), "{}", said(&refused));
    assert_eq!(w.containers(), before, "the host changed");
    assert_eq!(w.site().1, format!("site v1 {}", std::process::id()));
}

#[test]
fn a_failed_build_names_the_asset_shows_what_docker_said_and_writes_no_release() {
    let w = Site::new(&harness_var("SLIPWAY_TEST_REGISTRY"));
    w.write_with("broken", "RUN echo the-site-build-breaks-here && false");
    let id = unique_name("img-broken");
    let run = w.release(&id);
    assert_eq!(run.status, 1, "{}", said(&run));
    assert!(run.stderr.contains("error: image asset `site` could not be built: `"), "{}", said(&run));
    assert!(run.stderr.contains("the-site-build-breaks-here"), "{}", said(&run));
    assert!(!w.store().join("releases").join(&id).exists(), "{}", said(&run));
    let stored: Vec<_> = std::fs::read_dir(w.store().join("assets")).into_iter().flatten().collect();
    assert!(stored.is_empty(), "{stored:?}");
}
