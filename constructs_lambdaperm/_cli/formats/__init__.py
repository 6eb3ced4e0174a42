"""Output formats, one small module each: text (a terminal's tables), JSON, SARIF 2.1.0.

Each renders the same view (``..results.LintRun`` for ``lint``; the policies for ``policy``),
so a new format is one new module here and nothing else changes.
"""
