"""The policy layer: statements, one policy per function and qualifier, sizes, who may invoke.

Pure Python, over what the readers produce.
"""
