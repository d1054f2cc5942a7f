"""Partners who staff sites, who may work in whose premises, and the horizon.

These small records are shared by the staffing model (:mod:`coverage.models.location`)
and the solved plan (:mod:`coverage.plan.plan`):

- :class:`Partner`: an organisation with ``advisors`` advisors, each able to
  hold ``slots_per_advisor`` site slots at once (an advisor rotating over four
  offices holds four slots), each slot helping ``people_per_slot_month``
  people a month;
- :class:`Sharing`: which partner may place advisors in the premises of which
  owner (every partner always may use its own premises);
- :class:`Horizon`: when advisors start, the date the target is measured at,
  and the target itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["Horizon", "Partner", "Sharing", "months_between"]


@dataclass(frozen=True)
class Partner:
    """One staffing partner.

    Parameters
    ----------
    name
        Partner key, matching the ``partner`` column of the sites (owner of
        the premises), e.g. ``'laposte'``.
    advisors
        Advisors the partner can deploy (``B_p``).
    slots_per_advisor
        Sites one advisor rotates over (``m_p``): 100 advisors over 400
        offices is 4.
    people_per_slot_month
        People one advisor slot accompanies in a month (``k_p``).
    max_slots_per_site
        At most this many of the partner's slots at one site (None: up to the
        site's capacity). ``1`` makes a rotating advisor's slots land on
        distinct sites: 100 advisors x 4 slots then cover 400 offices.
    min_advisors
        Advisors the plan must employ at least (staffing): at least
        ``min_advisors x slots_per_advisor`` slots, so that "fewest advisors
        for a target" can keep a partner's whole team. At most ``advisors``.
    min_sites
        Sites the partner must staff at least (staffing): a slot of its own at
        each, so that its presence on the ground is kept. At most its slots.
    """

    name: str
    advisors: int
    slots_per_advisor: int = 1
    people_per_slot_month: float = 40.0
    max_slots_per_site: int | None = None
    min_advisors: int = 0
    min_sites: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a partner needs a name")
        if self.advisors < 0:
            raise ValueError(f"partner {self.name!r}: advisors must be >= 0, got {self.advisors}")
        if self.slots_per_advisor < 1:
            raise ValueError(
                f"partner {self.name!r}: slots_per_advisor must be >= 1, got {self.slots_per_advisor}"
            )
        if self.people_per_slot_month < 0:
            raise ValueError(
                f"partner {self.name!r}: people_per_slot_month must be >= 0, got {self.people_per_slot_month}"
            )

        if self.max_slots_per_site is not None and self.max_slots_per_site < 1:
            raise ValueError(
                f"partner {self.name!r}: max_slots_per_site must be >= 1, got {self.max_slots_per_site}"
            )
        if not 0 <= self.min_advisors <= self.advisors:
            raise ValueError(
                f"partner {self.name!r}: min_advisors must be between 0 and its {self.advisors} advisors, "
                f"got {self.min_advisors}"
            )
        if not 0 <= self.min_sites <= self.slots:
            raise ValueError(
                f"partner {self.name!r}: min_sites must be between 0 and its {self.slots} slots "
                f"(one slot a site), got {self.min_sites}"
            )

    @property
    def slots(self) -> int:
        """Slots the partner can staff: ``advisors x slots_per_advisor``."""
        return self.advisors * self.slots_per_advisor


@dataclass(frozen=True)
class Sharing:
    """Who may staff whose premises.

    ``allowed`` maps a partner to the owners whose premises it may use, on top
    of its own. ``Sharing.none()`` keeps every partner at home;
    ``Sharing.all(names)`` lets everyone use everyone's premises.
    """

    allowed: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def none(cls) -> Sharing:
        return cls({})

    @classmethod
    def all(cls, partners: Iterable[str]) -> Sharing:
        names = frozenset(partners)
        return cls({p: names for p in names})

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Sharing:
        """From ``(partner, owner)`` pairs: ``partner`` may work in ``owner``'s premises."""
        allowed: dict[str, set[str]] = {}
        for partner, owner in pairs:
            allowed.setdefault(partner, set()).add(owner)
        return cls({p: frozenset(o) for p, o in allowed.items()})

    def may_use(self, partner: str, owner: str) -> bool:
        return partner == owner or owner in self.allowed.get(partner, frozenset())

    def names(self) -> set[str]:
        """Every partner or owner the matrix mentions."""
        out = set(self.allowed)
        for owners in self.allowed.values():
            out |= owners
        return out


@dataclass(frozen=True)
class Horizon:
    """When advisors start and when people helped are counted against a target.

    Parameters
    ----------
    start
        First day advisors work (``2022-01-01``).
    until
        Day the target is measured at (``2023-12-31``).
    target
        People to accompany by ``until`` (320,000 in the founding case), or None.
    """

    start: dt.date
    until: dt.date
    target: float | None = None

    def __post_init__(self) -> None:
        if self.until <= self.start:
            raise ValueError(f"horizon: 'until' ({self.until}) must come after 'start' ({self.start})")

    @property
    def months(self) -> float:
        """Months of work from ``start`` to ``until`` (inclusive of the last day)."""
        return months_between(self.start, self.until)


def months_between(start: dt.date, until: dt.date) -> float:
    """Months from ``start`` to the end of ``until``: 2022-01-01 to 2023-12-31 is 24.0.

    Examples
    --------
    >>> import datetime as dt
    >>> from coverage.inputs.partners import months_between
    >>> months_between(dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    24.0
    >>> months_between(dt.date(2022, 1, 1), dt.date(2022, 3, 31))
    3.0
    >>> round(months_between(dt.date(2022, 1, 1), dt.date(2022, 1, 15)), 2)
    0.49
    """
    end = until + dt.timedelta(days=1)
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    days = (end.day - start.day) / 30.4375
    return max(0.0, whole + days)
