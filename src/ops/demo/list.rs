//! What feature demos there are: the ledger's, their stacks (found by their tags) and their compose
//! projects (found by their labels) together, so that a demo the ledger does not know (an orphan: an `up`
//! killed before it wrote anything, a store that was lost, stacks made by hand) is listed too; and which
//! of them `gc` brings down: the expired ones, and orphans older than a given age.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::TAG_DEMO;
use crate::clock::Timestamp;
use crate::cloud::Cloud;
use crate::docker::{Compose, DockerHost};
use crate::ledger::demos::{DemoStatus, demos};
use crate::ledger::{self};
use crate::ops::{Context, OpsError};
use crate::synth::compose::{LABEL_ENVIRONMENT, LABEL_PROJECT};
use crate::synth::{TAG_ENVIRONMENT, TAG_PROJECT};

/// One demo, as `demo ls` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// Its environment's name.
    pub slug: String,
    /// The name it was given (the slug, for an orphan whose stacks do not say).
    pub name: String,
    /// The branch it was made from.
    pub branch: Option<String>,
    /// Where it stands, as the ledger says; `None` for an orphan.
    pub status: Option<DemoStatus>,
    /// Since when it exists: its first `up`, or for an orphan its oldest stack or container.
    pub since: Option<Timestamp>,
    /// When it expires.
    pub expires: Option<Timestamp>,
    /// The release it runs.
    pub release: Option<String>,
    /// Where it answers.
    pub urls: BTreeMap<String, String>,
    /// Its stacks that exist now.
    pub stacks: Vec<String>,
    /// Its compose project on the Docker host, with compose's summary of its containers (`running(3)`).
    pub compose: Option<String>,
    /// Why its last run failed.
    pub reason: Option<String>,
    /// What the ledger says it has and was not found (its compose project, looked for on the Docker host).
    pub gone: Vec<String>,
}

impl Listing {
    /// Whether the ledger does not know it.
    pub fn orphan(&self) -> bool {
        self.status.is_none()
    }

    /// Its status as `ls` prints it: what the ledger says, unless what it says is up and part of it is
    /// gone (`gone`: its compose project was removed by hand, say).
    pub fn status_text(&self) -> &'static str {
        match self.status {
            Some(DemoStatus::Up) if !self.gone.is_empty() => "gone",
            status => status.map_or("orphan", DemoStatus::as_str),
        }
    }
}

/// A demo's stacks found by their tags.
#[derive(Default)]
struct Found {
    stacks: Vec<String>,
    /// When the oldest was created.
    created: Option<Timestamp>,
    /// The demo's name, as the tag says.
    name: Option<String>,
}

/// Where to look for demos' stacks and compose projects.
pub struct Places<'a> {
    /// The accounts and regions demos' stacks are in.
    pub clouds: Vec<&'a Cloud>,
    /// The Docker engine demos' compose projects run on.
    pub compose: Option<(&'a Compose, &'a DockerHost)>,
}

/// Every demo that exists, by the ledger or by what was found, sorted by slug.
pub async fn list(cx: &Context<'_>, places: &Places<'_>) -> Result<Vec<Listing>, OpsError> {
    let project = &cx.project.name;
    let permanent: BTreeSet<&str> = cx.project.environments.iter().map(|e| e.name.as_str()).collect();
    let known = demos(&ledger::all_records(cx.store).await?);

    // Stacks tagged as this project's demos, by slug.
    let mut stacks: BTreeMap<String, Found> = BTreeMap::new();
    for cloud in &places.clouds {
        for s in cloud.list_stacks().await? {
            let (Some(p), Some(env)) = (s.tags.get(TAG_PROJECT), s.tags.get(TAG_ENVIRONMENT)) else { continue };
            if p != project || !s.tags.contains_key(TAG_DEMO) || permanent.contains(env.as_str()) {
                continue;
            }
            let found = stacks.entry(env.clone()).or_default();
            found.stacks.push(s.name.clone());
            found.created = earliest(found.created, s.created_at.as_deref().and_then(Timestamp::parse));
            found.name = found.name.take().or_else(|| s.tags.get(TAG_DEMO).cloned());
        }
    }
    // Compose projects labelled as this project's, of no permanent environment, by slug.
    let mut projects: BTreeMap<String, (String, Option<Timestamp>)> = BTreeMap::new();
    if let Some((compose, host)) = places.compose {
        for p in compose.projects(host).map_err(super::DemoError::from)? {
            let (Some(owner), Some(env)) = (p.label(LABEL_PROJECT), p.label(LABEL_ENVIRONMENT)) else { continue };
            if owner != project || permanent.contains(env) {
                continue;
            }
            // Its age is what makes an orphan old enough to sweep; one that cannot be read is unknown.
            let created = compose
                .containers(&p.name, host)
                .ok()
                .and_then(|cs| cs.iter().filter_map(|c| Timestamp::parse(&c.created)).min());
            projects.insert(env.to_string(), (format!("{} {}", p.name, p.status), created));
        }
    }

    let mut out = Vec::new();
    let slugs: BTreeSet<&String> = known.keys().chain(stacks.keys()).chain(projects.keys()).collect();
    for slug in slugs {
        let found_stacks = stacks.get(slug);
        let found_project = projects.get(slug);
        let state = known.get(slug).filter(|d| d.status.exists());
        if state.is_none() && found_stacks.is_none() && found_project.is_none() {
            continue;
        }
        let mut listing = Listing {
            slug: slug.clone(),
            name: slug.clone(),
            branch: None,
            status: None,
            since: earliest(found_stacks.and_then(|s| s.created), found_project.and_then(|p| p.1)),
            expires: None,
            release: None,
            urls: BTreeMap::new(),
            stacks: found_stacks.map(|s| s.stacks.clone()).unwrap_or_default(),
            compose: found_project.map(|p| p.0.clone()),
            reason: None,
            gone: Vec::new(),
        };
        if let Some(name) = found_stacks.and_then(|s| s.name.clone()) {
            listing.name = name;
        }
        if let Some(d) = state {
            listing.name = d.demo.name.clone();
            listing.branch = d.demo.branch.clone();
            listing.status = Some(d.status);
            listing.since = Some(d.since);
            listing.expires = d.expires;
            listing.release = d.release.clone();
            listing.urls = d.demo.urls.clone();
            listing.reason = d.reason.clone();
            // Looked for on the host it runs on, and not there.
            let looked = places.compose.is_some_and(|(_, host)| d.demo.docker_host.as_deref() == Some(host.as_str()));
            if let Some(project) = d.demo.compose_project.as_ref().filter(|_| looked && found_project.is_none()) {
                listing.gone.push(format!(
                    "compose project {project} is not on {}",
                    d.demo.docker_host.as_deref().unwrap_or("?")
                ));
            }
        }
        out.push(listing);
    }
    Ok(out)
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Which of `listings` `gc` brings down at `now`, and why: every demo whose expiry has passed, and every
/// orphan older than `orphan_age` (`gc` says a day: a younger one may be an `up` whose first record is
/// still to come, or something a person is doing by hand).
pub fn to_sweep(listings: &[Listing], now: Timestamp, orphan_age: Duration) -> Vec<(&Listing, String)> {
    listings
        .iter()
        .filter_map(|l| match (l.status, l.expires, l.since) {
            (Some(_), Some(expires), _) if expires <= now => Some((l, format!("expired at {expires}"))),
            (None, _, Some(since)) if now.since(since) >= orphan_age => {
                Some((l, format!("an orphan (the ledger does not know it) since {since}")))
            }
            _ => None,
        })
        .collect()
}
