"""Request bodies → validated scenarios and sweeps, through the CLI's own validation.

The server adds three rules to the CLI's: a body is at most ``max_upload_bytes``; a scenario names its region set
by name (a bundled set, or one in a folder the operator allowed with ``--region-sets``), never by path, and names
no profile files (``grid.profiles``); a sweep's ``base`` is a shipped scenario's file name or the id of a stored
run. Problems are raised as :class:`ScenarioError` whose ``problems`` are ``(field path, message)`` pairs, which
the API returns with status 422.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from gridsite.errors import ScenarioError

RUN_ID = re.compile(r"^[0-9a-f]{12}$")
SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """File name → path of the scenarios shipped in ``scenarios/`` (empty when not installed from source)."""
    if not SCENARIOS_DIR.is_dir():
        return {}
    return {p.name: p for p in sorted(SCENARIOS_DIR.glob("*.yaml"))}


def read_body(body: bytes, content_type: str, file: str) -> Any:
    """The mapping in a YAML or JSON body (YAML with duplicate keys refused, as the CLI's reader does)."""
    if "json" in content_type:
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScenarioError(file, [("", f"invalid JSON: {exc}")]) from None
    from optimizer.model.scenario import read_yaml

    with tempfile.TemporaryDirectory() as td:  # the CLI's reader (duplicate keys refused, line numbers)
        p = Path(td) / file
        p.write_bytes(body)
        try:
            return read_yaml(p)
        except ScenarioError as exc:
            raise ScenarioError(file, exc.problems) from None


def check_no_paths(data: dict, file: str) -> None:
    """Refuse a scenario that names a server-side path (region set by path, profile files)."""
    from geodata.regionset import list_region_sets

    rs = data.get("region_set", "china")
    names = list_region_sets()
    if not isinstance(rs, str) or rs not in names:
        raise ScenarioError(
            file, [("region_set", f"must be the name of an available region set: {', '.join(names)} (got {rs!r})")]
        )
    grid = data.get("grid")
    if isinstance(grid, dict) and grid.get("profiles"):
        raise ScenarioError(file, [("grid.profiles", "profile files cannot be named through the web app")])


def parse_scenario_body(body: bytes, content_type: str, file: str = "scenario.yaml"):
    """The validated :class:`gridsite.Scenario` of a request body (``ScenarioError`` → 422)."""
    import gridsite

    data = read_body(body, content_type, file)
    if not isinstance(data, dict):
        raise ScenarioError(file, [("", "a scenario is a mapping (key: value) at the top level")])
    check_no_paths(data, file)
    return gridsite.parse_scenario(data, file), data


def prepare_sweep(body: bytes, content_type: str, folder: Path, base_of_run: Any) -> Any:
    """Write a sweep body and its base scenario into ``folder`` and load it with the CLI's reader.

    ``base`` must be a shipped scenario's file name (``china_hubs_2025.yaml``) or the id of a stored run
    (``base_of_run(id)`` returns that run's scenario mapping or None)."""
    import gridsite

    file = "sweep.yaml"
    data = read_body(body, content_type, file)
    if not isinstance(data, dict):
        raise ScenarioError(file, [("", "a sweep file is a mapping (key: value) at the top level")])
    base = data.get("base")
    shipped = shipped_scenarios()
    base_data: dict | None = None
    if isinstance(base, str) and base in shipped:
        from optimizer.model.scenario import read_yaml

        base_data = read_yaml(shipped[base])
    elif isinstance(base, str) and RUN_ID.match(base):
        base_data = base_of_run(base)
    if not isinstance(base_data, dict):
        allowed = ", ".join(shipped) or "none shipped"
        raise ScenarioError(
            file, [("base", f"a shipped scenario ({allowed}) or the id of a stored run (got {base!r})")]
        )
    check_no_paths(base_data, "base scenario")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(yaml.safe_dump(base_data, sort_keys=False), encoding="utf-8")
    (folder / file).write_text(yaml.safe_dump({**data, "base": "base.yaml"}, sort_keys=False), encoding="utf-8")
    try:
        sweep = gridsite.load_sweep(folder / file)
    except ScenarioError as exc:
        raise ScenarioError(file, exc.problems) from None
    return sweep


def problems_json(exc: ScenarioError) -> dict[str, Any]:
    """The 422 body: the file and each problem's field path and message (what is allowed)."""
    return {
        "error": "invalid input",
        "file": exc.file,
        "problems": [{"field": loc, "message": msg} for loc, msg in exc.problems],
    }
