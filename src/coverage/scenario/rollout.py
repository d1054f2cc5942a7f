"""The ``[rollout]`` table of a scenario: training waves, ramp-up and attrition per partner.

::

    [rollout]
    ramp = [0.25, 0.5, 0.75]          # or ramp_months = 3; default: no ramp
    repeat_visits = 1.0               # a person is accompanied once

    [rollout.partners.laposte.waves.january]
    start = "2022-01"                 # a month (YYYY-MM) or a date
    advisors = 50

    [rollout.partners.laposte.waves.april]
    start = "2022-04"
    advisors = 50

    [rollout.partners.croix_rouge]    # optional per partner: ramp, ramp_months, attrition
    attrition = 0.01                  # 1 % of advisors leave each month
    replacement = true                # and are replaced by new advisors, who ramp up again

Every key is a dotted path for ``--set`` and batch grids
(``rollout.partners.laposte.waves.april.start``, ``...advisors``,
``rollout.ramp_months``). A partner without waves starts all its advisors at the
horizon's start. The months run from the horizon's start to its end; a scenario
without ``[rollout]`` is solved as a static plan, as before. The rollout applies
to the ``staffing`` model only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from coverage.data.i18n import N_
from coverage.inputs.rollout import PartnerRollout, Rollout, Wave, linear_ramp
from coverage.scenario.tables import _Table

__all__ = ["PartnerRolloutSpec", "RolloutSpec", "WaveSpec", "rollout_problems", "to_rollout"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: object) -> object:
    if isinstance(value, str):
        match = _MONTH.match(value.strip())
        try:
            if match:
                return dt.date(int(match.group(1)), int(match.group(2)), 1)
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
        raise ValueError(
            N_("not a month: {value}; write it as YYYY-MM (2022-04) or a date (2022-04-01)").format(
                value=repr(value)
            )
        )
    return value


Month = Annotated[dt.date, BeforeValidator(_month)]


def _ramp(value: object) -> object:
    if isinstance(value, list):
        for share in value:
            if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
                raise ValueError(
                    N_("ramp shares are numbers in [0, 1], got {num_value}").format(num_value=repr(share))
                )
        return [float(s) for s in value]
    return value


Ramp = Annotated[list[float] | None, BeforeValidator(_ramp)]


class WaveSpec(_Table):
    """``[rollout.partners.<name>.waves.<wave>]``: ``start`` (month) and ``advisors``."""

    start: Month
    advisors: int = Field(ge=0)


class _RampKeys(_Table):
    ramp: Ramp = None
    ramp_months: int | None = Field(default=None, ge=0, le=36)

    @model_validator(mode="after")
    def _one_ramp(self) -> _RampKeys:
        if self.ramp is not None and self.ramp_months is not None:
            raise ValueError(N_("give `ramp` (the shares) or `ramp_months` (equal steps), not both"))
        return self

    def shares(self) -> tuple[float, ...] | None:
        if self.ramp is not None:
            return tuple(self.ramp)
        return None if self.ramp_months is None else linear_ramp(self.ramp_months)


class PartnerRolloutSpec(_RampKeys):
    """``[rollout.partners.<name>]``: see :class:`coverage.inputs.rollout.PartnerRollout`."""

    waves: dict[str, WaveSpec] = Field(default_factory=dict)
    attrition: float = Field(default=0.0, ge=0, lt=1)
    replacement: bool = True


class RolloutSpec(_RampKeys):
    """``[rollout]``: see :class:`coverage.inputs.rollout.Rollout`."""

    repeat_visits: float = Field(default=1.0, gt=0)
    partners: dict[str, PartnerRolloutSpec] = Field(default_factory=dict)


def rollout_problems(
    spec: RolloutSpec, advisors: dict[str, int], start: dt.date, until: dt.date, model: str
) -> list[tuple[tuple[str, ...], str]]:
    """Problems of ``[rollout]`` against the partners, horizon and model (key path, message)."""
    out: list[tuple[tuple[str, ...], str]] = []
    if model != "staffing":
        out.append(
            (
                ("rollout",),
                N_("a rollout phases a staffing plan; objective.model is {model}").format(model=repr(model)),
            )
        )
    first, last = dt.date(start.year, start.month, 1), dt.date(until.year, until.month, 1)
    for name, partner in spec.partners.items():
        if name not in advisors:
            known = ", ".join(f"`{p}`" for p in advisors)
            text = (
                N_("unknown partner `{name}`; partners: {names}").format(name=name, names=known)
                if known
                else N_("unknown partner `{name}`; the scenario has no [partners] table").format(name=name)
            )
            out.append((("rollout", "partners", name), text))
            continue
        total = sum(w.advisors for w in partner.waves.values())
        if total > advisors[name]:
            out.append(
                (
                    ("rollout", "partners", name, "waves"),
                    N_("the waves hold {num_total} advisors, more than the {num_advisors} of {key}").format(
                        num_total=total, num_advisors=advisors[name], key=f"partners.{name}.advisors"
                    ),
                )
            )
        for wave_name, wave in partner.waves.items():
            month = dt.date(wave.start.year, wave.start.month, 1)
            if not first <= month <= last:
                out.append(
                    (
                        ("rollout", "partners", name, "waves", wave_name, "start"),
                        N_("{month} is outside the horizon {first} to {last}").format(
                            month=f"{month:%Y-%m}", first=f"{first:%Y-%m}", last=f"{last:%Y-%m}"
                        ),
                    )
                )
    return out


def to_rollout(spec: RolloutSpec, start: dt.date, until: dt.date) -> Rollout:
    """The :class:`~coverage.inputs.rollout.Rollout` of a validated ``[rollout]`` table."""
    partners = {
        name: PartnerRollout(
            waves=tuple(Wave(w.start, w.advisors, wave) for wave, w in p.waves.items()),
            ramp=p.shares(),
            attrition=p.attrition,
            replacement=p.replacement,
        )
        for name, p in spec.partners.items()
    }
    return Rollout(start, until, partners, ramp=spec.shares() or (), repeat_visits=spec.repeat_visits)
