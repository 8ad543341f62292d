"""LocalStack's community core, a second CloudFormation implementation, patched narrowly where slipway's
templates need it.

The test harness (tests/localstack/mod.rs) runs this file with target/py-localstack/bin/python (Python >= 3.12,
pinned in tests/localstack-requirements.txt) and LocalStack's own settings in the environment
(`GATEWAY_LISTEN=127.0.0.1:PORT`, `DNS_ADDRESS=0`, ...). It imports localstack-core 4.14.0, applies the
patches below, then hands over to LocalStack's own runtime entry point (`python -m localstack.runtime.main`).
Each patch makes LocalStack do what CloudFormation documents; tests/README.md lists every difference, what
LocalStack does, what CloudFormation does and how it is fixed here, and tests/localstack/patches.rs shows
each one failing without its patch (`SLIPWAY_LOCALSTACK_UNPATCH=name,...` leaves the named patches out).
The patches are general: nothing in them names a template, stack or resource of this repository.
"""

import ipaddress
import os
import shutil
import sys
import threading
import time
from importlib.metadata import version

LOCALSTACK_VERSION = "4.14.0"
if version("localstack-core") != LOCALSTACK_VERSION:
    sys.exit(
        f"tests/localstack/server.py patches localstack-core {LOCALSTACK_VERSION} but found "
        f"{version('localstack-core')}; run `bash tests/run.sh` to install the pinned version, or update the "
        "patches and tests/README.md"
    )

from localstack.services.cloudformation.engine.validations import ValidationError  # noqa: E402
from localstack.services.cloudformation.engine.v2 import change_set_model  # noqa: E402
from localstack.services.cloudformation.engine.v2.change_set_model import Nothing, is_nothing  # noqa: E402
from localstack.services.cloudformation.engine.v2.change_set_model_describer import (  # noqa: E402
    CHANGESET_KNOWN_AFTER_APPLY,
    ChangeSetModelDescriber,
)
from localstack.services.cloudformation.engine.v2.change_set_model_preproc import (  # noqa: E402
    ChangeSetModelPreproc,
    PreprocEntityDelta,
)
from localstack.services.cloudformation.engine.v2.change_set_model_transform import (  # noqa: E402
    ChangeSetModelTransform,
)
from localstack.services.cloudformation.engine.v2.change_set_model_validator import (  # noqa: E402
    ChangeSetModelValidator,
)
from localstack.services.cloudformation.engine.v2.change_set_model_visitor import (  # noqa: E402
    ChangeSetModelVisitor,
)

UNPATCHED = {name for name in os.environ.get("SLIPWAY_LOCALSTACK_UNPATCH", "").split(",") if name}
PATCHES = {}


def patch(name):
    """Registers a patch by name; `SLIPWAY_LOCALSTACK_UNPATCH` can leave it out, so that a test shows what
    LocalStack does without it."""

    def register(apply):
        PATCHES[name] = apply
        return apply

    return register


# --- Template functions ---------------------------------------------------------------------------------


def fn_cidr(args):
    """`Fn::Cidr [ipBlock, count, cidrBits]`: `count` consecutive blocks of `cidrBits` host bits each.

    A block not known yet (the `Fn::GetAtt` of a resource still to be made) raises RuntimeError, LocalStack's
    own signal, in its other functions, to evaluate again once the resource exists."""
    if not (isinstance(args, list) and len(args) == 3):
        raise ValidationError("Template error: Fn::Cidr requires three arguments: ipBlock, count and cidrBits")
    block, count, bits = args
    if not isinstance(block, str) or block == CHANGESET_KNOWN_AFTER_APPLY:
        raise RuntimeError(f"Fn::Cidr of an unresolved block {block!r}")
    network = ipaddress.ip_network(block, strict=False)
    count, bits = int(count), int(bits)
    prefix = network.max_prefixlen - bits
    if not 1 <= count <= 256 or prefix < network.prefixlen:
        raise ValidationError(f"Template error: Fn::Cidr cannot make {count} /{prefix} blocks of {block}")
    blocks = []
    for subnet in network.subnets(new_prefix=prefix):
        blocks.append(str(subnet))
        if len(blocks) == count:
            return blocks
    raise ValidationError(f"Template error: {block} holds fewer than {count} /{prefix} blocks")


