"""Resuming a batch honestly: a case file is reused only for the same case on the same data.

A case of a batch is keyed by :func:`case_fingerprint`: the SHA-256 of its
resolved scenario (the base file, its ``extends`` chain and the case's
overrides, as :func:`coverage.scenario.loading.dump_scenario` writes them) and
of the content of every file the case reads (site and demand files, official
files of the data folder). Cutting ``sites.csv`` from 20 sites to 3, or
replacing an official file, changes the key, so the case runs again.

Each case file carries a checksum of its own content (:func:`seal`), and
:func:`resume_problem` checks both the checksum and the figures' bounds
(served need <= reached need <= total need, a share in [0, 1] that matches
them, a known status) before a result goes into the summary: an edited or
damaged file is run again, with the reason logged and returned.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coverage.data.i18n import N_

__all__ = ["KNOWN_STATUSES", "case_fingerprint", "resume_problem", "seal"]

#: Statuses a case file may hold.
KNOWN_STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "not_solved", "failed")

#: Relative tolerance of the bound checks (sums of floats).
_TOLERANCE = 1e-6


def case_fingerprint(
    scenario_path: str | Path,
    overrides: Sequence[str],
    data_dir: str | Path | None = None,
    *,
    hashes: dict[tuple[str, int, int], str] | None = None,
) -> str | None:
    """The key of a case: its resolved scenario and the SHA-256 of every file it reads.

    ``hashes`` caches file hashes by (path, size, modification time) across the
    cases of one batch. A case that cannot be resolved (a bad override or a
    missing file) is keyed by its scenario, overrides and error instead, so
    its failure is resumed until the cause changes; None only when the
    scenario file itself cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coverage.scenario.run import shipped_scenario
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "sites.csv").write_text(
    ...     "site_id,name,longitude,latitude\\nA,Guéret,1.8717,46.1703\\n", encoding="utf-8"
    ... )
    >>> scenario = folder / "mine.toml"
    >>> _ = scenario.write_text(
    ...     f'extends = "{shipped_scenario("demo").as_posix()}"\\n'
    ...     '[sites.mine]\\nsource = "sites.csv"\\npartner = "asso"\\n',
    ...     encoding="utf-8",
    ... )
    >>> before = case_fingerprint(scenario, ["objective.max_sites=5"])
    >>> before == case_fingerprint(scenario, ["objective.max_sites=5"])
    True
    >>> before == case_fingerprint(scenario, ["objective.max_sites=6"])  # another case
    False
    >>> _ = (folder / "sites.csv").write_text(
    ...     "site_id,name,longitude,latitude\\nB,Aubusson,2.1686,45.9563\\n", encoding="utf-8"
    ... )
    >>> before == case_fingerprint(scenario, ["objective.max_sites=5"])  # the data changed
    False
    """
    from coverage.data.settings import resolve_data_dir
    from coverage.errors import CoverageError
    from coverage.scenario.datafiles import locate_files, needs_data_dir, optional_data_dir
    from coverage.scenario.loading import dump_scenario, load_scenario

    cache = {} if hashes is None else hashes
    digest = hashlib.sha256()
    try:
        scenario = load_scenario(scenario_path, overrides=overrides)
        digest.update(dump_scenario(scenario).encode("utf-8"))
        folder = resolve_data_dir(data_dir) if needs_data_dir(scenario) else optional_data_dir(data_dir)
        paths = locate_files(scenario, folder)
        for key, path in sorted(paths.items()):
            digest.update(f"\n{key}={_file_hash(Path(path), cache)}".encode())
    except (CoverageError, OSError, ValueError) as exc:
        # A case that cannot run now (a missing file, a bad override) is keyed by why: its
        # failure is resumed while nothing changes, and rerun once the file appears.
        try:
            digest.update(Path(scenario_path).read_bytes())
        except OSError:
            return None
        digest.update("\n".join(["", *overrides, f"{type(exc).__name__}: {exc}"]).encode("utf-8"))
    return digest.hexdigest()[:32]


def seal(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with a ``checksum`` of its content (the case file's own integrity check).

    Examples
    --------
    >>> record = seal({"case_id": "a", "status": "optimal", "served_need": 10.0})
    >>> record["checksum"] == seal(record)["checksum"]  # an old checksum is not part of the sum
    True
    """
    body = {k: v for k, v in record.items() if k != "checksum"}
    return {**body, "checksum": _checksum(body)}


def resume_problem(record: object, fingerprint: str | None) -> str | None:
    """Why a case file cannot be resumed (None: it can).

    Examples
    --------
    >>> record = seal({"scenario": "k", "status": "optimal", "served_need": 90.0,
    ...                "reached_need": 95.0, "total_need": 100.0, "served_share": 0.9, "open_sites": 3})
    >>> resume_problem(record, "k") is None
    True
    >>> resume_problem(record, "other")
    'it holds the result of another scenario or other data'
    >>> resume_problem({**record, "served_need": 123456789.0}, "k")
    'its checksum does not match its content (the file was edited or damaged)'
    >>> resume_problem(seal({**record, "served_need": 123456789.0}), "k")
    'served_need 123,456,789 is above reached_need 95 (served need cannot exceed the need within reach)'
    """
    if not isinstance(record, dict):
        return N_("it is not a JSON object")
    if fingerprint is None:
        return N_("its scenario or data files cannot be read now")
    if record.get("checksum") != _checksum({k: v for k, v in record.items() if k != "checksum"}):
        return N_("its checksum does not match its content (the file was edited or damaged)")
    if record.get("scenario") != fingerprint:
        return N_("it holds the result of another scenario or other data")
    status = record.get("status")
    if status not in KNOWN_STATUSES:
        return N_("unknown status {status}").format(status=repr(status))
    if status not in ("optimal", "feasible"):
        return None
    return _bound_problem(record)


def _bound_problem(record: Mapping[str, Any]) -> str | None:
    names = ("served_need", "reached_need", "total_need", "served_share")
    values = {name: record.get(name) for name in names}
    for name, value in values.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            return N_("{name} is {value}, not a finite number").format(name=name, value=repr(value))
        if value < 0:
            return N_("{name} is {num_value}, below 0").format(name=name, num_value=f"{value:,.6g}")
    served, reached, total, share = (float(values[name]) for name in names)  # type: ignore[arg-type]
    slack = _TOLERANCE * max(1.0, total)
    if served > reached + slack:
        return N_(
            "served_need {num_served} is above reached_need {num_reached} "
            "(served need cannot exceed the need within reach)"
        ).format(num_served=f"{served:,.0f}", num_reached=f"{reached:,.0f}")
    if reached > total + slack:
        return N_("reached_need {num_reached} is above total_need {num_total}").format(
            num_reached=f"{reached:,.0f}", num_total=f"{total:,.0f}"
        )
    if share > 1 + _TOLERANCE or (total > 0 and abs(share - served / total) > 1e-6):
        return N_("served_share {num_share} does not match served_need / total_need").format(
            num_share=f"{share:.6g}"
        )
    sites = record.get("open_sites")
    if not isinstance(sites, int) or isinstance(sites, bool) or sites < 0:
        return N_("open_sites is {value}, not a count").format(value=repr(sites))
    return None


def _checksum(body: Mapping[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, allow_nan=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_hash(path: Path, cache: dict[tuple[str, int, int], str]) -> str:
    from coverage.scenario.lock import file_sha256

    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in cache:
        cache[key] = file_sha256(path)
    return cache[key]
