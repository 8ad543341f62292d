//! The status page of each reference flow, walked on moto through the engine as `tests/deploy/walks.rs`
//! walks it (line of four, promotion graph, git-flow six, cloud.gov four): the page is made from that
//! ledger and the stacks (drift read through each environment's role), opened from a file in Chromium,
//! and what it rendered must show every environment with the release moto says its stack runs and the
//! smoke evidence the walk gave it, a release waiting at prod's gate with the time the wait ends, a link
//! to every CI run; it made no request, and its layout has no collision. `slipway status --format html`
//! writes the same bytes as the library for the same ledger and clock.

use std::collections::BTreeMap;
use std::time::Duration;

use slipway::cli::Ui;
use slipway::clock::{Clock, Timestamp};
use slipway::ledger::{self, Actor, EnvState};
use slipway::model::Environment;
use slipway::ops::Context;
use slipway::ops::page::Page;
use slipway::report::palette::{PALETTE, Rgb};
use slipway::report::{html, short_time, svg};

use super::browser::{Scheme, keep_dir, screenshot, text_of, visit};
use crate::deploy::walks::{self, World};
use crate::support::tempdir;

/// A clock that stands still, so that two pages of one ledger can be compared byte for byte.
struct Still(Timestamp);

impl Clock for Still {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The page of `w`'s ledger at `now`, drift read through moto when `read_stacks`.
fn page_of(w: &World, now: Timestamp, read_stacks: bool) -> Page {
    let actor = Actor { name: "viewer".into(), ci_run: None };
    let clock = Still(now);
    let cx = Context { project: &w.project, store: &w.store, actor: &actor, clock: &clock };
    let envs: Vec<&Environment> = w.project.environments.iter().collect();
    let connector = read_stacks.then_some(&w.connector);
    w.rt.block_on(slipway::ops::page::page(&cx, &envs, connector, &BTreeMap::new())).expect("the page's data")
}

/// Checks `flow`'s page in Chromium and keeps it, with its screenshots, under `target/status-page/`.
fn judge(flow: &str, w: &World) -> (Page, String) {
    let now = w.clock.now();
    let page = page_of(w, now, true);
    let bytes = html::page(&page);
    assert_eq!(html::page(&page_of(w, now, true)), bytes, "{flow}: the same ledger and clock give the same page");
    let collisions = svg::graph_layout(&page).overlaps();
    assert!(collisions.is_empty(), "{flow}: {collisions:?}");
    let dir = keep_dir(flow);
    let file = dir.join("index.html");
    std::fs::write(&file, &bytes).unwrap();

    for width in [390, 1280] {
        let v = visit(&file, width);
        assert!(v.requests.is_empty(), "{flow} at {width}px asked the network for {:?}", v.requests);
        assert!(v.refused.is_empty(), "{flow} at {width}px: the policy refused {:?}", v.refused);
        check_dom(flow, w, &page, &v.dom);
    }
    for (name, width, height, scheme) in [
        ("phone", 390, 2400, Scheme::Light),
        ("phone-dark", 390, 2400, Scheme::Dark),
        ("desktop", 1280, 1500, Scheme::Light),
        ("desktop-dark", 1280, 1500, Scheme::Dark),
    ] {
        screenshot(&file, width, height, scheme, &dir.join(format!("{name}.png")));
    }
    (page, bytes)
}

/// What Chromium rendered shows every environment with the release moto says it runs, its commit, and the
/// evidence the walk gave it; the page has real headings and a described graph.
fn check_dom(flow: &str, w: &World, page: &Page, dom: &str) {
    assert!(dom.contains("<h1>") && dom.matches("<h2 ").count() >= 4, "{flow}: headings");
    assert!(dom.contains("role=\"img\" aria-labelledby=\"graph-title graph-desc\""), "{flow}: the graph is described");
    for env in &w.project.environments {
        let name = &env.name;
        let card = text_of(dom, &format!("<li class=\"card\" id=\"env-{name}\">"), "</li>")
            .unwrap_or_else(|| panic!("{flow}: no card for {name}"));
        let boxed = text_of(dom, &format!("<g class=\"env\" id=\"box-{name}\">"), "</g>")
            .unwrap_or_else(|| panic!("{flow}: no box for {name}"));
        match w.running(name) {
            Some(release) => {
                assert!(
                    card.contains(&format!("release {release} commit commit-of-{release}")),
                    "{flow}/{name}: {card}"
                );
                assert!(boxed.contains(&format!("runs {release} @ commit-of-{release}")), "{flow}/{name}: {boxed}");
                // Every walk's smoke check passed wherever a release stayed.
                assert!(card.contains("smoke passed (health)"), "{flow}/{name}: {card}");
                assert!(boxed.contains("✓ smoke: passed (health)"), "{flow}/{name}: {boxed}");
                assert!(card.contains("drift none"), "{flow}/{name}: moto holds what was applied: {card}");
            }
            None => {
                assert!(card.contains("release none yet"), "{flow}/{name}: {card}");
                assert!(boxed.contains("runs no release yet"), "{flow}/{name}: {boxed}");
            }
        }
    }
    // The history: a row per record, and a link to the CI run of every run.
    let rows = dom.matches("<tr><td>").count();
    assert_eq!(rows, page.history.len(), "{flow}: a row per record");
    let runs = page.history.iter().filter(|r| r.ci_run.is_some()).count();
    assert!(runs > 0, "{flow}: the walk's runs came from CI runs");
    let links = dom.matches(&format!("<a href=\"https://github.com/{}/actions/runs/", w.project.repository)).count();
    assert!(links >= runs, "{flow}: {links} links for {runs} records from CI runs");
}

#[test]
fn the_line_of_four_status_page() {
    let w = walks::line_of_four_walked();
    // r4 goes up the line to staging; prod, which runs r1, waits 30 minutes and two approvals for it.
    w.release("r4", "refs/heads/main", "ana");
    assert!(w.deploy("r4", "dev", "ci", &[]).is_ok());
    assert!(w.promote("r4", "dev", "test", "ci", &["amara"]).is_ok());
    assert!(w.promote("r4", "test", "staging", "ci", &["jonas"]).is_ok());
    w.advance(5);
    let records = w.rt.block_on(ledger::records(&w.store, "staging")).unwrap();
    let reached = EnvState::of(&records, w.clock.now()).reached("r4").unwrap().at;
    let (page, _) = judge("line-of-four", &w);
    let waiting = page.waiting.iter().find(|x| x.to == "prod").expect("r4 waits at prod's gate");
    let rules: Vec<&str> = waiting.gates.iter().map(|g| g.rule.as_str()).collect();
    assert_eq!((waiting.release.as_str(), rules), ("r4", vec!["approvals", "wait"]));
    // The definition's 30 minutes from when r4 reached staging, to the millisecond.
    let ready = reached.plus(Duration::from_secs(30 * 60));
    assert_eq!(waiting.gates[1].until, Some(ready));
    let dom = visit(&keep_dir("line-of-four").join("index.html"), 1280).dom;
    let prod = text_of(&dom, "<li class=\"card\" id=\"env-prod\">", "</li>").unwrap();
    assert!(prod.contains(&format!("r4 from staging may go at {}", short_time(ready))), "{prod}");
    assert!(prod.contains("gates approvals, wait"), "{prod}");
    // Once the wait is over, only the approvals hold it.
    let later = page_of(&w, ready, false);
    let rules: Vec<&str> =
        later.waiting.iter().find(|x| x.to == "prod").unwrap().gates.iter().map(|g| g.rule.as_str()).collect();
    assert_eq!(rules, ["approvals"]);
}

#[test]
fn the_promotion_graph_status_page() {
    let w = walks::promotion_graph_walked();
    let (page, _) = judge("promotion-graph", &w);
    // Six environments in five columns: active is promoted from dev-int directly and through future.
    let layout = svg::graph_layout(&page);
    let column = |n: &str| layout.boxes.iter().find(|b| b.id == n).unwrap().column;
    assert_eq!(
        ["dev-int", "future", "active", "uat", "staging", "prod"].map(column),
        [0, 1, 2, 3, 4, 5],
        "layered by the edges"
    );
    // r3 rolled back in active, so active's last change failed and what it runs is held from uat.
    let dom = visit(&keep_dir("promotion-graph").join("index.html"), 1280).dom;
    let active = text_of(&dom, "<li class=\"card\" id=\"env-active\">", "</li>").unwrap();
    assert!(active.contains("last promote r3 rolled-back"), "{active}");
}

#[test]
fn the_git_flow_six_status_page() {
    let w = walks::git_flow_six_walked();
    let (page, _) = judge("git-flow-six", &w);
    // r4 failed its smoke check in pre-prod and was rolled back: pre-prod still runs r3 and says why.
    let pre = page.environments.iter().find(|e| e.name == "pre-prod").unwrap();
    assert_eq!(pre.last_change.as_ref().map(|c| (c.what.as_str(), c.ok)), Some(("deploy r4", false)));
}

#[test]
fn the_cloud_gov_four_status_page() {
    let w = walks::cloud_gov_four_walked();
    let (page, _) = judge("cloudgov-four", &w);
    // staging runs r2 and production r3: r2 waits at production's gate, refused by its ref, and by the
    // source rule since staging's last deploy (r4) was rolled back.
    let waiting = page.waiting.iter().find(|x| x.to == "production").expect("r2 waits at production");
    assert_eq!(waiting.gates.iter().map(|g| g.rule.as_str()).collect::<Vec<_>>(), ["source", "ref"]);
}

/// The command writes the page the library makes, for the same ledger and clock.
#[test]
fn status_format_html_writes_the_page_to_out() {
    let w = walks::cloud_gov_four_walked();
    let now = w.clock.now();
    let out = tempdir();
    let (ui, captured) = Ui::captured("");
    let args = ["slipway", "status", "--format", "html", "--no-drift", "--store", &w.store.location()];
    let dir = out.path().join("site");
    let dir_arg = dir.display().to_string();
    let code =
        slipway::cli::run_at(&w.project, args.iter().copied().chain(["--out", dir_arg.as_str()]), &ui, &Still(now));
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{}", captured.err());
    let written = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert_eq!(written, html::page(&page_of(&w, now, false)));
    assert!(captured.out().contains("index.html"));
    // --out without html, and html without --out, are refused.
    let (ui, captured) = Ui::captured("");
    let code = slipway::cli::run_at(&w.project, ["slipway", "status", "--format", "html"], &ui, &Still(now));
    assert_ne!(code, std::process::ExitCode::SUCCESS);
    assert!(captured.err().contains("--out DIR"), "{}", captured.err());
}

/// The stylesheet in the page carries the palette's colours, and every text colour in it reaches 4.5:1
/// on every background in both schemes: read back from the page's own bytes.
#[test]
fn the_pages_colours_reach_aa_contrast_in_both_schemes() {
    let page = Page {
        project: "p".into(),
        repository: "o/p".into(),
        now: Timestamp::from_unix_millis(0),
        environments: vec![],
        edges: vec![],
        waiting: vec![],
        history: vec![],
    };
    let bytes = html::page(&page);
    let css = &bytes[bytes.find("<style>").unwrap()..bytes.find("</style>").unwrap()];
    let scheme = |block: &str| -> BTreeMap<String, Rgb> {
        block
            .split(';')
            .filter_map(|d| d[d.find("--")? + 2..].split_once(':'))
            .map(|(k, v)| {
                let hex = |i: usize| u8::from_str_radix(&v[1 + 2 * i..3 + 2 * i], 16).unwrap();
                (k.to_string(), Rgb(hex(0), hex(1), hex(2)))
            })
            .collect()
    };
    let dark_at = css.find("@media (prefers-color-scheme: dark)").expect("a dark scheme");
    let dark_end = dark_at + css[dark_at..].find("}}").expect("the dark block closes");
    for (name, colours) in [("light", scheme(&css[..dark_at])), ("dark", scheme(&css[dark_at..dark_end]))] {
        assert_eq!(colours.len(), 9, "{name}: {colours:?}");
        for text in ["fg", "muted", "ok", "bad", "warn", "link"] {
            for bg in ["bg", "surface"] {
                let ratio = colours[text].contrast(colours[bg]);
                assert!(ratio >= 4.5, "{name}: {text} on {bg} is {ratio:.2}:1");
            }
        }
    }
    assert_eq!(PALETTE.css().len(), css.find("*{").unwrap() - "<style>".len(), "the palette comes first");
}
