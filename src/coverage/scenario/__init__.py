"""Stage 6, scenarios: files that say what to plan, run end to end, locked and compared.

- :mod:`coverage.scenario.tables` and :mod:`coverage.scenario.schema`: what a
  scenario file holds, validated table by table (values by
  :mod:`coverage.scenario.values`), and its converters to the library's records;
- :mod:`coverage.scenario.loading`: read a file, follow ``extends``, apply
  ``--set`` overrides; :mod:`coverage.scenario.toml_text`: write a scenario back;
- :mod:`coverage.scenario.datafiles`: which data files a scenario reads and
  where they are;
- :mod:`coverage.scenario.inputs`: demand from a file, candidate sites and
  shortlists;
- :mod:`coverage.scenario.site_choices`: the forced, closed and costed site ids
  checked, and each site's cost;
- :mod:`coverage.scenario.progress` and :mod:`coverage.scenario.run`: a run's
  phases, and the run itself;
- :mod:`coverage.scenario.lock`: what a run read and with which versions;
- :mod:`coverage.scenario.output`: a run's output folder, written atomically;
  :mod:`coverage.scenario.run_files`: its files' names, and the folder read back;
- :mod:`coverage.scenario.compare`: two run folders compared;
- :mod:`coverage.scenario.marginal`: what binds a solved run and what one more
  unit of each resource buys, by re-solving;
- :mod:`coverage.scenario.access`: a road-time run's reach against the straight line.
"""

from __future__ import annotations

from coverage.scenario.access import compare_access
from coverage.scenario.compare import Comparison, compare_runs
from coverage.scenario.loading import dump_scenario, load_scenario, parse_override
from coverage.scenario.lock import Lock, read_lock
from coverage.scenario.marginal import what_binds
from coverage.scenario.output import RunOutput, read_run, write_run
from coverage.scenario.progress import PHASES, Progress
from coverage.scenario.run import ScenarioRun, run_scenario, shipped_scenario, solve_scenario
from coverage.scenario.schema import Scenario

__all__ = [
    "PHASES",
    "Comparison",
    "Lock",
    "Progress",
    "RunOutput",
    "Scenario",
    "ScenarioRun",
    "compare_access",
    "compare_runs",
    "dump_scenario",
    "load_scenario",
    "parse_override",
    "read_lock",
    "read_run",
    "run_scenario",
    "shipped_scenario",
    "solve_scenario",
    "what_binds",
    "write_run",
]
