"""The guard's engine: every rule over every Lambda permission of an app or of templates.

Pure Python, above the readers and the policies; the CDK validation plugin (``_cdk.plugin``)
and the command line (``_cli``) both call :func:`engine.audit`, so they apply the same rules
with the same acknowledgements.
"""
