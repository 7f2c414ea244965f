"""How the Lambda functions are packaged, without Docker.

Function code is `src/` as it is (our package only, a few hundred kB, hashed once and shared by
every function). Third-party dependencies go into one layer built by `pip install --platform`
for Lambda's manylinux x86_64 / CPython 3.11, run locally at synth time (no Docker engine).
Tests skip bundling (context `aws:cdk:bundling-stacks=[]`), so they synthesise offline.
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
LAYER_DIR = REPO / "infra" / "lambda"
REQUIREMENTS = LAYER_DIR / "requirements.txt"
PIP_PLATFORM = [
    "--platform", "manylinux2014_x86_64", "--implementation", "cp",
    "--python-version", "3.11", "--only-binary=:all:",
]


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    def try_bundle(self, output_dir: str, *, image: DockerImage, **_kw) -> bool:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *PIP_PLATFORM, "--target", f"{output_dir}/python", "-r", str(REQUIREMENTS)],
            check=True,
        )
        return True


def function_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(REPO / "src"),
        exclude=["**/__pycache__", "**/*.pyc", "*.egg-info", "humangov/web/static/**"],
    )


def dependencies_layer(scope: Construct, construct_id: str) -> lambda_.LayerVersion:
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
