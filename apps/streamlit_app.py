"""The map app from a checkout: ``streamlit run apps/streamlit_app.py``.

An installed package starts the same app with ``coverage-plan app``; the pages
live in :mod:`coverage.app`.
"""

from coverage.app.page import main

main()
