"""Run a HiGHS model whatever thread count an earlier run in the process asked for.

HiGHS starts one thread scheduler per process. A later run that asks for
another thread count does nothing and leaves its model status ``kNotset``
(seen on the founding case's shortlist after a PuLP HiGHS solve). The run is
then repeated after a restart of the scheduler.
"""

from __future__ import annotations

import logging

import highspy

logger = logging.getLogger(__name__)

__all__ = ["run_highs"]


def run_highs(highs: highspy.Highs) -> None:
    """Run ``highs``, restarting HiGHS's thread scheduler once if the run did nothing.

    Parameters
    ----------
    highs
        A model passed and its options set.

    Examples
    --------
    >>> import highspy
    >>> h = highspy.Highs()
    >>> h.setOptionValue("output_flag", False)
    <HighsStatus.kOk: 0>
    >>> _ = h.addVar(0.0, 1.0)
    >>> h.setOptionValue("threads", 1)
    <HighsStatus.kOk: 0>
    >>> run_highs(h)
    >>> h.getModelStatus() != highspy.HighsModelStatus.kNotset
    True
    """
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kNotset:
        logger.info("HiGHS's thread scheduler restarted: an earlier run used another thread count")
        highspy.Highs.resetGlobalScheduler(True)
        highs.run()
