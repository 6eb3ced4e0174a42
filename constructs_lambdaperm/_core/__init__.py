"""The pure core: the permission model, deploy-time values, patterns, Lambda's API, findings.

Imports nothing else of the package, and nothing outside the standard library at import time.
"""
