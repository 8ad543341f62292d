//! A CloudFormation template as typed data, and a stack: a named template plus what it depends on.
//!
//! Serialization is deterministic: sections and attributes in CloudFormation's customary order, every
//! map sorted by key, so that two syntheses of the same definitions give the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::expr::Expr;

/// What CloudFormation does with a resource's physical object when the resource is deleted or replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Policy {
    /// Delete it.
    Delete,
    /// Keep it, outside the stack.
    Retain,
    /// Keep it as long as the stack exists, then delete it.
    RetainExceptOnCreate,
    /// Snapshot it, then delete it (databases, volumes).
    Snapshot,
}

/// A resource: its type, properties and resource attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// The resource type (`AWS::S3::Bucket`).
    #[serde(rename = "Type")]
    pub kind: String,
    /// Created only when this condition holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Logical IDs that must exist before this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// What happens to the physical object when the resource is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<Policy>,
    /// What happens to the old physical object when the resource is replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<Policy>,
    /// Free-form metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, Expr>,
    /// The resource's properties.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Expr>,
}

impl Resource {
    /// A resource of type `kind` with no properties: the escape hatch for any resource type.
    pub fn new(kind: impl Into<String>) -> Self {
        Resource {
            kind: kind.into(),
            condition: None,
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            metadata: BTreeMap::new(),
            properties: BTreeMap::new(),
        }
    }

    /// Sets a property.
    pub fn prop(mut self, name: impl Into<String>, value: impl Into<Expr>) -> Self {
        self.properties.insert(name.into(), value.into());
        self
    }

    /// Sets a property when `value` is `Some`.
    pub fn prop_opt(self, name: impl Into<String>, value: Option<impl Into<Expr>>) -> Self {
        match value {
            Some(v) => self.prop(name, v),
            None => self,
        }
    }

    /// Adds a `DependsOn`.
    pub fn depends_on(mut self, id: impl Into<String>) -> Self {
        self.depends_on.push(id.into());
        self
    }

    /// Creates the resource only when `condition` holds.
    pub fn condition(mut self, condition: impl Into<String>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Keeps the physical object when the resource is deleted or replaced (data that must outlive a stack).
    pub fn retain(mut self) -> Self {
        self.deletion_policy = Some(Policy::Retain);
        self.update_replace_policy = Some(Policy::Retain);
        self
    }

    /// Tells checkov not to apply check `id` (`CKV_AWS_157`) to this resource, for `reason`: it lands in
    /// `Metadata/checkov/skip` as `{id, comment}`, where checkov reads it and a reviewer sees why.
    ///
    /// # Panics
    ///
    /// When `reason` is empty: a skip must say why the check does not apply here.
    pub fn skip_check(mut self, id: &str, reason: &str) -> Self {
        assert!(!reason.trim().is_empty(), "the checkov skip of {id} needs a reason");
        let skip = Expr::map([("id", Expr::str(id)), ("comment", Expr::str(reason))]);
        let checkov = self.metadata.entry("checkov".into()).or_insert_with(|| Expr::map([("skip", Expr::list([]))]));
        if let Expr::Map(m) = checkov
            && let Some(Expr::List(skips)) = m.get_mut("skip")
        {
            skips.push(skip);
        }
        self
    }

    /// Snapshots the physical object before it is deleted or replaced.
    pub fn snapshot(mut self) -> Self {
        self.deletion_policy = Some(Policy::Snapshot);
        self.update_replace_policy = Some(Policy::Snapshot);
        self
    }
}

/// A parameter's type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ParameterType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A comma-separated list.
    #[serde(rename = "CommaDelimitedList")]
    CommaDelimitedList,
    /// Any of the AWS-specific types (`AWS::EC2::VPC::Id`, `AWS::SSM::Parameter::Value<String>`).
    #[serde(untagged)]
    Aws(String),
}

/// A template parameter: a value given at deploy time, such as the release being deployed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// Its type.
    #[serde(rename = "Type")]
    pub kind: ParameterType,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value used when the deploy gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Expr>,
    /// The values allowed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    /// A regular expression the value must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    /// Hides the value in the console and API answers: for secrets.
    #[serde(rename = "NoEcho", skip_serializing_if = "std::ops::Not::not")]
    pub no_echo: bool,
}

impl Parameter {
    /// A string parameter.
    pub fn string(description: impl Into<String>) -> Self {
        Parameter {
            kind: ParameterType::String,
            description: Some(description.into()),
            default: None,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            no_echo: false,
        }
    }

    /// Sets the default.
    pub fn default(mut self, value: impl Into<Expr>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Sets the pattern the value must match.
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.allowed_pattern = Some(pattern.into());
        self
    }

