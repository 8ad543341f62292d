//! EC2 networking: the VPC, subnets and security groups with their rules.

use crate::cfn::Expr;
use crate::cfn::Resource;

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
