"""The HumanGov CDK app: one shared stack and one stack per state."""
