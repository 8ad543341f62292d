"""moto's server, made faithful to AWS CloudFormation where slipway's tests depend on it.

The test harness (tests/moto.rs) runs this file with target/py/bin/python and moto_server's own arguments
(`-H 127.0.0.1 -p PORT`). It imports moto 5.2.5 (pinned in tests/python-requirements.txt), applies the
narrow patches below, then hands over to moto's own server entry point. Each patch makes moto do what
CloudFormation documents; tests/README.md lists every difference, what moto does, what CloudFormation does
and how it is fixed here. The patches are general (no template, stack or resource name of slipway's appears
here) and refuse to run on another moto version, whose internals they were written against.

Nothing here makes moto deploy anything it did not before: resources moto cannot model are recorded with a
physical ID and attributes, never created in another backend.
"""

import ipaddress
import re
import sys
import threading
import uuid
from importlib.metadata import version


MOTO_VERSION = "5.2.5"
if version("moto") != MOTO_VERSION:
    sys.exit(
        f"tests/moto/server.py patches moto {MOTO_VERSION} but found moto {version('moto')}; "
        "run `bash tests/run.sh` to install the pinned version, or update the patches and tests/README.md"
    )

from moto.cloudformation import models, parsing, responses  # noqa: E402
from moto.cloudformation.exceptions import ValidationError  # noqa: E402
from moto.cloudformation.models import CloudFormationBackend, Event, Stack  # noqa: E402
from moto.core.exceptions import ServiceException  # noqa: E402
from moto.ec2.models import ec2_backends  # noqa: E402
from moto.server import main  # noqa: E402
from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER  # noqa: E402  (cfn-lint: moto's own dependency)

# --- Template functions ---------------------------------------------------------------------------------


def fn_cidr(args):
    """`Fn::Cidr [ipBlock, count, cidrBits]`: `count` consecutive blocks of `cidrBits` host bits each."""
    block, count, bits = args
    network = ipaddress.ip_network(block, strict=False)
    count, bits = int(count), int(bits)
    prefix = network.max_prefixlen - bits
    if not 1 <= count <= 256 or prefix < network.prefixlen:
        raise ValidationError(message=f"Template error: Fn::Cidr cannot make {count} /{prefix} blocks of {block}")
    blocks = []
    for subnet in network.subnets(new_prefix=prefix):
        blocks.append(str(subnet))
        if len(blocks) == count:
            return blocks
    raise ValidationError(message=f"Template error: {block} holds fewer than {count} /{prefix} blocks")


original_clean_json = parsing.clean_json


def clean_json(resource_json, resources_map):
    """moto's intrinsic functions, plus `Fn::Cidr`, and `Fn::Select` that fails as CloudFormation does.

    moto passes `Fn::Cidr` through unevaluated, so `Fn::Select [0, Fn::Cidr [...]]` indexed a dict (a 500
    answer). moto's own recursion looks `clean_json` up in its module, so nested functions come here too.
    """
    if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
        return fn_cidr([clean_json(a, resources_map) for a in resource_json["Fn::Cidr"]])
    if isinstance(resource_json, dict) and "Fn::Select" in resource_json:
        index, values = resource_json["Fn::Select"]
        index = int(clean_json(index, resources_map))
        values = clean_json(values, resources_map)
        if not isinstance(values, list):
            raise ValidationError(message=f"Template error: Fn::Select needs a list of values, not {values!r}")
        if not 0 <= index < len(values):
            raise ValidationError(
                message=f"Template error: Fn::Select cannot select nonexistent value at index {index}"
            )
        return values[index]
    return original_clean_json(resource_json, resources_map)


parsing.clean_json = clean_json


# --- Resource types moto does not model -----------------------------------------------------------------


