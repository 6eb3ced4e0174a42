"""The CDK layer, the only one that imports ``aws_cdk``, ``constructs`` or ``jsii``.

The grant constructs, their acknowledgements, the validation plugin, and the reader of an
app's construct tree.
"""
