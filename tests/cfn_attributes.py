"""Prints src/cfn/attributes.json: the `Fn::GetAtt` attributes of each CloudFormation resource type that its
schema's `readOnlyProperties` does not list, as cfn-lint works them out from the same published schemas.

Run with the cfn-lint that `bash tests/run.sh` installs into target/py (pinned in
tests/python-requirements.txt, the version src/cfn/resource-types.json came from):

    target/py/bin/python tests/cfn_attributes.py > src/cfn/attributes.json

CloudFormation's `Fn::GetAtt` reads more than a schema's read-only properties for some types: every
property of about sixty older types (an `AWS::EC2::VPC`'s `CidrBlock`, an `AWS::SQS::Queue`'s
`QueueName`), a few names of others, and any `Outputs.NAME` of a nested stack. cfn-lint keeps that list
(`cfnlint.schema._getatts`); this writes the part of it `readOnly` lacks, so that `slipway check` refuses
exactly the attributes no published fact allows. tests/resource_data.rs checks the committed file against
this script's output.
"""

import json
import sys
from importlib.metadata import version

from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

REGION = "us-east-1"


def attributes():
    found = {}
    for kind in sorted(PROVIDER_SCHEMA_MANAGER.get_resource_types(REGION)):
        if kind.startswith("AWS::Serverless::"):
            # The SAM transform's types, which the transform turns into others: no CloudFormation resource type.
            continue
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, kind)
        read_only = {p.split("/", 2)[2].replace("/", ".") for p in schema.schema.get("readOnlyProperties", [])}
        extra = set()
        for name in schema.get_atts.keys():
            # cfn-lint writes a pattern as a regular expression ending in `.*`: a nested stack's `Outputs\..*`,
            # a custom resource's `.*`. Written here with `*` for any name: `Outputs.*`, `*`.
            if "\\" in name or name == ".*":
                name = name.replace("\\.", ".").removesuffix(".*") + "*"
            if name not in read_only:
                extra.add(name)
        if extra:
            found[kind] = sorted(extra)
    return found


if __name__ == "__main__":
    data = {
        "source": f"cfn-lint {version('cfn-lint')} (cfnlint.schema._getatts), resource provider schemas for {REGION}",
        "attributes": attributes(),
    }
    sys.stdout.write(json.dumps(data, indent=0, sort_keys=True) + "\n")
