//! IAM: policy statements, roles, managed policies and the GitHub OIDC provider.

use std::collections::BTreeMap;

use crate::cfn::Expr;
use crate::cfn::Resource;

/// Allow or deny, in a policy statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Grants the actions.
    Allow,
    /// Refuses the actions, whatever else grants them.
    Deny,
}

/// Who a trust-policy statement lets in.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// An AWS service (`lambda.amazonaws.com`; an `Fn::Sub` for regional ones, `logs.${AWS::Region}...`).
    Service(Expr),
    /// An AWS account or IAM principal, by ARN (`arn:aws:iam::111111111111:root` for the whole account).
    Aws(Expr),
    /// A federated identity provider (a GitHub OIDC provider's ARN).
    Federated(Expr),
    /// Anyone (`*`); only sensible in a `Deny` with a condition.
    Anyone,
}

/// One IAM policy statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// A name for the statement, shown to whoever reads the policy (`AllowCloudWatchLogs`).
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// The principal, in resource and trust policies.
    pub principal: Option<Principal>,
    /// The actions (`s3:GetObject`).
    pub actions: Vec<String>,
    /// The resources, in identity and resource policies.
    pub resources: Vec<Expr>,
    /// Conditions: operator -> key -> value.
    pub conditions: BTreeMap<String, BTreeMap<String, Expr>>,
}

impl Statement {
    /// Allows `actions` on `resources`.
    pub fn allow<S: Into<String>>(
        actions: impl IntoIterator<Item = S>,
        resources: impl IntoIterator<Item = Expr>,
    ) -> Self {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            actions: actions.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().collect(),
            conditions: BTreeMap::new(),
        }
    }

    /// Denies `actions` on `resources`.
    pub fn deny<S: Into<String>>(
        actions: impl IntoIterator<Item = S>,
        resources: impl IntoIterator<Item = Expr>,
    ) -> Self {
        Statement { effect: Effect::Deny, ..Statement::allow(actions, resources) }
    }

    /// Lets `principal` assume a role (`sts:AssumeRole`, or `sts:AssumeRoleWithWebIdentity` when federated).
    pub fn trust(principal: Principal) -> Self {
        let action = match principal {
            Principal::Federated(_) => "sts:AssumeRoleWithWebIdentity",
            _ => "sts:AssumeRole",
        };
        Statement { principal: Some(principal), ..Statement::allow([action], []) }
    }

    /// Names the statement.
    pub fn sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Sets the principal.
    pub fn principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Adds a condition `operator: {key: value}`.
    pub fn when(mut self, operator: &str, key: &str, value: impl Into<Expr>) -> Self {
        self.conditions.entry(operator.into()).or_default().insert(key.into(), value.into());
        self
    }

    fn to_expr(&self) -> Expr {
        let mut m = BTreeMap::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".to_string(), Expr::str(sid.clone()));
        }
        m.insert("Effect".to_string(), Expr::str(if self.effect == Effect::Allow { "Allow" } else { "Deny" }));
        if let Some(p) = &self.principal {
            let p = match p {
                Principal::Service(s) => Expr::map([("Service", s.clone())]),
                Principal::Aws(a) => Expr::map([("AWS", a.clone())]),
                Principal::Federated(e) => Expr::map([("Federated", e.clone())]),
                Principal::Anyone => Expr::str("*"),
            };
            m.insert("Principal".into(), p);
        }
        m.insert("Action".into(), Expr::strs(self.actions.iter().cloned()));
        if !self.resources.is_empty() {
            m.insert("Resource".into(), Expr::List(self.resources.clone()));
        }
        if !self.conditions.is_empty() {
            let c = self.conditions.iter().map(|(op, kv)| (op.clone(), Expr::Map(kv.clone())));
            m.insert("Condition".into(), Expr::map(c));
        }
        Expr::Map(m)
    }
}

/// An IAM policy document.
pub fn policy_document(statements: &[Statement]) -> Expr {
    Expr::map([
        ("Version", Expr::str("2012-10-17")),
        ("Statement", Expr::list(statements.iter().map(Statement::to_expr))),
    ])
}

/// An IAM role: who may assume it, and what it may do.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    /// What the role is for.
    pub description: String,
    /// The trust policy's statements.
    pub trust: Vec<Statement>,
    /// AWS managed policies attached (by ARN).
    pub managed_policies: Vec<Expr>,
    /// One inline policy's statements (empty: none).
    pub permissions: Vec<Statement>,
    /// The longest session, in seconds.
    pub max_session_seconds: Option<u32>,
    /// A fixed name (`RoleName`), where something outside the stack must know the role's ARN in advance;
    /// otherwise CloudFormation makes one up.
    pub name: Option<String>,
}

impl From<Role> for Resource {
    fn from(r: Role) -> Resource {
        let mut res = Resource::new("AWS::IAM::Role")
            .prop("Description", r.description)
            .prop("AssumeRolePolicyDocument", policy_document(&r.trust))
            .prop_opt("MaxSessionDuration", r.max_session_seconds)
            .prop_opt("RoleName", r.name);
        if !r.managed_policies.is_empty() {
            res = res.prop("ManagedPolicyArns", Expr::List(r.managed_policies));
        }
        if !r.permissions.is_empty() {
            res = res.prop(
                "Policies",
                Expr::list([Expr::map([
                    ("PolicyName", Expr::str("permissions")),
                    ("PolicyDocument", policy_document(&r.permissions)),
                ])]),
            );
        }
        res
    }
}

/// The ARN of an AWS managed policy, in the stack's partition.
pub fn managed_policy(name: &str) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}"))
}

/// GitHub Actions' OpenID Connect provider, which lets workflows assume roles without stored keys.
pub fn github_oidc_provider() -> Resource {
    Resource::new("AWS::IAM::OIDCProvider")
        .prop("Url", "https://token.actions.githubusercontent.com")
        .prop("ClientIdList", Expr::strs(["sts.amazonaws.com"]))
}
