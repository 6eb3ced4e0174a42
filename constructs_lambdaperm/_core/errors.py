"""The error raised when a construct is given a value that cannot work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .findings import Finding


class PermissionValidationError(ValueError):
    """A construct was given an invalid value; raised while the construct is created.

    The message names the construct's path, each parameter with the value found, the rule ID and
    how to fix it. ``findings`` holds the same facts for programs.
    """

    def __init__(
        self,
        path: str,
        findings: Sequence[Finding],
        parameter_names: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        """The construct path, for example ``MyStack/Partner``."""
        self.findings = tuple(findings)
        """The findings that refused the permission."""
        names = parameter_names or {}
        lines = [f"Invalid Lambda permission at '{path}':"]
        for finding in self.findings:
            lines.append("  - " + finding.describe(parameter_label(finding, names)))
        super().__init__("\n".join(lines))


def parameter_label(finding: Finding, names: Mapping[str, str]) -> str | None:
    """The construct property behind the finding's parameter, with the API name beside it."""
    if finding.parameter is None:
        return None
    prop = names.get(finding.parameter)
    if prop is None or prop == finding.parameter:
        return finding.parameter
    return f"{prop} ({finding.parameter})"
