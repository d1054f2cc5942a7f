"""The ``coverage-plan`` command line: thin, every figure it prints comes from a library call.

- :mod:`coverage.cli.main`: the parser, logging and exit codes of errors;
- :mod:`coverage.cli.data`: ``data summary | list | fetch``;
- :mod:`coverage.cli.run`: ``run``; :mod:`coverage.cli.compare`: ``compare``;
- :mod:`coverage.cli.batch`: ``batch``;
- :mod:`coverage.cli.app`: ``app``, which starts the map app;
- :mod:`coverage.cli.common`: exit codes and plain-text tables, shared below them.
"""

from __future__ import annotations

from coverage.cli.main import main

__all__ = ["main"]
