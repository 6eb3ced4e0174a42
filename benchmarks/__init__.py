"""Benchmarks: what the constructs cost against raw CloudFormation resources.

``make bench`` (or ``.venv/bin/python benchmarks/run.py``, ``--quick`` for a smoke run) runs
them; ``run.py`` documents what is measured and how, ``app.py`` is the app measured, and
``RESULTS.md`` holds the numbers of a full run.
"""
