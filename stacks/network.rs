//! The network: a VPC with two private subnets and no route to the internet. The backend reaches S3 and
//! Secrets Manager through VPC endpoints, the database only from the backend's security group.

use slipway::cfn::resources::{Peer, Rule, SecurityGroup, subnet, vpc};
use slipway::cfn::{Expr, Resource, Stack, Template};

use super::Context;

/// The VPC's address range (each environment has its own account, so ranges may repeat across them).
pub const VPC_CIDR: &str = "10.0.0.0/16";

/// The network stack.
pub fn stack(cx: &Context) -> Stack {
    let mut t = Template::new(format!("{}: network (VPC, private subnets, endpoints, security groups)", cx.prefix()));
    t.resource("Vpc", vpc(VPC_CIDR));
    let blocks = Expr::Cidr(Box::new(Expr::get_att("Vpc", "CidrBlock")), 4, 8);
    for (i, id) in ["PrivateSubnetA", "PrivateSubnetB"].into_iter().enumerate() {
        t.resource(id, subnet("Vpc", Expr::select(i as u32, blocks.clone()), i as u32));
        t.resource(
            format!("{id}Routes"),
            Resource::new("AWS::EC2::SubnetRouteTableAssociation")
                .prop("RouteTableId", Expr::r#ref("PrivateRoutes"))
                .prop("SubnetId", Expr::r#ref(id)),
        );
    }
    t.resource("PrivateRoutes", Resource::new("AWS::EC2::RouteTable").prop("VpcId", Expr::r#ref("Vpc")));
    t.resource(
        "AppSecurityGroup",
        SecurityGroup {
            description: "backend functions".into(),
            vpc_id: "Vpc".into(),
            ingress: vec![],
            egress: vec![
                Rule {
                    port: 443,
                    peer: Peer::Cidr("0.0.0.0/0".into()),
                    description: "AWS APIs through VPC endpoints".into(),
                },
                Rule { port: 5432, peer: Peer::Cidr(VPC_CIDR.into()), description: "the database".into() },
            ],
        },
    );
    t.resource(
        "DbSecurityGroup",
        SecurityGroup {
            description: "database: reachable from the backend only".into(),
            vpc_id: "Vpc".into(),
            ingress: vec![Rule {
                port: 5432,
                peer: Peer::Group(Expr::get_att("AppSecurityGroup", "GroupId")),
                description: "backend".into(),
            }],
            egress: vec![],
        },
    );
    t.resource(
        "EndpointSecurityGroup",
        SecurityGroup {
            description: "interface endpoints: reachable from the backend only".into(),
            vpc_id: "Vpc".into(),
            ingress: vec![Rule {
                port: 443,
                peer: Peer::Group(Expr::get_att("AppSecurityGroup", "GroupId")),
                description: "backend".into(),
            }],
            egress: vec![],
        },
    );
    t.resource(
        "S3Endpoint",
        Resource::new("AWS::EC2::VPCEndpoint")
            .prop("VpcId", Expr::r#ref("Vpc"))
            .prop("VpcEndpointType", "Gateway")
            .prop("ServiceName", Expr::sub("com.amazonaws.${AWS::Region}.s3"))
            .prop("RouteTableIds", Expr::list([Expr::r#ref("PrivateRoutes")])),
    );
    t.resource(
        "SecretsEndpoint",
        Resource::new("AWS::EC2::VPCEndpoint")
            .prop("VpcId", Expr::r#ref("Vpc"))
            .prop("VpcEndpointType", "Interface")
            .prop("ServiceName", Expr::sub("com.amazonaws.${AWS::Region}.secretsmanager"))
            .prop("PrivateDnsEnabled", true)
            .prop("SubnetIds", Expr::list([Expr::r#ref("PrivateSubnetA"), Expr::r#ref("PrivateSubnetB")]))
            .prop("SecurityGroupIds", Expr::list([Expr::get_att("EndpointSecurityGroup", "GroupId")])),
    );
    t.output("VpcId", cx.exported("network", "VpcId", "the VPC", Expr::r#ref("Vpc")));
    t.output(
        "PrivateSubnetIds",
        cx.exported(
            "network",
            "PrivateSubnetIds",
            "the private subnets, comma-separated",
            Expr::join(",", [Expr::r#ref("PrivateSubnetA"), Expr::r#ref("PrivateSubnetB")]),
        ),
    );
    t.output(
        "AppSecurityGroupId",
        cx.exported(
            "network",
            "AppSecurityGroupId",
            "the backend's security group",
            Expr::get_att("AppSecurityGroup", "GroupId"),
        ),
    );
    t.output(
        "DbSecurityGroupId",
        cx.exported(
            "network",
            "DbSecurityGroupId",
            "the database's security group",
            Expr::get_att("DbSecurityGroup", "GroupId"),
        ),
    );
    Stack::new("network", t)
}