    /// Marks the parameter as secret: its value is never shown.
    pub fn no_echo(mut self) -> Self {
        self.no_echo = true;
        self
    }
}

/// An `Export` of an output: other stacks in the same account and region read it with `Fn::ImportValue`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Export {
    /// The export's name, unique in the account and region.
    #[serde(rename = "Name")]
    pub name: Expr,
}

/// A template output.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Present only when this condition holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Its value.
    pub value: Expr,
    /// The export, when other stacks import it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
}

impl Output {
    /// An output of `value`.
    pub fn new(description: impl Into<String>, value: Expr) -> Self {
        Output { description: Some(description.into()), condition: None, value, export: None }
    }

    /// Exports the output under `name`.
    pub fn export(mut self, name: impl Into<String>) -> Self {
        self.export = Some(Export { name: Expr::Str(name.into()) });
        self
    }
}

/// A CloudFormation template.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    /// Always `2010-09-09`.
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    /// What the stack is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Template-level metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, Expr>,
    /// Values given at deploy time.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// Lookup tables.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mappings: BTreeMap<String, BTreeMap<String, BTreeMap<String, Expr>>>,
    /// Named conditions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, Expr>,
    /// The resources, by logical ID.
    pub resources: BTreeMap<String, Resource>,
    /// The outputs, by logical ID.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Output>,
}

impl Template {
    /// An empty template with a description.
    pub fn new(description: impl Into<String>) -> Self {
        Template { format_version: "2010-09-09", description: Some(description.into()), ..Template::default() }
    }

    /// Adds a resource under `id`, replacing any resource of that ID.
    pub fn resource(&mut self, id: impl Into<String>, resource: impl Into<Resource>) -> &mut Self {
        self.resources.insert(id.into(), resource.into());
        self
    }

    /// Adds a parameter.
    pub fn parameter(&mut self, id: impl Into<String>, parameter: Parameter) -> &mut Self {
        self.parameters.insert(id.into(), parameter);
        self
    }

    /// Adds a condition.
    pub fn condition(&mut self, id: impl Into<String>, condition: Expr) -> &mut Self {
        self.conditions.insert(id.into(), condition);
        self
    }

    /// Adds an output.
    pub fn output(&mut self, id: impl Into<String>, output: Output) -> &mut Self {
        self.outputs.insert(id.into(), output);
        self
    }

    /// The template as CloudFormation reads it: pretty JSON, sorted keys, a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a template serializes to JSON");
        s.push('\n');
        // The string grew by doubling; a synthesis keeps every template, so give the slack back.
        s.shrink_to_fit();
        s
    }
}

/// A stack: one template, deployed under a stack name derived from the project and environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    /// The stack's short name (`network`); the file is `<name>.template.json`.
    pub name: String,
    /// The template.
    pub template: Template,
    /// Stacks (short names) that must be deployed before this one, beyond those whose exports it imports.
    pub after: Vec<String>,
}

impl Stack {
    /// A stack of `template` named `name`.
    pub fn new(name: impl Into<String>, template: Template) -> Self {
        Stack { name: name.into(), template, after: Vec::new() }
    }

    /// Declares that stack `other` must be deployed first (a dependency no import shows).
    pub fn after(mut self, other: impl Into<String>) -> Self {
        self.after.push(other.into());
        self
    }

    /// The CloudFormation stack name: `<project>-<environment>-<stack>` ([`stack_name`]).
    pub fn stack_name(&self, project: &str, environment: &str) -> String {
        stack_name(project, environment, &self.name)
    }

    /// The export names this stack's template declares (literal ones).
    pub fn exports(&self) -> impl Iterator<Item = &str> {
        self.template.outputs.values().filter_map(|o| match &o.export {
            Some(Export { name: Expr::Str(n) }) => Some(n.as_str()),
            _ => None,
        })
    }

    /// The export names this stack's template imports (literal ones).
    pub fn imports<'a>(&'a self) -> Vec<&'a str> {
        let mut found: Vec<&str> = Vec::new();
        let mut visit = |e: &'a Expr| {
            if let Expr::ImportValue(inner) = e
                && let Expr::Str(name) = inner.as_ref()
            {
                found.push(name.as_str());
            }
        };
        for r in self.template.resources.values() {
            for v in r.properties.values() {
                v.each(&mut visit);
            }
        }
        for o in self.template.outputs.values() {
            o.value.each(&mut visit);
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The CloudFormation stack name of stack `short` of environment `env` in `project`:
/// `<project>-<env>-<short>`. Synthesis names stacks so, deploys find them so, and reads of what is
/// deployed look them up so: this is the one rule.
pub fn stack_name(project: &str, env: &str, short: &str) -> String {
    format!("{project}-{env}-{short}")
}