@patch("fn_cidr")
def patch_fn_cidr():
    """LocalStack's v2 engine does not know `Fn::Cidr`: it reads `{"Fn::Cidr": [...]}` as a plain object, so
    `Fn::Select [i, Fn::Cidr [...]]` fails the change set (`Fn::Select requires a list argument`)."""
    change_set_model.INTRINSIC_FUNCTIONS.add("Fn::Cidr")

    def visit_children(self, node):
        self.visit_children(node)

    def preproc(self, node):
        arguments = self.visit(node.arguments)
        return self._cached_apply(scope=node.scope, arguments_delta=arguments, resolver=fn_cidr)

    def later(self, node):
        # The template transform and the validator see resources not made yet: as for LocalStack's own
        # `Fn::Select`, an unresolved `Fn::Cidr` stays as its arguments.
        try:
            return preproc(self, node)
        except RuntimeError:
            return self.visit(node.arguments)

    def described(self, node):
        # DescribeChangeSet shows a value known only once the stack runs as CloudFormation does, so that
        # LocalStack's `Fn::Select` of it (which indexes whatever it is given) selects that marker too.
        try:
            return preproc(self, node)
        except RuntimeError:
            arguments = self.visit(node.arguments)
            unknown = lambda args: [CHANGESET_KNOWN_AFTER_APPLY] * int(args[1])  # noqa: E731
            return PreprocEntityDelta(
                before=Nothing if is_nothing(arguments.before) else unknown(arguments.before),
                after=Nothing if is_nothing(arguments.after) else unknown(arguments.after),
            )

    ChangeSetModelVisitor.visit_node_intrinsic_function_fn_cidr = visit_children
    ChangeSetModelPreproc.visit_node_intrinsic_function_fn_cidr = preproc
    ChangeSetModelTransform.visit_node_intrinsic_function_fn_cidr = later
    ChangeSetModelValidator.visit_node_intrinsic_function_fn_cidr = later
    ChangeSetModelDescriber.visit_node_intrinsic_function_fn_cidr = described


# --- Lambda without Docker ------------------------------------------------------------------------------


@patch("lambda_without_docker")
def patch_lambda_without_docker():
    """LocalStack runs functions in Docker containers, and prepares each new function version by installing
    its runtime-init binary (downloaded from GitHub) and pulling the runtime's image: with no Docker and no
    network, every `AWS::Lambda::Function` fails (`Error while creating lambda: Installation of
    lambda-runtime ... failed`). Here a version is prepared as far as its code (unpacked, as LocalStack does
    first) and becomes `Active`; it cannot be invoked, which no test asks of it."""
    from localstack.services.lambda_.invocation.docker_runtime_executor import DockerRuntimeExecutor

    def prepare_version(cls, function_version):
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    DockerRuntimeExecutor.prepare_version = classmethod(prepare_version)


def stop_with_parent():
    """The harness starts this server once per test process and cannot stop it when that process ends (a
    static is never dropped): the server stops itself, and removes its files, once that process is gone."""
    parent = int(os.environ.get("SLIPWAY_LOCALSTACK_PARENT") or 0)
    if not parent:
        return

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        shutil.rmtree(os.environ.get("FILESYSTEM_ROOT") or "/nonexistent", ignore_errors=True)
        os._exit(0)

    threading.Thread(target=watch, name="stop-with-parent", daemon=True).start()


def main():
    stop_with_parent()
    unknown = UNPATCHED - PATCHES.keys()
    if unknown:
        sys.exit(f"SLIPWAY_LOCALSTACK_UNPATCH names no patch: {sorted(unknown)}; patches: {sorted(PATCHES)}")
    for name, apply in PATCHES.items():
        if name not in UNPATCHED:
            apply()
    from localstack.runtime.main import main as localstack_main

    localstack_main()


if __name__ == "__main__":
    main()
