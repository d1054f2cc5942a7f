"""The planners' map app (Streamlit), inside the package so that an installed wheel can start it.

Library modules, with no Streamlit import, tested on their own:

- :mod:`coverage.app.settings`: scenario <-> overrides <-> URL query parameters;
- :mod:`coverage.app.session`: what the app computes (re-solves, comparisons,
  export bytes), as plain library calls;
- :mod:`coverage.app.upload`: readers for the planner's uploaded files, with their column mapping;
  :mod:`coverage.app.upload_files`: the checks before an upload is saved, and the store of read layers.

The Streamlit pages, which need the ``app`` extra:

- :mod:`coverage.app.page`: the script ``streamlit run`` executes
  (``coverage-plan app`` starts it);
- :mod:`coverage.app.sidebar`, :mod:`coverage.app.views`,
  :mod:`coverage.app.uploads`: the sidebar, the tabs and the upload tab.

Importing :mod:`coverage.app` imports none of them: :data:`PAGE` is the path of
the script to run.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PAGE"]

#: The Streamlit script of the app, as installed: ``streamlit run`` takes this path.
PAGE = Path(__file__).resolve().parent / "page.py"
