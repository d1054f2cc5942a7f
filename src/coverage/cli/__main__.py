"""``python -m coverage.cli``: the ``coverage-plan`` command line."""

from coverage.cli.main import main

raise SystemExit(main())
