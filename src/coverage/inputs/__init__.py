"""Stage 2, what the models take: demand units, candidate sites and partners.

- :mod:`coverage.inputs.demand`: demand units and their need, built from the
  communes (with QPV units, rurality and the fragility index) or read from a
  file;
- :mod:`coverage.inputs.sites`: candidate sites combined in one schema, placed
  in communes, with their eligibility;
- :mod:`coverage.inputs.site_sources`: candidate sites of every source (La
  Poste, France Services, advisor host structures, town halls, any file) and
  their owner partner;
- :mod:`coverage.inputs.partners`: partners (advisors, slots, people served per
  slot-month), who may work in whose premises, and the horizon;
- :mod:`coverage.inputs.rollout`: the rollout over time (training waves,
  ramp-up, attrition, the months of the horizon);
- :mod:`coverage.inputs.rules`: the department rules (quotas, departments
  served, fair shares).
"""

from __future__ import annotations

from coverage.inputs.demand import DEFAULT_ILLECTRONISME_RATE, DEMAND_COLUMNS, build_demand, demand_from_file
from coverage.inputs.partners import Horizon, Partner, Sharing, months_between
from coverage.inputs.rollout import PartnerRollout, Rollout, Wave, linear_ramp, month_starts
from coverage.inputs.rules import DepartmentRules
from coverage.inputs.sites import (
    SITE_COLUMNS,
    build_sites,
    sites_from_cnfs_structures,
    sites_from_file,
    sites_from_france_services,
    sites_from_laposte,
    sites_from_mediation_places,
    sites_from_town_halls,
)

__all__ = [
    "DEFAULT_ILLECTRONISME_RATE",
    "DEMAND_COLUMNS",
    "SITE_COLUMNS",
    "DepartmentRules",
    "Horizon",
    "Partner",
    "PartnerRollout",
    "Rollout",
    "Sharing",
    "Wave",
    "build_demand",
    "build_sites",
    "demand_from_file",
    "linear_ramp",
    "month_starts",
    "months_between",
    "sites_from_cnfs_structures",
    "sites_from_file",
    "sites_from_france_services",
    "sites_from_laposte",
    "sites_from_mediation_places",
    "sites_from_town_halls",
]