class UnmodelledResource:
    """A resource of a type moto's CloudFormation does not implement (moto skips such resources, so a
    `Ref` to one vanished from the properties that used it and an `Fn::GetAtt` of one failed the stack).

    CloudFormation creates it; here it only gets what other resources and outputs can read: a physical ID
    in CloudFormation's default form `<stack>-<LogicalId>-<RANDOM>` for `Ref`, and for `Fn::GetAtt` an ARN
    (`Arn`, `*Arn`) or `<physical ID>.<Attribute>`. Attribute names are not checked against the type.
    """

    def __init__(self, physical_id, resource_type, properties, region_name, account_id):
        self.physical_resource_id = physical_id
        self.cf_resource_type = resource_type
        self.properties = properties
        self.region_name = region_name
        self.account_id = account_id

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return cls(
            resource_name,
            kwargs.get("ResourceType") or cloudformation_json["Type"],
            cloudformation_json.get("Properties", {}),
            region_name,
            account_id,
        )

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        original_resource.properties = cloudformation_json.get("Properties", {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass

    def delete(self, account_id, region_name):
        pass

    def is_created(self):
        return True

    def get_cfn_attribute(self, attribute_name):
        if attribute_name.endswith("Arn"):
            service = self.cf_resource_type.split("::")[1].lower()
            kind = self.cf_resource_type.split("::")[2].lower()
            return f"arn:aws:{service}:{self.region_name}:{self.account_id}:{kind}/{self.physical_resource_id}"
        return f"{self.physical_resource_id}.{attribute_name}"


original_resource_class_from_type = parsing.resource_class_from_type


def resource_class_from_type(resource_type):
    if resource_type in MODELLED_HERE:
        return MODELLED_HERE[resource_type]
    resource_class = original_resource_class_from_type(resource_type)
    if resource_class is None and resource_type.startswith("AWS::") and resource_type not in parsing.NULL_MODELS:
        return UnmodelledResource
    return resource_class


parsing.resource_class_from_type = resource_class_from_type


# --- Resource types moto models through another service's API -----------------------------------------

from moto.kms import models as kms_models  # noqa: E402

original_kms_key_create = kms_models.Key.create_from_cloudformation_json.__func__


def kms_key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """`AWS::KMS::Key` with `Tags`: CloudFormation writes tags as `{Key, Value}`, and moto handed them as they
    were to KMS's CreateKey, which reads `{TagKey, TagValue}`, so a tagged key failed (`KeyError: 'TagKey'`)."""
    properties = cloudformation_json.get("Properties", {})
    tags = properties.get("Tags")
    if isinstance(tags, list):
        properties = dict(properties)
        properties["Tags"] = [
            {"TagKey": t.get("Key", t.get("TagKey")), "TagValue": t.get("Value", t.get("TagValue"))} for t in tags
        ]
        cloudformation_json = dict(cloudformation_json, Properties=properties)
    return original_kms_key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


kms_models.Key.create_from_cloudformation_json = classmethod(kms_key_create)


from moto.s3 import models as s3_models  # noqa: E402

original_bucket_create = s3_models.FakeBucket.create_from_cloudformation_json.__func__


def s3_backend(account_id, region_name):
    return s3_models.s3_backends[account_id]["aws-us-gov" if region_name.startswith("us-gov-") else "aws"]


def bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """`AWS::S3::Bucket` with `VersioningConfiguration` or `PublicAccessBlockConfiguration`: moto's
    CloudFormation path applied only `BucketEncryption` and `Tags`, so such a bucket was neither versioned
    nor blocked from public access. They are applied through moto's own S3 calls, as S3's PutBucketVersioning
    and PutPublicAccessBlock would."""
    bucket = original_bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    properties = cloudformation_json.get("Properties", {})
    backend = s3_backend(account_id, region_name)
    status = (properties.get("VersioningConfiguration") or {}).get("Status")
    if status:
        backend.put_bucket_versioning(bucket.name, status)
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(bucket.name, block)
    return bucket


s3_models.FakeBucket.create_from_cloudformation_json = classmethod(bucket_create)


class BucketPolicy:
    """`AWS::S3::BucketPolicy`, which moto's CloudFormation does not implement (it was an
    `UnmodelledResource`, so no policy reached the bucket): the policy document is put on the bucket through
    moto's own S3 PutBucketPolicy, replaced on update and deleted with the resource. Its physical ID is the
    bucket's name. moto's S3 evaluates bucket policies only in part (statements whose principal is `*`)."""

    def __init__(self, bucket, account_id, region_name):
        self.physical_resource_id = bucket
        self.bucket = bucket
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def put(properties, account_id, region_name):
        import json

        bucket = properties["Bucket"]
        document = json.dumps(properties["PolicyDocument"]).encode()
        s3_backend(account_id, region_name).put_bucket_policy(bucket, document)
        return bucket

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = cls.put(cloudformation_json.get("Properties", {}), account_id, region_name)
        return cls(bucket, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        bucket = cls.put(cloudformation_json.get("Properties", {}), account_id, region_name)
        if bucket != original_resource.bucket:
            original_resource.delete(account_id, region_name)
        return cls(bucket, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        bucket = cloudformation_json.get("Properties", {}).get("Bucket", resource_name)
        cls(bucket, account_id, region_name).delete(account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            s3_backend(account_id, region_name).delete_bucket_policy(self.bucket)
        except Exception:
            pass  # the bucket is gone already (a retained bucket's policy goes with the stack)

    def is_created(self):
        return True


MODELLED_HERE = {"AWS::S3::BucketPolicy": BucketPolicy}


def tls_only(statement):
    """Whether `statement` is the usual TLS-only guard: a Deny whose one condition is `Bool
    aws:SecureTransport false`."""
    condition = statement.get("Condition") or {}
    return statement.get("Effect") == "Deny" and condition == {"Bool": {"aws:SecureTransport": "false"}}


def get_permission(self, action, resource):
    """A bucket policy as S3 evaluates it for a request made over TLS. moto's S3 treats a condition on a
    key the request does not carry as met (and ignores `Bool`), so a TLS-only guard refused every request to
    its bucket; the tests' endpoint is plain HTTP on loopback standing in for AWS's HTTPS one, so that
    guard does not apply. Every other statement is evaluated as moto does."""
    import json

    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [s for s in statements if not tls_only(s)]
    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(dict(document, Statement=kept))).is_action_permitted(action, resource)


s3_models.FakeBucket.get_permission = get_permission


from moto.iam import models as iam_models  # noqa: E402

original_role_create = iam_models.Role.create_from_cloudformation_json.__func__
original_role_update = iam_models.Role.update_from_cloudformation_json.__func__


def iam_backend(account_id, region_name):
    return iam_models.iam_backends[account_id]["aws-us-gov" if region_name.startswith("us-gov-") else "aws"]


def managed_policy_arn(backend, arn):
    """`arn`, made known to `backend` first when it is an AWS managed policy: moto loads AWS's managed
    policies only when told to (`MOTO_IAM_LOAD_MANAGED_POLICIES`, a thousand of them per account), so the one
    a role names is loaded from moto's own copy of them, alone."""
    import json

    match = re.match(r"^arn:aws[\w-]*:iam::aws:policy/(?:.*/)?([^/]+)$", arn)
    if match and arn not in {p.arn for p in backend.managed_policies.values()}:
        data = json.loads(iam_models.aws_managed_policies_data).get(match.group(1))
        if data is not None:
            policy = iam_models.AWSManagedPolicy.from_data(match.group(1), backend.account_id, "us-east-1", data)
            backend.managed_policies[policy.arn] = policy
    return arn


def set_managed_policies(role, properties, account_id, region_name):
    backend = iam_backend(account_id, region_name)
    wanted = [managed_policy_arn(backend, arn) for arn in properties.get("ManagedPolicyArns") or []]
    for arn in list(role.managed_policies):
        if arn not in wanted:
            backend.detach_role_policy(arn, role.name)
    for arn in wanted:
        if arn not in role.managed_policies:
            backend.attach_role_policy(arn, role.name)


def role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """`AWS::IAM::Role` with `ManagedPolicyArns`: moto's CloudFormation path ignored them on create and on
    update, so no role made by a stack had a managed policy. They are attached (and on update, those no
    longer named detached; on delete, all of them) through moto's own IAM calls, as CloudFormation does."""
    role = original_role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    set_managed_policies(role, cloudformation_json.get("Properties", {}), account_id, region_name)
    return role


def role_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    role = original_role_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    set_managed_policies(role, cloudformation_json.get("Properties", {}), account_id, region_name)
    return role


original_role_delete = iam_models.Role.delete_from_cloudformation_json.__func__


def role_delete(cls, resource_name, cloudformation_json, account_id, region_name):
    """Deleting such a role detaches its managed policies first, as CloudFormation does (moto's IAM refuses
    to delete a role with policies attached)."""
    backend = iam_backend(account_id, region_name)
    for role in list(backend.roles.values()):
        if role.name == resource_name:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role.name)
    return original_role_delete(cls, resource_name, cloudformation_json, account_id, region_name)


iam_models.Role.create_from_cloudformation_json = classmethod(role_create)
iam_models.Role.update_from_cloudformation_json = classmethod(role_update)
iam_models.Role.delete_from_cloudformation_json = classmethod(role_delete)


from moto.ecr import models as ecr_models  # noqa: E402

original_repository_create = ecr_models.Repository.create_from_cloudformation_json.__func__


def repository_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """`AWS::ECR::Repository` with `ImageScanningConfiguration` or `EncryptionConfiguration`: moto's
    CloudFormation path handed CloudFormation's keys (`ScanOnPush`, `EncryptionType`) to ECR as they were,
    where ECR's own API reads `scanOnPush` and `encryptionType`, so DescribeRepositories answered
    `{"ScanOnPush": true}` and no `scanOnPush`. The keys are renamed as ECR's API writes them."""
    properties = dict(cloudformation_json.get("Properties", {}))
    for name in ("ImageScanningConfiguration", "EncryptionConfiguration"):
        if isinstance(properties.get(name), dict):
            properties[name] = {k[:1].lower() + k[1:]: v for k, v in properties[name].items()}
    cloudformation_json = dict(cloudformation_json, Properties=properties)
    return original_repository_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


ecr_models.Repository.create_from_cloudformation_json = classmethod(repository_create)


from moto.rds import models as rds_models  # noqa: E402

original_db_instance_create = rds_models.DBInstance.create_from_cloudformation_json.__func__
original_db_instance_has_attr = rds_models.DBInstance.has_cfn_attr.__func__
original_db_instance_attribute = rds_models.DBInstance.get_cfn_attribute


def db_instance_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """`AWS::RDS::DBInstance` with `ManageMasterUserPassword: true`: moto's CloudFormation path dropped the
    property, so no secret was made, and `Fn::GetAtt [Db, MasterUserSecret.SecretArn]` failed the stack
    (`does not support attribute type`). RDS makes the secret through Secrets Manager, as moto's own
    CreateDBInstance does when asked."""
    database = original_db_instance_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    properties = cloudformation_json.get("Properties", {})
    if str(properties.get("ManageMasterUserPassword", "false")).lower() == "true":
        kms_key_id = (properties.get("MasterUserSecret") or {}).get("KmsKeyId")
        database.manage_master_user_password = True
        database.master_user_secret = rds_models.MasterUserSecret(database, kms_key_id)
    return database


def db_instance_has_attr(cls, attr):
    return attr in ("MasterUserSecret.SecretArn", "Endpoint.Address", "Endpoint.Port") or original_db_instance_has_attr(
        cls, attr
    )


def db_instance_attribute(self, attribute_name):
    if attribute_name == "MasterUserSecret.SecretArn" and getattr(self, "master_user_secret", None) is not None:
        return self.master_user_secret.secret_arn
    return original_db_instance_attribute(self, attribute_name)


rds_models.DBInstance.create_from_cloudformation_json = classmethod(db_instance_create)
rds_models.DBInstance.has_cfn_attr = classmethod(db_instance_has_attr)
rds_models.DBInstance.get_cfn_attribute = db_instance_attribute


# --- The order of resources within a stack --------------------------------------------------------------


def references(node):
    """Logical IDs `node` refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub` (with or without a variable map)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
                found.update(references(value[1] if isinstance(value, list) and len(value) > 1 else None))
            else:
                found.update(references(value))
    elif isinstance(node, list):
        for item in node:
            found.update(references(item))
    return found


def dependency_order(resources):
    """The logical IDs of `resources` (a template's Resources) so that each comes after everything it refers
    to or names in `DependsOn`: the order CloudFormation creates in, and the reverse of the order it deletes in.
    """
    needs = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else list(depends_on)
        found = references({k: v for k, v in resource.items() if k != "DependsOn"}) | set(depends_on)
        needs[logical_id] = {d for d in found if d in resources and d != logical_id}
    order, done = [], set()
    while len(order) < len(resources):
        ready = [r for r in resources if r not in done and needs[r] <= done]
        if not ready:  # a cycle, which CloudFormation refuses; keep the template's order for the rest
            ready = [r for r in resources if r not in done]
        for r in ready:
            order.append(r)
            done.add(r)
    return order


def delete_resources(self):
    """Deletes the stack's resources in reverse dependency order and stops at the first that fails, as
    CloudFormation does (moto tried them in set order, retrying while some succeeded). `DeletionPolicy:
    Retain` keeps a resource.
    """
    for logical_id in reversed(dependency_order(self._resource_json_map)):
        resource_json = self._resource_json_map[logical_id]
        if resource_json.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
            continue
        self.deleted = getattr(self, "deleted", set()) | {logical_id}
        parsed = self._parsed_resources.get(logical_id)
        if parsed is None or isinstance(parsed, str):
            continue
        try:
            deleter = DELETERS.get(resource_json["Type"])
            if deleter:
                deleter(ec2_backends[self._account_id][self._region_name], parsed)
            else:
                self._delete_resource(parsed, resource_json)
        except Exception as e:
            raise blame(e, logical_id, resource_json["Type"])
        self._parsed_resources.pop(logical_id)


parsing.ResourceMap.delete = delete_resources

original_getitem = parsing.ResourceMap.__getitem__


def getitem(self, key):
    """moto creates a resource whenever something reads one it has not created (the map is lazy), so reading
    a half-deleted stack (its outputs, its resources) made deleted resources again. A deleted one stays so."""
    if key in getattr(self, "deleted", ()) and key not in self._parsed_resources:
        return None
    return original_getitem(self, key)


parsing.ResourceMap.__getitem__ = getitem
# Resources that do not exist (deleted, or never created) are not the stack's: moto listed them as blanks.
Stack.stack_resources = property(lambda self: [r for r in self.resource_map.values() if r is not None])

# Types moto creates through CloudFormation but never deletes (their `delete_from_cloudformation_json` is
# moto's abstract stub), where the leftover blocks deleting what they belong to: a route table left in a VPC
# made deleting the VPC fail with DependencyViolation. They are deleted through moto's EC2 backend.
DELETERS = {
    "AWS::EC2::RouteTable": lambda ec2, table: ec2.delete_route_table(table.id),
    "AWS::EC2::SubnetRouteTableAssociation": lambda ec2, assoc: ec2.subnet_associations.pop(
        f"{assoc.route_table_id}:{assoc.subnet_id}", None
    ),
    "AWS::EC2::VPCEndpoint": lambda ec2, endpoint: ec2.delete_vpc_endpoints([endpoint.id]),
}


def blame(e, logical_id, resource_type):
    """Notes on exception `e` which resource it came from (the innermost, when creating one needed another)."""
    if not hasattr(e, "cfn_logical_id"):
        e.cfn_logical_id, e.cfn_resource_type = logical_id, resource_type
    return e


def culprit(e, stack):
    """The logical ID, type and reason of the resource whose failure `e` is."""
    reason = getattr(e, "message", None) or str(e) or type(e).__name__
    return (
        getattr(e, "cfn_logical_id", stack.name),
        getattr(e, "cfn_resource_type", "AWS::CloudFormation::Stack"),
        reason,
    )


# --- Failures of the services themselves ------------------------------------------------------------------

# Limits a service enforces when CloudFormation's resource handler calls it, beyond what the resource's schema
# allows (so CloudFormation's checks at change-set creation let them through): (type, property) -> (maximum,
# service). A Lambda function's schema allows 32,768 MB (functions on capacity providers); the Lambda API
# refuses more than 10,240 MB for any other function.
SERVICE_MAXIMUMS = {
    ("AWS::Lambda::Function", "MemorySize"): (10240, "Lambda"),
}


class HandlerError(ServiceException):
    """A resource handler's failure, worded as CloudFormation reports one in the resource's event."""

    code = "InvalidRequest"


def refuse_out_of_service_limits(resource_json):
    """Fails a resource whose literal property values a service refuses (moto's backends accept them), with the
    reason CloudFormation gives: `Resource handler returned message: "..." (RequestToken: ..., HandlerErrorCode:
    InvalidRequest)`."""
    properties = resource_json.get("Properties") or {}
    for (resource_type, name), (maximum, service) in SERVICE_MAXIMUMS.items():
        value = properties.get(name)
        if resource_json.get("Type") != resource_type or isinstance(value, (dict, list, bool)) or value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if number > maximum:
            raise HandlerError(
                f"Resource handler returned message: \"'{name}' value failed to satisfy constraint: Member must "
                f"have value less than or equal to {maximum} (Service: {service}, Status Code: 400, Request ID: "
                f"{uuid.uuid4()})\" (RequestToken: {uuid.uuid4()}, HandlerErrorCode: InvalidRequest)"
            )


def refuse_missing_function_code(properties, account_id, region_name):
    """Fails a function whose code is not in S3 as Lambda does when CloudFormation creates or updates it (moto
    makes the function with no code): `Error occurred while GetObject. S3 Error Code: NoSuchKey` (or
    `NoSuchBucket`), as the resource's reason."""
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    code = properties.get("Code") or {}
    if "S3Bucket" not in code or "S3Key" not in code:
        return
    try:
        missing = "NoSuchKey", "The specified key does not exist."
        found = s3_backends[account_id][get_partition(region_name)].get_object(code["S3Bucket"], code["S3Key"])
    except MissingBucket:
        missing, found = ("NoSuchBucket", "The specified bucket does not exist"), None
    if found is None:
        raise HandlerError(
            f'Resource handler returned message: "Error occurred while GetObject. S3 Error Code: {missing[0]}. S3 '
            f"Error Message: {missing[1]} (Service: Lambda, Status Code: 400, Request ID: {uuid.uuid4()})\" "
            f"(RequestToken: {uuid.uuid4()}, HandlerErrorCode: InvalidRequest)"
        )


def lambda_code_checked():
    from moto.awslambda.models import LambdaFunction

    create, update = LambdaFunction.create_from_cloudformation_json, LambdaFunction.update_from_cloudformation_json

    def checked_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        refuse_missing_function_code(cloudformation_json["Properties"], account_id, region_name)
        return create.__func__(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    def checked_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        refuse_missing_function_code(cloudformation_json["Properties"], account_id, region_name)
        return update.__func__(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    LambdaFunction.create_from_cloudformation_json = classmethod(checked_create)
    LambdaFunction.update_from_cloudformation_json = classmethod(checked_update)


lambda_code_checked()


def blaming(f):
    """Wraps moto's `parse_and_create_resource` / `parse_and_update_resource` to blame failures on the resource,
    after the checks of the services moto's backends lack."""

    def wrapper(logical_id, resource_json, *args, **kwargs):
        try:
            refuse_out_of_service_limits(resource_json)
            return f(logical_id, resource_json, *args, **kwargs)
        except Exception as e:
            raise blame(e, logical_id, resource_json.get("Type", "?"))

    return wrapper


parsing.parse_and_create_resource = blaming(parsing.parse_and_create_resource)
parsing.parse_and_update_resource = blaming(parsing.parse_and_update_resource)


# --- Events ---------------------------------------------------------------------------------------------


def resource_event(stack, logical_id, resource_type, status, reason=None, physical_id=""):
    """A resource's event, as CloudFormation records one for each resource it creates, updates or deletes."""
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def stack_event(stack, status, reason=None):
    stack._add_stack_event(status, resource_status_reason=reason)
    stack.status = status
    stack.status_reason = reason


# --- Exports and imports --------------------------------------------------------------------------------


def imported_names(stack):
    """The export names `stack`'s template imports with `Fn::ImportValue`."""
    names = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::ImportValue":
                    try:
                        names.add(clean_json(value, stack.resource_map))
                    except Exception:
                        pass
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(getattr(stack, "template_dict", {}) or {})
    return names


def importers(backend, export_name, exporter):
    """The stacks other than `exporter` whose resources import `export_name`."""
    holding = ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_COMPLETE")
    return [
        s.name
        for s in backend.stacks.values()
        if s is not exporter and s.status not in holding and export_name in imported_names(s)
    ]


def exports_of(backend, stack):
    return [e for e in backend.exports.values() if e.exporting_stack_id == stack.stack_id]


original_exports = Stack.exports.fget


def exports(self):
    """The exports registered when the stack was created or last updated. moto worked them out again on each
    DescribeStacks, from resources that may since have been deleted."""
    registered = getattr(self, "registered_exports", None)
    return registered if registered is not None else original_exports(self)


Stack.exports = property(exports)


def settle_outputs(stack):
    """Works out `stack`'s outputs and exports now, while every resource they read exists, and keeps them
    (moto's outputs are lazy: read after a resource was deleted, they made it again or failed)."""
    new = original_exports(stack)
    _ = list(stack.output_map.values())
    return new


original_create_stack = CloudFormationBackend.create_stack


def create_stack(self, *args, **kwargs):
    stack = original_create_stack(self, *args, **kwargs)
    stack.registered_exports = settle_outputs(stack)
    return stack


CloudFormationBackend.create_stack = create_stack


def register_exports(backend, stack, new):
    """Replaces `stack`'s exports in the region's registry by `new`, refusing a name another stack exports."""
    for export in new:
        holder = backend.exports.get(export.name)
        if holder is not None and holder.exporting_stack_id != stack.stack_id:
            raise ValidationError(
                message=f"Export with name {export.name} is already exported by stack "
                f"{holder.exporting_stack_id.split('/')[1]}. Rollback requested by user."
            )
    for export in exports_of(backend, stack):
        del backend.exports[export.name]
    for export in new:
        backend.exports[export.name] = export
    stack.registered_exports = new


def refuse_changed_exports_in_use(backend, stack, new_exports):
    """CloudFormation changes no export another stack imports: an update that would give one a new value (a
    replaced resource's new ID, say) fails, and the stack rolls back. moto refused only dropping one."""
    values = {e.name: e.value for e in new_exports}
    for export in exports_of(backend, stack):
        users = importers(backend, export.name, stack)
        if users and export.name in values and values[export.name] != export.value:
            raise ValidationError(message=f"Cannot update export {export.name} as it is in use by {', '.join(users)}.")


def declared_export_names(stack, template_dict, parameters):
    """The export names `template_dict` would declare for `stack` with `parameters` (export names may only
    use parameters, pseudo parameters and mappings, so no resource is needed to work them out)."""
    resource_map = parsing.ResourceMap(
        stack.stack_id,
        stack.name,
        parameters,
        stack.tags,
        region_name=stack.region_name,
        account_id=stack.account_id,
        template=template_dict,
        cross_stack_resources={},
    )
    resource_map.load()
    outputs = template_dict.get("Outputs") or {}
    exported = [o for o in outputs.values() if isinstance(o, dict) and o.get("Export")]
    return {clean_json(o["Export"]["Name"], resource_map) for o in exported}


# --- Stack tags ------------------------------------------------------------------------------------------


def schema_of(resource_type, region):
    """The resource type's published provider schema (as cfn-lint, moto's own dependency, bundles it), or None."""
    try:
        return PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except Exception:
        return None


def tag_propagation(resource_type, region):
    """How a change of the stack's tags reaches a resource of this type: None (not taggable), "update" or
    "replace" (its tags are create-only: `tagUpdatable: false`, or the tag property in `createOnlyProperties`)."""
    schema = schema_of(resource_type, region)
    if schema is None:
        return None
    tagging = schema.get("tagging")
    if tagging is None:
        taggable, prop, updatable = "Tags" in schema.get("properties", {}), "/properties/Tags", True
    else:
        taggable = tagging.get("taggable", True)
        prop, updatable = tagging.get("tagProperty", "/properties/Tags"), tagging.get("tagUpdatable", True)
    if not taggable:
        return None
    return "replace" if not updatable or prop in schema.get("createOnlyProperties", []) else "update"


def custom_name(resource_json, region):
    """The name the template gives a resource (a create-only property that identifies it or ends in `Name`,
    such as an `AWS::EC2::KeyPair`'s `KeyName`), which CloudFormation cannot keep through a replacement."""
    schema = schema_of(resource_json.get("Type", ""), region) or {}
    create_only = [p.split("/")[-1] for p in schema.get("createOnlyProperties", []) if p.count("/") == 2]
    identifiers = [p.split("/")[-1] for p in schema.get("primaryIdentifier", [])]
    properties = resource_json.get("Properties") or {}
    for name in create_only:
        if (name in identifiers or name.endswith("Name")) and isinstance(properties.get(name), str):
            return properties[name]
    return None


def retagged(change_set):
    """The resources a change of the stack's tags updates, as {logical ID: "update" | "replace"}: every taggable
    resource the stack keeps, since CloudFormation applies all of the stack's tags to each resource when any one
    changes (and replaces those whose tags are create-only). Empty when the tags do not change."""
    stack = change_set.stack
    if change_set.change_set_type != "UPDATE" or not change_set.tags or dict(change_set.tags) == dict(stack.tags or {}):
        return {}
    before = stack.resource_map._resource_json_map
    found = {}
    for logical_id, resource in (change_set.template_dict.get("Resources") or {}).items():
        if logical_id in before and isinstance(resource, dict):
            how = tag_propagation(resource.get("Type", ""), stack.region_name)
            if how:
                found[logical_id] = how
    return found


def tag_detail(how):
    return {
        "Target": {"Attribute": "Tags", "RequiresRecreation": "Always" if how == "replace" else "Never"},
        "Evaluation": "Static",
        "ChangeSource": "DirectModification",
    }


def replace_retagged(stack, retag):
    """Executes the replacements a tag change makes (`retag`, from `retagged` before the change set was
    applied): each resource whose tags are create-only is created anew (a new physical ID) and the old one
    deleted, as CloudFormation does, unless the template names it, which a replacement cannot keep (the update
    fails). moto keeps no tags of its own to update in place for the others."""
    resource_map = stack.resource_map
    for logical_id, how in retag.items():
        if how != "replace":
            continue
        resource_json = resource_map._resource_json_map[logical_id]
        name = custom_name(resource_json, stack.region_name)
        if name is not None:
            raise blame(
                ValidationError(
                    message=f"CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                    f"Rename {name} and update the stack again."
                ),
                logical_id,
                resource_json["Type"],
            )
        old = resource_map._parsed_resources.get(logical_id)
        resource_map._parsed_resources[logical_id] = parsing.parse_and_create_resource(
            logical_id, resource_json, resource_map, stack.account_id, stack.region_name
        )
        if old is not None and not isinstance(old, str):
            resource_map._delete_resource(old, resource_json)


# --- Change sets ----------------------------------------------------------------------------------------


def validate_different_update(self, incoming_params, stack_body, old_stack):
    """UpdateStack refuses a request with no changes at once ("No updates are to be performed."); CreateChangeSet
    does not: it makes a change set that ends FAILED ("The submitted information didn't contain changes."),
    which moto's backend already does. moto raised the UpdateStack error for change sets too."""
    if self._get_action() == "CreateChangeSet":
        return
    return original_validate_different_update(self, incoming_params, stack_body, old_stack)


original_validate_different_update = responses.CloudFormationResponse._validate_different_update
responses.CloudFormationResponse._validate_different_update = validate_different_update


original_diff = models.ChangeSet.diff

original_create_change_set = CloudFormationBackend.create_change_set


def create_change_set(self, *args, **kwargs):
    """A change set whose template and parameters are the stack's but whose tags are not is a change (every
    taggable resource is updated); moto failed it as empty ("didn't contain changes")."""
    change_set_id, stack_id = original_create_change_set(self, *args, **kwargs)
    change_set = self.change_sets[change_set_id]
    tags_change = change_set.tags and dict(change_set.tags) != dict(change_set.stack.tags or {})
    if change_set.status == "FAILED" and change_set.change_set_type == "UPDATE" and tags_change:
        change_set.status, change_set.execution_status, change_set.status_reason = "CREATE_COMPLETE", "AVAILABLE", None
    return change_set_id, stack_id


CloudFormationBackend.create_change_set = create_change_set


def diff(self):
    """A change set's resource changes, including the resources whose template is unchanged but which use a
    parameter whose value changes (CloudFormation lists them as `Modify`; moto listed none, so a release that
    only changed a parameter showed an empty change set that still updated the stack)."""
    changes = original_diff(self)
    if self.change_set_type != "UPDATE":
        return changes
    # A change of the stack's tags updates every taggable resource, and replaces those whose tags are
    # create-only (moto listed none, and found the change set empty).
    # A resource the template also changes keeps moto's (absent) verdict unless its tags replace it: moto works
    # out no replacement for a change of properties.
    for logical_id, how in retagged(self).items():
        change = next((c for c in changes if c.logical_resource_id == logical_id), None)
        if change is None:
            resource_type = self.template_dict["Resources"][logical_id]["Type"]
            change = models.Change("Modify", logical_id, resource_type)
            change.replacement = "False"
            changes.append(change)
        change.scope = sorted(set(getattr(change, "scope", None) or []) | {"Tags"})
        change.details = (getattr(change, "details", None) or []) + [tag_detail(how)]
        if how == "replace":
            change.replacement = "True"
    old, new = self.stack.parameters, self.parameters
    changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
    listed = {c.logical_resource_id for c in changes}
    before = self.stack.resource_map._resource_json_map
    for logical_id, resource in (self.template_dict.get("Resources") or {}).items():
        if logical_id not in listed and logical_id in before and references(resource) & changed:
            changes.append(models.Change("Modify", logical_id, resource["Type"]))
    return changes


models.ChangeSet.diff = diff


class InvalidChangeSetStatus(ServiceException):
    code = "InvalidChangeSetStatus"


def execute_change_set(self, change_set_name, stack_name=None):
    """Executes a change set as CloudFormation does.

    - The stack afterwards is what its new template says: its outputs, its exports in the region's registry
      (checked for uniqueness), its parameters, description and tags (moto kept the empty or previous ones:
      a stack made by a change set had no outputs and exported nothing).
    - Resources are created in dependency order, `DependsOn` included.
    - An update that would remove an export another stack imports, or change its value, fails and rolls back.
    - A failing resource does not fail the API call (moto answered 400 or 500 with the stack half made, and
      an SDK retry then "succeeded" with what was left): the stack ends ROLLBACK_COMPLETE (a create, whose
      resources are deleted again) or UPDATE_ROLLBACK_COMPLETE (an update, whose previous template is applied
      again), with the failed resource's event and reason.
    - Only a change set whose execution status is AVAILABLE can be executed.
    """
    change_set = self.describe_change_set(change_set_name)
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
            f"[{change_set.execution_status}]"
        )
    stack = self.stacks[change_set.stack_id]
    create = change_set.change_set_type == "CREATE"
    verb = "CREATE" if create else "UPDATE"
    template = change_set.template_dict
    resources = template.get("Resources") or {}
    # moto creates a change set's new resources in the order of the template's Resources.
    template["Resources"] = {k: resources[k] for k in dependency_order(resources)}
    previous = (stack.template, stack.template_dict, dict(stack.parameters), stack.tags, stack.description)
    # moto gave a stack made by a change set no view of the region's exports (CreateStack's stacks have one).
    stack.resource_map.cross_stack_resources = self.exports
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    stack_event(stack, f"{verb}_IN_PROGRESS", "User Initiated")
    try:
        if not create:
            keep = declared_export_names(stack, template, change_set.parameters)
            for export in exports_of(self, stack):
                users = importers(self, export.name, stack)
                if export.name not in keep and users:
                    raise ValidationError(
                        message=f"Cannot delete export {export.name} as it is in use by {', '.join(users)}."
                    )
        stack.template = change_set.template
        retag = retagged(change_set)
        change_set.apply()
        replace_retagged(stack, retag)
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.parameters = dict(change_set.parameters)
        if change_set.tags:
            stack.tags = dict(change_set.tags)
        stack.output_map = stack._create_output_map()
        new_exports = settle_outputs(stack)
        if not create:
            refuse_changed_exports_in_use(self, stack, new_exports)
        register_exports(self, stack, new_exports)
    except Exception as e:
        logical_id, resource_type, why = culprit(e, stack)
        change_set.execution_status = "EXECUTE_FAILED"
        if logical_id != stack.name:
            resource_event(stack, logical_id, resource_type, f"{verb}_FAILED", why)
            why = f"The following resource(s) failed to {verb.lower()}: [{logical_id}]. "
        if create:
            stack.output_map = parsing.OutputMap(stack.resource_map, {}, stack.stack_id)
            stack.registered_exports = []
            stack_event(stack, "ROLLBACK_IN_PROGRESS", why)
            try:
                stack.resource_map.delete()
                stack_event(stack, "ROLLBACK_COMPLETE")
            except Exception as e:
                logical_id, resource_type, why = culprit(e, stack)
                resource_event(stack, logical_id, resource_type, "DELETE_FAILED", why)
                why = f"The following resource(s) failed to delete: [{logical_id}]. "
                stack_event(stack, "ROLLBACK_FAILED", why)
            return
        stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", why)
        stack.template, stack.template_dict, stack.parameters, stack.tags, stack.description = previous
        try:
            stack.resource_map.update(stack.template_dict, stack.parameters)
            stack.output_map = stack._create_output_map()
            settle_outputs(stack)
            stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")
        except Exception as e:
            logical_id, resource_type, why = culprit(e, stack)
            resource_event(stack, logical_id, resource_type, "UPDATE_FAILED", why)
            why = f"The following resource(s) failed to update: [{logical_id}]. "
            stack_event(stack, "UPDATE_ROLLBACK_FAILED", why)
        return
    change_set.execution_status = "EXECUTE_COMPLETE"
    stack_event(stack, f"{verb}_COMPLETE")


CloudFormationBackend.execute_change_set = execute_change_set

original_execute = CloudFormationBackend.execute_change_set


def execute_and_drop_others(self, change_set_name, stack_name=None):
    """After a change set is executed, CloudFormation deletes the stack's other change sets (they no longer
    apply to the stack as it is); moto kept them."""
    change_set = self.describe_change_set(change_set_name)
    result = original_execute(self, change_set_name, stack_name)
    for key, other in list(self.change_sets.items()):
        if other is not change_set and other.stack_id == change_set.stack_id:
            del self.change_sets[key]
    return result


CloudFormationBackend.execute_change_set = execute_and_drop_others


def list_change_sets(self):
    """ListChangeSets lists the change sets of the stack it names; moto listed every change set of the region,
    of every stack (deleted ones included)."""
    backend = self.cloudformation_backend
    name = self._get_param("StackName")
    stack = next((s for s in backend.stacks.values() if name in (s.name, s.stack_id)), None)
    summaries = [c for c in backend.change_sets.values() if stack is not None and c.stack_id == stack.stack_id]
    return responses.ActionResult({"Summaries": summaries})


responses.CloudFormationResponse.list_change_sets = list_change_sets


# --- Deleting a stack -----------------------------------------------------------------------------------


def delete_stack(self, name_or_stack_id):
    """Deletes a stack as CloudFormation does: a stack whose export another stack imports is not deleted
    (DELETE_FAILED, "Export X cannot be deleted as it is in use by Y"; moto deleted it), and a resource
    that cannot be deleted leaves the stack DELETE_FAILED with that resource's event (moto failed the
    DeleteStack call itself). Deleting a stack that does not exist succeeds.
    """
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is None:
        return
    exports = exports_of(self, stack)
    stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
    for export in exports:
        users = importers(self, export.name, stack)
        if users:
            why = f"Export {export.name} cannot be deleted as it is in use by {', '.join(users)}"
            stack_event(stack, "DELETE_FAILED", why)
            return
    try:
        stack.resource_map.delete()
    except Exception as e:
        logical_id, resource_type, why = culprit(e, stack)
        resource_event(stack, logical_id, resource_type, "DELETE_FAILED", why)
        stack_event(stack, "DELETE_FAILED", f"The following resource(s) failed to delete: [{logical_id}]. ")
        return
    stack_event(stack, "DELETE_COMPLETE")
    del self.stacks[stack.stack_id]
    self.deleted_stacks[stack.stack_id] = stack
    for export in exports:
        self.exports.pop(export.name, None)


CloudFormationBackend.delete_stack = delete_stack


# --- Threads --------------------------------------------------------------------------------------------

# moto's server answers each request on a thread of its own and guards none of its state, while slipway
# deploys independent stacks in parallel (and moto evaluates outputs lazily, so even DescribeStacks can
# create resources). CloudFormation requests are answered one at a time.
LOCK = threading.RLock()
original_dispatch = responses.CloudFormationResponse._dispatch


def dispatch(self, *args, **kwargs):
    with LOCK:
        return original_dispatch(self, *args, **kwargs)


responses.CloudFormationResponse._dispatch = dispatch


if __name__ == "__main__":
    main(sys.argv[1:])
