"""cdk-nag acknowledgements: every accepted finding names its rule and a real reason.

cdk-nag 3 uses CDK's own `Validations.of(construct).acknowledge()`; a rule that reports several
findings on one resource (IAM5 per wildcard) needs each acknowledged: `AwsSolutions-IAM5[...]`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, findings: list[dict[str, str]]) -> None:
    for finding in findings:
        reason = finding["reason"].strip()
        if len(reason) < 20:
            raise ValueError(f"{finding['id']}: give a real reason, not {reason!r}")
        Validations.of(construct).acknowledge(Acknowledgment(id=finding["id"], reason=reason))


def logical_arn(construct: IConstruct) -> str:
    """How cdk-nag prints `Fn::GetAtt [X, Arn]` in a finding id: `<X.Arn>`."""
    from aws_cdk import Stack

    cfn = construct.node.default_child or construct
    stack = Stack.of(construct)
    return f"<{stack.resolve(stack.get_logical_id(cfn))}.Arn>"


def acknowledge_wildcards(construct: IConstruct, resources: list[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for exactly these wildcard resources, one reason for all."""
    acknowledge(construct, [{"id": f"AwsSolutions-IAM5[Resource::{r}]", "reason": reason}
                            for r in resources])
