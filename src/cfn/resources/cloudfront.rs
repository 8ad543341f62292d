//! CloudFront: a private bucket served through a distribution, behind a WAF web ACL.

use std::collections::BTreeMap;

use crate::cfn::Expr;
use crate::cfn::Resource;

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
    /// The host names the distribution answers for (`www.shop.example`).
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
