"""Readers: CloudFormation templates and synthesized cloud assemblies, read into the model.

Pure Python: files and dicts, never the CDK. What a value refers to, and how long it can be,
is worked out here too (``references``), so that every reader sees intrinsics the same way.
"""
