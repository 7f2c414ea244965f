"""HumanGov on AWS: client factory, provisioning, Lambda entry points and the local stream worker.

Entry points here are thin shells over the same use cases the embedded default runs.
"""
