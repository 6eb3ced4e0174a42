"""The version of this distribution, in one place: pyproject.toml, the package, the plugin."""

VERSION = "0.1.0"
"""The version of constructs-lambdaperm (pyproject.toml reads it from here)."""
