//! Headless Chromium (Debian's `chromium`) as the judge of the status page: it opens the page from a file,
//! as a person would from a download or GitHub Pages, and the tests read back what it rendered
//! (`--dump-dom`), what it fetched (its network log, `--log-net-log`) and what its Content-Security-Policy
//! refused (the console, `--enable-logging=stderr`), and keep screenshots at a phone's and a desktop's
//! width, in both colour schemes, under `target/status-page/` for a person to look at.
//!
//! Chromium makes requests of its own (update checks, sign-in); the network log tells them from the page's
//! by their initiator (`not an origin`), and a host-resolver rule keeps every name from resolving, so none
//! of them leaves the machine.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::support::{repo_root, tempdir};

/// The browser: `SLIPWAY_CHROMIUM`, else Debian's `chromium` on the PATH. Missing, it fails and says how
/// to install it: the page is never left untested.
pub fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("SLIPWAY_CHROMIUM") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "chromium not found: run `bash tests/run.sh`, which installs it, or `apt-get install -y \
             --no-install-recommends chromium`, or set SLIPWAY_CHROMIUM to a Chromium binary"
        )
    })
}

/// The colour scheme the page is asked to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Light,
    Dark,
}

/// What Chromium did with a page.
pub struct Visit {
    /// The DOM after loading, serialized.
    pub dom: String,
    /// The page's own requests for anything but a file (URLs).
    pub requests: Vec<String>,
    /// What the Content-Security-Policy refused, as the console said it.
    pub refused: Vec<String>,
}

fn base_command(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        // No name resolves: nothing Chromium asks for by name leaves the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

fn scheme_arg(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Light => "--blink-settings=preferredColorScheme=1",
        Scheme::Dark => "--blink-settings=preferredColorScheme=0",
    }
}

/// Opens `page` (a file), at `width` pixels, and returns what Chromium rendered, fetched and refused.
pub fn visit(page: &Path, width: u32) -> Visit {
    let dir = tempdir();
    let net = dir.path().join("net.json");
    let out = base_command(&dir.path().join("profile"))
        .args(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000"])
        .arg(format!("--log-net-log={}", net.display()))
        .arg(format!("--window-size={width},900"))
        .arg("--dump-dom")
        .arg(file_url(page))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refused = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") && l.contains("Content Security Policy"))
        .map(str::to_string)
        .collect();
    Visit { dom: String::from_utf8(out.stdout).expect("the DOM is UTF-8"), requests: page_requests(&net), refused }
}

/// Takes a screenshot of `page` at `width` × `height` in `scheme`, to `png`.
pub fn screenshot(page: &Path, width: u32, height: u32, scheme: Scheme, png: &Path) {
    let dir = tempdir();
    let out = base_command(&dir.path().join("profile"))
        .arg(scheme_arg(scheme))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(file_url(page))
        .output()
        .expect("chromium runs");
    assert!(out.status.success() && png.is_file(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().expect("the page exists").display())
}

/// The URLs the page itself asked for, from a Chromium network log: requests whose initiator is an
/// origin (Chromium's own say `not an origin`), for anything but a `file:` URL.
fn page_requests(net_log: &Path) -> Vec<String> {
    let log: Value = serde_json::from_slice(&std::fs::read(net_log).expect("chromium wrote its network log"))
        .expect("the network log is JSON");
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_i64().expect("a known event type");
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_i64() == Some(start))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|u| !u.starts_with("file:"))
        .map(str::to_string)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

/// The text a person reads in the DOM between `start` (a tag's opening, found first) and the end of that
/// element's subtree, with tags as spaces, entities read and white space folded.
pub fn text_of(dom: &str, start: &str, end_tag: &str) -> Option<String> {
    let from = dom.find(start)?;
    let to = dom[from..].find(end_tag).map(|i| from + i)?;
    Some(text(&dom[from..to]))
}

/// HTML as text: tags as spaces, entities read, white space folded.
pub fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where a flow's page and screenshots are kept for a person to look at.
pub fn keep_dir(flow: &str) -> PathBuf {
    let dir = repo_root().join("target").join("status-page").join(flow);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback HTTP server counting the requests it gets (for a page that should not reach it).
fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let _ = write!(conn, "HTTP/1.1 404 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, hits)
}

#[test]
fn the_network_and_policy_checks_see_a_page_that_fetches() {
    let (url, hits) = counting_server();
    let dir = tempdir();
    // Without a policy, the request goes out, and the network log shows it.
    let open = dir.path().join("open.html");
    std::fs::write(&open, format!("<!DOCTYPE html><title>t</title><h1>t</h1><img src=\"{url}/pixel.png\" alt=\"\">"))
        .unwrap();
    let v = visit(&open, 800);
    assert_eq!(v.requests, [format!("{url}/pixel.png")], "the network log shows the page's request");
    assert!(hits.load(Ordering::SeqCst) >= 1, "and the server got it");
    // With the page's policy, the browser refuses it, and the console says so.
    let before = hits.load(Ordering::SeqCst);
    let shut = dir.path().join("shut.html");
    std::fs::write(
        &shut,
        format!(
            "<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"><title>t</title>\
             <img src=\"{url}/pixel.png\" alt=\"\">"
        ),
    )
    .unwrap();
    let v = visit(&shut, 800);
    assert!(v.requests.is_empty(), "{:?}", v.requests);
    assert_eq!(v.refused.len(), 1, "the console names the refused image: {:?}", v.refused);
    assert!(v.refused[0].contains(&format!("{url}/pixel.png")), "{:?}", v.refused);
    assert_eq!(hits.load(Ordering::SeqCst), before, "nothing reached the server");
}
