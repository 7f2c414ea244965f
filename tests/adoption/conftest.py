"""Adoption runs against moto: the AWS fixtures of tests/aws."""

from tests.aws.conftest import aws_local, aws_server, moto_server  # noqa: F401 - fixtures
