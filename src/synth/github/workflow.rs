//! The model of a workflow file, as `templates/github/workflow.yml.jinja` reads it: data first, text
//! second, so a test can render any workflow through the real template.

use std::collections::BTreeMap;

use serde::Serialize;

/// One workflow file, as the template reads it.
#[derive(Clone, Debug, Serialize)]
pub struct Workflow {
    /// The file's name under `.github/workflows/`.
    pub file: String,
    /// The first comment line.
    pub title: String,
    /// More comment lines.
    pub description: Vec<String>,
    /// The workflow's `name:`.
    pub name: String,
    /// What starts it.
    pub on: Triggers,
    /// Variables every job sees.
    pub env: BTreeMap<String, String>,
    /// The directory every `run:` step runs in (`defaults.run.working-directory`); `None`: the checkout's top.
    pub working_directory: Option<String>,
    /// The jobs, in order.
    pub jobs: Vec<Job>,
}

/// A workflow's `on:`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Triggers {
    /// `pull_request`.
    pub pull_request: bool,
    /// Its activity types (empty: GitHub's default, opened, synchronize and reopened).
    pub pull_request_types: Vec<String>,
    /// `workflow_run`: the names of the workflows whose completed runs start this one.
    pub workflow_run: Vec<String>,
    /// `push.branches` filters.
    pub push_branches: Vec<String>,
    /// `push.tags` filters.
    pub push_tags: Vec<String>,
    /// `delete` (a branch or tag deleted).
    pub delete: bool,
    /// `schedule` cron lines.
    pub schedule: Vec<String>,
    /// `workflow_dispatch`.
    pub workflow_dispatch: bool,
    /// Its inputs.
    pub inputs: Vec<Input>,
}

/// A `workflow_dispatch` input.
#[derive(Clone, Debug, Serialize)]
pub struct Input {
    /// Its name.
    pub name: String,
    /// What to type.
    pub description: String,
    /// Whether it must be given.
    pub required: bool,
    /// `string` or `choice`.
    pub kind: String,
    /// The choices.
    pub options: Vec<String>,
}

/// One job.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Jobs it waits for.
    pub needs: Vec<String>,
    /// When it runs (an expression).
    pub condition: Option<String>,
    /// The runner.
    pub runs_on: String,
    /// The GitHub environment it runs in.
    pub environment: Option<String>,
    /// The URL GitHub's deployments page links for that environment (an expression).
    pub environment_url: Option<String>,
    /// Its concurrency group.
    pub concurrency: Option<Concurrency>,
    /// Its token's permissions (empty: none).
    pub permissions: BTreeMap<String, String>,
    /// Values it hands to jobs that need it.
    pub outputs: BTreeMap<String, String>,
    /// Variables its steps see.
    pub env: BTreeMap<String, String>,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// A job's `concurrency:`.
#[derive(Clone, Debug, Serialize)]
pub struct Concurrency {
    /// The group.
    pub group: String,
    /// Whether a new run cancels the one in progress.
    pub cancel_in_progress: bool,
}

/// One step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Step {
    /// Its display name.
    pub name: String,
    /// Its id, when later steps read its outputs.
    pub id: Option<String>,
    /// The action it runs.
    pub uses: Option<String>,
    /// The action's version, as a comment beside a pinned commit.
    pub version: Option<String>,
    /// The action's inputs.
    pub with: BTreeMap<String, String>,
    /// Variables for this step.
    pub env: BTreeMap<String, String>,
    /// The shell script, line by line (constant text: values come through `env`).
    pub run: Vec<String>,
}

impl Step {
    pub(super) fn run(name: &str, script: &str) -> Step {
        Step { name: name.into(), run: script.lines().map(str::to_string).collect(), ..Step::default() }
    }
}
