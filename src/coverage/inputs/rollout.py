"""The rollout over time: training waves, ramp-up, attrition and the months of the horizon.

A staffing plan says where advisors work at full speed. Advisors do not all start
on day one: they are trained in *waves* (50 La Poste advisors start in January
2022, 50 more in April), each advisor helps fewer people in their first months
(a *ramp-up*, e.g. 25 %, 50 %, 75 % of the steady rate, then 100 %), and some
leave (*attrition*), replaced or not. These records describe that; the
time-phased model of :mod:`coverage.models.rollout` plans with them.

Periods are calendar months, from the month of the horizon's start to the month
of its ``until`` (2022-01 to 2023-12: 24 months); a wave starting on any day of a
month starts at that month. The *factor* of a wave in a month is the share of the
steady rate one of its slots works at: 0 before the wave starts, then the ramp,
then 1; with attrition ``a`` per month and no replacement it is multiplied by the
share still there, ``(1 - a) ** age``; with replacement each leaver is replaced at
once by a new advisor who ramps up again (the factor is the expected ramp over
the occupants' tenures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from coverage.inputs.partners import Partner

__all__ = ["Cohort", "PartnerRollout", "Rollout", "Wave", "linear_ramp", "month_starts"]


@dataclass(frozen=True)
class Wave:
    """Advisors of one partner who start together, after their training.

    Parameters
    ----------
    start
        A day of the month they start in (``2022-04-01``).
    advisors
        How many start.
    name
        Label of the wave (``'april'``), for tables.
    """

    start: dt.date
    advisors: int
    name: str = ""

    def __post_init__(self) -> None:
        if self.advisors < 0:
            raise ValueError(f"wave {self.name or self.start}: advisors must be >= 0, got {self.advisors}")


@dataclass(frozen=True)
class PartnerRollout:
    """How one partner's advisors start: waves, ramp-up and attrition.

    Parameters
    ----------
    waves
        The training waves (default: all the partner's advisors at the horizon's start).
    ramp
        Share of the steady rate in an advisor's first months, each in [0, 1]
        (``(0.25, 0.5, 0.75)``); None: the rollout's default ramp.
    attrition
        Share of advisors leaving each month, in [0, 1).
    replacement
        Leavers are replaced at once by new advisors, who ramp up again.
    """

    waves: tuple[Wave, ...] = ()
    ramp: tuple[float, ...] | None = None
    attrition: float = 0.0
    replacement: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.attrition < 1.0:
            raise ValueError(f"attrition is a monthly share in [0, 1), got {self.attrition}")
        _check_ramp(self.ramp)


@dataclass(frozen=True)
class Cohort:
    """The slots of one wave of one partner, and their factor per month."""

    partner: str
    wave: str
    start: dt.date
    slots: int
    factor: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Rollout:
    """The rollout of a staffing plan over the months of a horizon.

    Parameters
    ----------
    start, until
        First and last day of the horizon; the periods are the calendar months between.
    partners
        Partner name -> its :class:`PartnerRollout`; a partner not named starts all its
        advisors at ``start`` with the default ramp.
    ramp
        Default ramp-up (share of the steady rate in the first months).
    repeat_visits
        How many times a person in need may be counted over the horizon (default 1:
        people accompanied in a unit never exceed its need).

    Examples
    --------
    Two waves of La Poste advisors, a three-month ramp:

    >>> import datetime as dt
    >>> from coverage.inputs.partners import Partner
    >>> rollout = Rollout(
    ...     dt.date(2022, 1, 1),
    ...     dt.date(2022, 6, 30),
    ...     partners={
    ...         "laposte": PartnerRollout((Wave(dt.date(2022, 1, 1), 50), Wave(dt.date(2022, 4, 1), 50)))
    ...     },
    ...     ramp=(0.25, 0.5, 0.75),
    ... )
    >>> rollout.n_months
    6
    >>> [c.factor.tolist() for c in rollout.cohorts([Partner("laposte", advisors=100)])]
    [[0.25, 0.5, 0.75, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.25, 0.5, 0.75]]
    """

    start: dt.date
    until: dt.date
    partners: Mapping[str, PartnerRollout] = field(default_factory=dict)
    ramp: tuple[float, ...] = ()
    repeat_visits: float = 1.0

    def __post_init__(self) -> None:
        if self.until < self.start:
            raise ValueError(f"rollout: until ({self.until}) comes before start ({self.start})")
        if self.repeat_visits <= 0:
            raise ValueError(f"repeat_visits must be > 0, got {self.repeat_visits}")
        _check_ramp(self.ramp)
        first, last = _month(self.start), _month(self.until)
        for name, plan in self.partners.items():
            for wave in plan.waves:
                if not first <= _month(wave.start) <= last:
                    raise ValueError(
                        f"rollout: wave {wave.name or wave.start} of {name} starts {wave.start:%Y-%m}, "
                        f"outside the horizon {first:%Y-%m} to {last:%Y-%m}"
                    )

    @property
    def months(self) -> tuple[dt.date, ...]:
        """First day of each month of the horizon."""
        return month_starts(self.start, self.until)

    @property
    def n_months(self) -> int:
        return len(self.months)

    def cohorts(self, partners: Sequence[Partner]) -> list[Cohort]:
        """One cohort per wave of each partner, with its slots and factor per month.

        Raises
        ------
        ValueError
            The rollout names a partner not in ``partners``, or a partner's waves hold
            more advisors than it has.
        """
        known = {p.name: p for p in partners}
        unknown = sorted(set(self.partners) - set(known))
        if unknown:
            raise ValueError(
                f"rollout: unknown partners {', '.join(unknown)}; partners are: {', '.join(sorted(known))}"
            )
        months = self.months
        out = []
        for partner in partners:
            plan = self.partners.get(partner.name, PartnerRollout())
            waves = plan.waves or (Wave(self.start, partner.advisors, "start"),)
            total = sum(w.advisors for w in waves)
            if total > partner.advisors:
                raise ValueError(
                    f"rollout: the waves of {partner.name} hold {total} advisors, "
                    f"more than its {partner.advisors}; lower a wave or raise its advisors"
                )
            ramp = plan.ramp if plan.ramp is not None else self.ramp
            for k, wave in enumerate(waves):
                begin = months.index(_month(wave.start))
                factor = np.zeros(len(months))
                factor[begin:] = _factor(len(months) - begin, ramp, plan.attrition, plan.replacement)
                out.append(
                    Cohort(
                        partner.name,
                        wave.name or f"wave {k + 1}",
                        _month(wave.start),
                        wave.advisors * partner.slots_per_advisor,
                        factor,
                    )
                )
        return out


def linear_ramp(months: int) -> tuple[float, ...]:
    """A ramp rising in equal steps over ``months`` months: 3 gives ``(0.25, 0.5, 0.75)``.

    Examples
    --------
    >>> linear_ramp(3)
    (0.25, 0.5, 0.75)
    >>> linear_ramp(0)
    ()
    """
    if months < 0:
        raise ValueError(f"ramp months must be >= 0, got {months}")
    return tuple((k + 1) / (months + 1) for k in range(months))


def month_starts(start: dt.date, until: dt.date) -> tuple[dt.date, ...]:
    """First day of every calendar month from ``start``'s to ``until``'s.

    Examples
    --------
    >>> import datetime as dt
    >>> [m.isoformat() for m in month_starts(dt.date(2022, 11, 15), dt.date(2023, 1, 31))]
    ['2022-11-01', '2022-12-01', '2023-01-01']
    """
    out, month = [], _month(start)
    while month <= until:
        out.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return tuple(out)


def _month(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, 1)


def _check_ramp(ramp: Sequence[float] | None) -> None:
    for share in ramp or ():
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"ramp shares must be in [0, 1], got {list(ramp or ())}")


def _factor(
    months: int, ramp: Sequence[float], attrition: float, replacement: bool
) -> npt.NDArray[np.float64]:
    """Share of the steady rate one slot of a wave works at, month by month from its start."""
    rate = np.array([ramp[a] if a < len(ramp) else 1.0 for a in range(months)], dtype=np.float64)
    if attrition == 0.0:
        return rate
    if not replacement:
        return rate * (1.0 - attrition) ** np.arange(months)
    # Tenure of the slot's current advisor: each month a share `attrition` leaves and is replaced.
    tenure = np.zeros(months)
    tenure[0] = 1.0
    out = np.zeros(months)
    for age in range(months):
        out[age] = float(tenure[: age + 1] @ rate[: age + 1])
        moved = np.zeros(months)
        moved[1:] = tenure[:-1] * (1.0 - attrition)
        moved[0] = attrition
        tenure = moved
    return out
