"""How the Lambda functions are packaged, without Docker.

Function code is `src/` as it is (our package only, a few hundred kB, hashed once and shared by
every function). Third-party dependencies go into a layer built by `pip install --platform`
for Lambda's manylinux x86_64 / CPython 3.11, run locally at synth time (no Docker engine).
Tests skip bundling (context `aws:cdk:bundling-stacks=[]`), so they synthesise offline.

Each stack that has functions makes its own layer version from the one asset (built and
uploaded once, as its hash is the same): a layer ARN exported from the shared stack would
change with every dependency, and CloudFormation refuses to change an export in use.
"""

from __future__ import annotations

import subprocess
import sys

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from humangov_infra.config import REPO

RUNTIME = lambda_.Runtime.PYTHON_3_11
# Read at synth time, not import time, so tests can point it at a copy with other pins.
LAYER_DIR = REPO / "infra" / "lambda"
PIP_PLATFORM = [
    "--platform", "manylinux2014_x86_64", "--implementation", "cp",
    "--python-version", "3.11", "--only-binary=:all:",
]


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    def try_bundle(self, output_dir: str, *, image: DockerImage, **_kw) -> bool:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *PIP_PLATFORM, "--target", f"{output_dir}/python",
             "-r", str(LAYER_DIR / "requirements.txt")],
            check=True,
        )
        return True


def function_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(REPO / "src"),
        exclude=["**/__pycache__", "**/*.pyc", "*.egg-info", "humangov/web/static/**"],
    )


def dependencies_layer(scope: Construct, construct_id: str = "Dependencies"
                       ) -> lambda_.LayerVersion:
    """The stack's own layer version of the dependencies (see the module's docstring)."""
    return lambda_.LayerVersion(
        scope, construct_id,
        description="HumanGov Lambda dependencies (infra/lambda/requirements.txt)",
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[lambda_.Architecture.X86_64],
        code=lambda_.Code.from_asset(
            str(LAYER_DIR),
            # Hash the requirements, not the bundle, so an unchanged file is not re-bundled.
            asset_hash_type=AssetHashType.SOURCE,
            bundling=BundlingOptions(
                image=RUNTIME.bundling_image,
                local=LocalPipBundling(),
                command=["bash", "-c", "pip install -r requirements.txt -t /asset-output/python"],
            ),
        ),
    )
