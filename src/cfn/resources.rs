//! Typed constructors for the resources the reference stacks use.
//!
//! Each one takes the choices that matter as typed fields and fills in the settings a careful team would
//! always want (encryption, blocked public access, least privilege), so a stack definition reads as its
//! intent. Any other resource type goes through [`Resource::new`], the raw escape hatch.

use std::collections::BTreeMap;

use super::expr::Expr;
use super::template::Resource;

// ---- IAM -------------------------------------------------------------------------------------------

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

// ---- KMS -------------------------------------------------------------------------------------------

/// A customer managed KMS key for one stack's data: rotated every year, and kept when the stack is deleted,
/// because what it encrypted (retained log groups) outlives the stack and would be unreadable without it.
///
/// The key policy lets the account administer and use it through IAM policies (AWS's default key policy),
/// and lets CloudWatch Logs in the stack's region use it for the log groups matching `log_groups`, and
/// nothing else.
#[derive(Clone, Debug, PartialEq)]
pub struct KmsKey {
    /// What the key protects.
    pub description: String,
    /// ARN patterns of the log groups CloudWatch Logs may encrypt with it
    /// (`arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${AWS::StackName}-*`).
    pub log_groups: Vec<Expr>,
}

impl From<KmsKey> for Resource {
    fn from(k: KmsKey) -> Resource {
        let mut statements = vec![
            Statement::allow(["kms:*"], [Expr::str("*")])
                .sid("AccountAdministersAndGrantsThroughIam")
                .principal(Principal::Aws(Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"))),
        ];
        if !k.log_groups.is_empty() {
            statements.push(
                Statement::allow(
                    ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    [Expr::str("*")],
                )
                .sid("CloudWatchLogsEncryptsThisStacksLogGroups")
                .principal(Principal::Service(Expr::sub("logs.${AWS::Region}.amazonaws.com")))
                .when("ArnLike", "kms:EncryptionContext:aws:logs:arn", Expr::List(k.log_groups)),
            );
        }
        Resource::new("AWS::KMS::Key")
            .prop("Description", k.description)
            .prop("EnableKeyRotation", true)
            .prop("KeyPolicy", policy_document(&statements))
            .retain()
    }
}

// ---- S3 --------------------------------------------------------------------------------------------

/// How a bucket encrypts objects at rest.
#[derive(Clone, Debug, PartialEq)]
pub enum Encryption {
    /// S3-managed keys (SSE-S3).
    S3Managed,
    /// A KMS key (SSE-KMS), by ARN or alias.
    Kms(Expr),
}

/// Where S3 writes a record of every request to a bucket (server access logging).
#[derive(Clone, Debug, PartialEq)]
pub struct AccessLogs {
    /// The destination bucket's name: a [`LogBucket`] in the same account and region.
    pub bucket: Expr,
    /// A short name for the logged bucket; its records go under `s3/<name>/`.
    pub name: String,
}

/// The key prefix under which S3 server access logs land in a [`LogBucket`]; its bucket policy lets S3's
/// log delivery write there and nowhere else.
pub const S3_ACCESS_LOG_PREFIX: &str = "s3/";

/// An S3 bucket, always encrypted, with public access blocked and ACLs disabled.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// The encryption at rest.
    pub encryption: Encryption,
    /// Keeps every version of every object.
    pub versioned: bool,
    /// Deletes noncurrent versions after this many days.
    pub expire_noncurrent_after_days: Option<u32>,
    /// Deletes objects after this many days (build artifacts).
    pub expire_after_days: Option<u32>,
    /// Where requests to the bucket are logged; `None` only for the log bucket itself.
    pub access_logs: Option<AccessLogs>,
}

impl From<Bucket> for Resource {
    fn from(b: Bucket) -> Resource {
        let sse = match b.encryption {
            Encryption::S3Managed => Expr::map([("SSEAlgorithm", Expr::str("AES256"))]),
            Encryption::Kms(key) => Expr::map([("SSEAlgorithm", Expr::str("aws:kms")), ("KMSMasterKeyID", key)]),
        };
        let mut rules = Vec::new();
        if let Some(days) = b.expire_noncurrent_after_days {
            rules.push(Expr::map([
                ("Id", Expr::str("expire-noncurrent-versions")),
                ("Status", Expr::str("Enabled")),
                ("NoncurrentVersionExpiration", Expr::map([("NoncurrentDays", Expr::from(days))])),
            ]));
        }
        if let Some(days) = b.expire_after_days {
            rules.push(Expr::map([
                ("Id", Expr::str("expire-objects")),
                ("Status", Expr::str("Enabled")),
                ("ExpirationInDays", Expr::from(days)),
            ]));
        }
        let mut res = Resource::new("AWS::S3::Bucket")
            .prop(
                "BucketEncryption",
                Expr::map([(
                    "ServerSideEncryptionConfiguration",
                    Expr::list([Expr::map([
                        ("ServerSideEncryptionByDefault", sse),
                        ("BucketKeyEnabled", Expr::Bool(true)),
                    ])]),
                )]),
            )
            .prop(
                "PublicAccessBlockConfiguration",
                Expr::map([
                    ("BlockPublicAcls", Expr::Bool(true)),
                    ("BlockPublicPolicy", Expr::Bool(true)),
                    ("IgnorePublicAcls", Expr::Bool(true)),
                    ("RestrictPublicBuckets", Expr::Bool(true)),
                ]),
            )
            .prop(
                "OwnershipControls",
                Expr::map([(
                    "Rules",
                    Expr::list([Expr::map([("ObjectOwnership", Expr::str("BucketOwnerEnforced"))])]),
                )]),
            );
        if b.versioned {
            res = res.prop("VersioningConfiguration", Expr::map([("Status", Expr::str("Enabled"))]));
        }
        if !rules.is_empty() {
            res = res.prop("LifecycleConfiguration", Expr::map([("Rules", Expr::List(rules))]));
        }
        if let Some(logs) = b.access_logs {
            res = res.prop(
                "LoggingConfiguration",
                Expr::map([
                    ("DestinationBucketName", logs.bucket),
                    ("LogFilePrefix", Expr::str(format!("{S3_ACCESS_LOG_PREFIX}{}/", logs.name))),
                ]),
            );
        }
        res
    }
}

/// The bucket an environment's access logs go to: S3 server access logs under [`S3_ACCESS_LOG_PREFIX`]
/// and CloudFront standard logs under `cloudfront/`.
///
/// Unlike [`Bucket`] it keeps ACLs enabled (object ownership `BucketOwnerPreferred`), because CloudFront
/// standard logging delivers through an ACL grant it adds to the bucket and refuses a bucket whose ACLs
/// are disabled. It is encrypted with S3-managed keys, the only encryption S3 server access logging
/// delivers to, and versioned so that a deleted or overwritten log stays recoverable for 30 days. It is
/// the one bucket that does not log its own requests (see the checkov skip it carries).
#[derive(Clone, Debug, PartialEq)]
pub struct LogBucket {
    /// Deletes logs after this many days.
    pub expire_after_days: u32,
}

impl From<LogBucket> for Resource {
    fn from(l: LogBucket) -> Resource {
        let mut res: Resource = Bucket {
            encryption: Encryption::S3Managed,
            versioned: true,
            expire_noncurrent_after_days: Some(30),
            expire_after_days: Some(l.expire_after_days),
            access_logs: None,
        }
        .into();
        res = res.prop(
            "OwnershipControls",
            Expr::map([("Rules", Expr::list([Expr::map([("ObjectOwnership", Expr::str("BucketOwnerPreferred"))])]))]),
        );
        res.skip_check(
            "CKV_AWS_18",
            "This is the access-log bucket itself: logging its requests into itself would add a log record \
             for every log delivery, without end, and a second log bucket would only move the question. No \
             service but S3 and CloudFront log delivery is granted access to it, and reads of it can be \
             audited with CloudTrail data events.",
        )
    }
}

/// The policy of a [`LogBucket`]: TLS only, and S3 server access log delivery from this account may
/// write under [`S3_ACCESS_LOG_PREFIX`]. (CloudFront standard logging writes through the ACL grant it
/// adds itself when a distribution starts logging here.)
pub fn log_bucket_policy(bucket_id: &str) -> Resource {
    bucket_policy(
        bucket_id,
        vec![
            Statement::allow(["s3:PutObject"], [Expr::sub(format!("${{{bucket_id}.Arn}}/{S3_ACCESS_LOG_PREFIX}*"))])
                .sid("S3ServerAccessLogDelivery")
                .principal(Principal::Service("logging.s3.amazonaws.com".into()))
                .when("StringEquals", "aws:SourceAccount", Expr::r#ref("AWS::AccountId")),
        ],
    )
}

/// A bucket policy: `statements`, plus a statement that refuses any request not made over TLS.
pub fn bucket_policy(bucket_id: &str, statements: Vec<Statement>) -> Resource {
    let bucket_arn = Expr::get_att(bucket_id, "Arn");
    let objects = Expr::sub(format!("${{{bucket_id}.Arn}}/*"));
    let mut all = vec![Statement::deny(["s3:*"], [bucket_arn, objects]).principal(Principal::Anyone).when(
        "Bool",
        "aws:SecureTransport",
        Expr::str("false"),
    )];
    all.extend(statements);
    Resource::new("AWS::S3::BucketPolicy")
        .prop("Bucket", Expr::r#ref(bucket_id))
        .prop("PolicyDocument", policy_document(&all))
}

// ---- EC2 networking ----------------------------------------------------------------------------------

/// A VPC with DNS support and host names on.
pub fn vpc(cidr: &str) -> Resource {
    Resource::new("AWS::EC2::VPC")
        .prop("CidrBlock", cidr)
        .prop("EnableDnsSupport", true)
        .prop("EnableDnsHostnames", true)
}

/// A subnet in availability zone number `az` of the stack's region.
pub fn subnet(vpc_id: &str, cidr: Expr, az: u32) -> Resource {
    Resource::new("AWS::EC2::Subnet")
        .prop("VpcId", Expr::r#ref(vpc_id))
        .prop("CidrBlock", cidr)
        .prop("AvailabilityZone", Expr::select(az, Expr::azs()))
        .prop("MapPublicIpOnLaunch", false)
}

/// Where a security-group rule lets traffic come from or go to.
#[derive(Clone, Debug, PartialEq)]
pub enum Peer {
    /// An IPv4 range.
    Cidr(String),
    /// Members of another security group.
    Group(Expr),
}

/// One TCP rule of a security group.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The TCP port.
    pub port: u16,
    /// Who.
    pub peer: Peer,
    /// Why the rule exists, shown in the console.
    pub description: String,
}

impl Rule {
    fn to_expr(&self) -> Expr {
        let peer = match &self.peer {
            Peer::Cidr(c) => ("CidrIp", Expr::str(c.clone())),
            Peer::Group(g) => ("SourceSecurityGroupId", g.clone()),
        };
        Expr::map([
            ("IpProtocol", Expr::str("tcp")),
            ("FromPort", Expr::from(u32::from(self.port))),
            ("ToPort", Expr::from(u32::from(self.port))),
            ("Description", Expr::str(self.description.clone())),
            peer,
        ])
    }
}

/// A security group with explicit TCP ingress rules and no egress beyond `egress`.
#[derive(Clone, Debug, PartialEq)]
pub struct SecurityGroup {
    /// What the group is for.
    pub description: String,
    /// The VPC, by logical ID.
    pub vpc_id: String,
    /// Allowed inbound TCP.
    pub ingress: Vec<Rule>,
    /// Allowed outbound TCP (to `Peer::Cidr` only); empty allows nothing out.
    pub egress: Vec<Rule>,
}

impl From<SecurityGroup> for Resource {
    fn from(g: SecurityGroup) -> Resource {
        let egress: Vec<Expr> = if g.egress.is_empty() {
            // Replaces the default allow-all egress rule with one that matches nothing.
            vec![Expr::map([
                ("IpProtocol", Expr::str("icmp")),
                ("FromPort", Expr::Int(252)),
                ("ToPort", Expr::Int(86)),
                ("CidrIp", Expr::str("127.0.0.1/32")),
                ("Description", Expr::str("no outbound traffic")),
            ])]
        } else {
            g.egress
                .iter()
                .map(|r| match r.to_expr() {
                    Expr::Map(mut m) => {
                        if let Some(peer) = m.remove("SourceSecurityGroupId") {
                            m.insert("DestinationSecurityGroupId".into(), peer);
                        }
                        Expr::Map(m)
                    }
                    other => other,
                })
                .collect()
        };
        let mut res = Resource::new("AWS::EC2::SecurityGroup")
            .prop("GroupDescription", g.description)
            .prop("VpcId", Expr::r#ref(g.vpc_id))
            .prop("SecurityGroupEgress", Expr::List(egress));
        if !g.ingress.is_empty() {
            res = res.prop("SecurityGroupIngress", Expr::list(g.ingress.iter().map(Rule::to_expr)));
        }
        res
    }
}

// ---- RDS -------------------------------------------------------------------------------------------

/// A PostgreSQL instance: encrypted, private, its master password generated and kept in Secrets
/// Manager by RDS itself (so no password appears anywhere in a template).
#[derive(Clone, Debug, PartialEq)]
pub struct Postgres {
    /// The instance class (`db.t4g.micro`).
    pub class: String,
    /// Allocated storage, in GiB.
    pub storage_gb: u32,
    /// A standby in a second availability zone.
    pub multi_az: bool,
    /// Days of automated backups.
    pub backup_days: u32,
    /// Refuse deletion (production).
    pub deletion_protection: bool,
    /// The subnet group, by logical ID.
    pub subnet_group_id: String,
    /// Security group IDs.
    pub security_groups: Vec<Expr>,
    /// Seconds between enhanced-monitoring samples of the host (1, 5, 10, 15, 30 or 60).
    pub monitoring_interval_seconds: u32,
    /// The role RDS publishes enhanced-monitoring metrics as, by logical ID ([`rds_monitoring_role`]).
    pub monitoring_role_id: String,
}

/// The PostgreSQL major.minor version the reference stacks run.
pub const POSTGRES_VERSION: &str = "17.6";

impl From<Postgres> for Resource {
    fn from(p: Postgres) -> Resource {
        Resource::new("AWS::RDS::DBInstance")
            .prop("Engine", "postgres")
            .prop("EngineVersion", POSTGRES_VERSION)
            .prop("DBInstanceClass", p.class)
            .prop("AllocatedStorage", p.storage_gb.to_string())
            .prop("StorageType", "gp3")
            .prop("StorageEncrypted", true)
            .prop("MultiAZ", p.multi_az)
            .prop("BackupRetentionPeriod", p.backup_days)
            .prop("DeletionProtection", p.deletion_protection)
            .prop("PubliclyAccessible", false)
            .prop("MasterUsername", "app")
            .prop("ManageMasterUserPassword", true)
            .prop("DBSubnetGroupName", Expr::r#ref(p.subnet_group_id))
            .prop("VPCSecurityGroups", Expr::List(p.security_groups))
            .prop("CopyTagsToSnapshot", true)
            .prop("AutoMinorVersionUpgrade", true)
            // Lets people and jobs log in with short-lived IAM tokens (database users granted `rds_iam`)
            // instead of sharing the master password; the backend keeps reading its secret.
            .prop("EnableIAMDatabaseAuthentication", true)
            .prop("MonitoringInterval", p.monitoring_interval_seconds)
            .prop("MonitoringRoleArn", Expr::get_att(p.monitoring_role_id, "Arn"))
            .snapshot()
    }
}

/// The role RDS enhanced monitoring publishes OS metrics to CloudWatch Logs as, for this account's
/// instances only.
pub fn rds_monitoring_role(description: String) -> Role {
    Role {
        description,
        trust: vec![Statement::trust(Principal::Service("monitoring.rds.amazonaws.com".into())).when(
            "StringEquals",
            "aws:SourceAccount",
            Expr::r#ref("AWS::AccountId"),
        )],
        managed_policies: vec![managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")],
        permissions: vec![],
        max_session_seconds: None,
        name: None,
    }
}

// ---- Lambda and API Gateway --------------------------------------------------------------------------

/// A Lambda function running a native binary (`provided.al2023`, `bootstrap`) from a zip in S3.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// What it does.
    pub description: String,
    /// The execution role, by logical ID.
    pub role_id: String,
    /// The bucket holding the code.
    pub code_bucket: Expr,
    /// The zip's key.
    pub code_key: Expr,
    /// Memory, in MiB.
    pub memory_mb: u32,
    /// Seconds one invocation may run.
    pub timeout_seconds: u32,
    /// Environment variables (never secrets: pass a secret's ARN and read it at run time).
    pub environment: BTreeMap<String, Expr>,
    /// Subnet IDs and security group IDs, when it runs inside a VPC.
    pub vpc: Option<(Expr, Vec<Expr>)>,
    /// The log group, by logical ID.
    pub log_group_id: String,
    /// Concurrent executions reserved for it, which are also the most it may run at once: a guaranteed
    /// share of the account's concurrency, and a cap on what it can open downstream (database connections).
    pub reserved_concurrency: u32,
    /// The queue events of asynchronous invocations go to after every retry failed, by logical ID
    /// ([`dead_letter_queue`]); the role must be allowed to send to it.
    pub dead_letter_queue_id: String,
    /// The customer managed key its environment variables are encrypted with at rest, by logical ID.
    pub kms_key_id: String,
}

impl From<Function> for Resource {
    fn from(f: Function) -> Resource {
        let mut res = Resource::new("AWS::Lambda::Function")
            .prop("Description", f.description)
            .prop("Runtime", "provided.al2023")
            .prop("Handler", "bootstrap")
            .prop("Architectures", Expr::strs(["arm64"]))
            .prop("Role", Expr::get_att(&f.role_id, "Arn"))
            .prop("Code", Expr::map([("S3Bucket", f.code_bucket), ("S3Key", f.code_key)]))
            .prop("MemorySize", f.memory_mb)
            .prop("Timeout", f.timeout_seconds)
            .prop("TracingConfig", Expr::map([("Mode", Expr::str("Active"))]))
            .prop("LoggingConfig", Expr::map([("LogGroup", Expr::r#ref(&f.log_group_id))]))
            .prop("ReservedConcurrentExecutions", f.reserved_concurrency)
            .prop("DeadLetterConfig", Expr::map([("TargetArn", Expr::get_att(&f.dead_letter_queue_id, "Arn"))]))
            .prop("KmsKeyArn", Expr::get_att(&f.kms_key_id, "Arn"));
        if !f.environment.is_empty() {
            res = res.prop("Environment", Expr::map([("Variables", Expr::Map(f.environment))]));
        }
        if let Some((subnets, groups)) = f.vpc {
            res = res.prop("VpcConfig", Expr::map([("SubnetIds", subnets), ("SecurityGroupIds", Expr::List(groups))]));
        }
        res
    }
}

/// A log group that keeps events for `days`, encrypted with the customer managed key `kms_key_id` (a
/// [`KmsKey`] whose `log_groups` match this group).
pub fn log_group(days: u32, kms_key_id: &str) -> Resource {
    Resource::new("AWS::Logs::LogGroup")
        .prop("RetentionInDays", days)
        .prop("KmsKeyId", Expr::get_att(kms_key_id, "Arn"))
        .retain()
}

/// A dead-letter queue: keeps what it receives for 14 days (SQS's longest), encrypted with the customer
/// managed key `kms_key_id`, so whoever sends to it needs `kms:GenerateDataKey` and `kms:Decrypt` on that key.
pub fn dead_letter_queue(kms_key_id: &str) -> Resource {
    Resource::new("AWS::SQS::Queue")
        .prop("MessageRetentionPeriod", 14 * 24 * 3600_u32)
        .prop("KmsMasterKeyId", Expr::get_att(kms_key_id, "Arn"))
}

/// An HTTP API (API Gateway v2).
pub fn http_api(name: Expr, description: &str) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Api")
        .prop("Name", name)
        .prop("Description", description)
        .prop("ProtocolType", "HTTP")
}

/// A proxy integration from an HTTP API to a Lambda function.
pub fn lambda_integration(api_id: &str, function_id: &str) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Integration")
        .prop("ApiId", Expr::r#ref(api_id))
        .prop("IntegrationType", "AWS_PROXY")
        .prop("IntegrationUri", Expr::get_att(function_id, "Arn"))
        .prop("PayloadFormatVersion", "2.0")
}

/// A route of an HTTP API to an integration.
pub fn api_route(api_id: &str, route_key: &str, integration_id: &str) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Route")
        .prop("ApiId", Expr::r#ref(api_id))
        .prop("RouteKey", route_key)
        .prop("Target", Expr::sub(format!("integrations/${{{integration_id}}}")))
}

/// The `$default` stage of an HTTP API, deploying every change, with access logs and throttling.
pub fn api_stage(api_id: &str, log_group_id: &str, burst: u32, rate: u32) -> Resource {
    Resource::new("AWS::ApiGatewayV2::Stage")
        .prop("ApiId", Expr::r#ref(api_id))
        .prop("StageName", "$default")
        .prop("AutoDeploy", true)
        .prop(
            "DefaultRouteSettings",
            Expr::map([("ThrottlingBurstLimit", Expr::from(burst)), ("ThrottlingRateLimit", Expr::from(rate))]),
        )
        .prop(
            "AccessLogSettings",
            Expr::map([
                ("DestinationArn", Expr::get_att(log_group_id, "Arn")),
                (
                    "Format",
                    Expr::str(
                        r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod","path":"$context.path","status":"$context.status","latency":"$context.responseLatency"}"#,
                    ),
                ),
            ]),
        )
}

/// Lets API Gateway (this API only) invoke a function.
pub fn api_invoke_permission(function_id: &str, api_id: &str) -> Resource {
    Resource::new("AWS::Lambda::Permission")
        .prop("Action", "lambda:InvokeFunction")
        .prop("FunctionName", Expr::r#ref(function_id))
        .prop("Principal", "apigateway.amazonaws.com")
        .prop(
            "SourceArn",
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/*"
            )),
        )
}

// ---- CloudFront --------------------------------------------------------------------------------------

/// CloudFront's managed cache policy `CachingOptimized`.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// An origin access control: CloudFront signs its requests to a private S3 bucket.
pub fn origin_access_control(name: Expr) -> Resource {
    Resource::new("AWS::CloudFront::OriginAccessControl").prop(
        "OriginAccessControlConfig",
        Expr::map([
            ("Name", name),
            ("OriginAccessControlOriginType", Expr::str("s3")),
            ("SigningBehavior", Expr::str("always")),
            ("SigningProtocol", Expr::str("sigv4")),
        ]),
    )
}

/// A custom domain for a distribution: its names, and an ACM certificate for them in us-east-1 (where
/// CloudFront reads certificates from).
#[derive(Clone, Debug, PartialEq)]
pub struct CustomDomain {
    /// The host names the distribution answers for (`www.webapp.example`).
    pub aliases: Vec<String>,
    /// The certificate's ARN.
    pub certificate_arn: Expr,
}

/// The oldest TLS version a distribution with a custom domain accepts from viewers.
pub const MINIMUM_TLS: &str = "TLSv1.2_2021";

/// A CloudFront distribution serving a private S3 bucket over HTTPS only, as a single-page app, behind a
/// WAF web ACL, with standard logging to a [`LogBucket`].
///
/// With a [`CustomDomain`] viewers need TLS 1.2 or later ([`MINIMUM_TLS`]). Without one the distribution
/// answers on its `*.cloudfront.net` name with CloudFront's default certificate, whose minimum protocol
/// version CloudFront fixes at TLSv1 and no distribution can raise; the resource then carries a checkov
/// skip of CKV_AWS_174 that says so.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticSiteDistribution {
    /// Shown in the console.
    pub comment: Expr,
    /// The bucket holding the site, by logical ID.
    pub bucket_id: String,
    /// The origin access control CloudFront signs its requests to the bucket with, by logical ID.
    pub oac_id: String,
    /// The ARN of the WAF web ACL in front of it ([`cloudfront_web_acl`]).
    pub web_acl_arn: Expr,
    /// The log bucket's domain name (`<bucket>.s3.amazonaws.com`); logs go under `cloudfront/<log_name>/`.
    pub log_bucket_domain: Expr,
    /// A short name for the distribution in the log bucket.
    pub log_name: String,
    /// The custom domain, if the site has one.
    pub domain: Option<CustomDomain>,
}

impl From<StaticSiteDistribution> for Resource {
    fn from(d: StaticSiteDistribution) -> Resource {
        let spa_fallback = |code: u32| {
            Expr::map([
                ("ErrorCode", Expr::from(code)),
                ("ResponseCode", Expr::Int(200)),
                ("ResponsePagePath", Expr::str("/index.html")),
            ])
        };
        let mut config = BTreeMap::from([
            ("Comment".to_string(), d.comment),
            ("Enabled".into(), Expr::Bool(true)),
            ("HttpVersion".into(), Expr::str("http2and3")),
            ("DefaultRootObject".into(), Expr::str("index.html")),
            ("PriceClass".into(), Expr::str("PriceClass_100")),
            (
                "Origins".into(),
                Expr::list([Expr::map([
                    ("Id", Expr::str("site")),
                    ("DomainName", Expr::get_att(&d.bucket_id, "RegionalDomainName")),
                    ("OriginAccessControlId", Expr::get_att(&d.oac_id, "Id")),
                    ("S3OriginConfig", Expr::map([("OriginAccessIdentity", Expr::str(""))])),
                ])]),
            ),
            (
                "DefaultCacheBehavior".into(),
                Expr::map([
                    ("TargetOriginId", Expr::str("site")),
                    ("ViewerProtocolPolicy", Expr::str("redirect-to-https")),
                    ("CachePolicyId", Expr::str(CACHING_OPTIMIZED)),
                    ("Compress", Expr::Bool(true)),
                ]),
            ),
            ("CustomErrorResponses".into(), Expr::list([spa_fallback(403), spa_fallback(404)])),
            ("WebACLId".into(), d.web_acl_arn),
            (
                "Logging".into(),
                Expr::map([
                    ("Bucket", d.log_bucket_domain),
                    ("Prefix", Expr::str(format!("cloudfront/{}/", d.log_name))),
                    ("IncludeCookies", Expr::Bool(false)),
                ]),
            ),
        ]);
        let default_certificate = d.domain.is_none();
        if let Some(domain) = d.domain {
            config.insert("Aliases".into(), Expr::strs(domain.aliases));
            config.insert(
                "ViewerCertificate".into(),
                Expr::map([
                    ("AcmCertificateArn", domain.certificate_arn),
                    ("SslSupportMethod", Expr::str("sni-only")),
                    ("MinimumProtocolVersion", Expr::str(MINIMUM_TLS)),
                ]),
            );
        }
        let res = Resource::new("AWS::CloudFront::Distribution").prop("DistributionConfig", Expr::Map(config));
        if default_certificate {
            res.skip_check(
                "CKV_AWS_174",
                "Served on its *.cloudfront.net name with CloudFront's default certificate, for which CloudFront \
                 fixes the minimum protocol version at TLSv1 and does not let a distribution raise it. Requiring \
                 TLS 1.2 needs a custom domain with an ACM certificate (CustomDomain), which sets TLSv1.2_2021. \
                 Viewers are still redirected to HTTPS, and modern browsers negotiate TLS 1.2 or 1.3.",
            )
        } else {
            res
        }
    }
}

/// A WAF web ACL for CloudFront: AWS's managed rule groups for IP reputation, common web exploits (the
/// OWASP Top 10 kind) and known bad inputs (Log4Shell among them), each blocking what it matches; anything
/// else is allowed. Its CloudWatch metrics are named after `metric_name`.
///
/// CloudFront reads web ACLs from us-east-1 only (`Scope: CLOUDFRONT`), so the stack holding this must be
/// deployed there.
pub fn cloudfront_web_acl(metric_name: &str, description: &str) -> Resource {
    let visibility = |metric: &str| {
        Expr::map([
            ("CloudWatchMetricsEnabled", Expr::Bool(true)),
            ("MetricName", Expr::str(metric)),
            ("SampledRequestsEnabled", Expr::Bool(true)),
        ])
    };
    let managed = [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ];
    let rules = managed.iter().zip(0u32..).map(|(group, priority)| {
        Expr::map([
            ("Name", Expr::str(*group)),
            ("Priority", Expr::from(priority)),
            ("OverrideAction", Expr::map([("None", Expr::map::<String>([]))])),
            (
                "Statement",
                Expr::map([(
                    "ManagedRuleGroupStatement",
                    Expr::map([("VendorName", Expr::str("AWS")), ("Name", Expr::str(*group))]),
                )]),
            ),
            ("VisibilityConfig", visibility(&format!("{metric_name}-{group}"))),
        ])
    });
    Resource::new("AWS::WAFv2::WebACL")
        .prop("Description", description)
        .prop("Scope", "CLOUDFRONT")
        .prop("DefaultAction", Expr::map([("Allow", Expr::map::<String>([]))]))
        .prop("Rules", Expr::list(rules))
        .prop("VisibilityConfig", visibility(metric_name))
}

// ---- Monitoring ---------------------------------------------------------------------------------------

/// An SNS topic for alarms, encrypted with the AWS-managed SNS key.
pub fn alarm_topic(display_name: Expr) -> Resource {
    Resource::new("AWS::SNS::Topic").prop("DisplayName", display_name).prop("KmsMasterKeyId", "alias/aws/sns")
}

/// A CloudWatch alarm on one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    /// What the alarm means.
    pub description: String,
    /// The metric's namespace (`AWS/Lambda`).
    pub namespace: String,
    /// The metric (`Errors`).
    pub metric: String,
    /// The dimension that picks the resource.
    pub dimension: (String, Expr),
    /// `Sum`, `Average`, `Maximum`.
    pub statistic: String,
    /// The threshold that sets the alarm off (greater than or equal).
    pub threshold: u32,
    /// Evaluation period, in seconds.
    pub period_seconds: u32,
    /// How many periods in a row.
    pub periods: u32,
    /// The topic notified, by logical ID.
    pub topic_id: String,
}

impl From<Alarm> for Resource {
    fn from(a: Alarm) -> Resource {
        let topic = Expr::list([Expr::r#ref(&a.topic_id)]);
        Resource::new("AWS::CloudWatch::Alarm")
            .prop("AlarmDescription", a.description)
            .prop("Namespace", a.namespace)
            .prop("MetricName", a.metric)
            .prop("Dimensions", Expr::list([Expr::map([("Name", Expr::str(a.dimension.0)), ("Value", a.dimension.1)])]))
            .prop("Statistic", a.statistic)
            .prop("Threshold", a.threshold)
            .prop("ComparisonOperator", "GreaterThanOrEqualToThreshold")
            .prop("Period", a.period_seconds)
            .prop("EvaluationPeriods", a.periods)
            .prop("TreatMissingData", "notBreaching")
            .prop("AlarmActions", topic.clone())
            .prop("OKActions", topic)
    }
}
