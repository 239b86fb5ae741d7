"""Shared fixtures: region sets are loaded once per test session (profiles are cached on the object)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def china():
    from geodata import load_region_set

    return load_region_set("china")


@pytest.fixture(scope="session")
def us():
    from geodata import load_region_set

    return load_region_set("us")


def scenario_dict(**over) -> dict:
    """A small China scenario as a dict; keyword arguments replace top-level keys."""
    base = {
        "name": "tiny",
        "region_set": "china",
        "year": 2025,
        "time": {"mode": "monthly"},
        "sites": {"include": ["zhongwei", "guian", "yrd_demo_zone"]},
        "clusters": [
            {"id": "a", "mw": 100, "workload": "training"},
            {"id": "b", "mw": 60, "workload": "training"},
            {"id": "c", "mw": 40, "workload": "inference"},
        ],
        "policy": {"green_share": {"min": 0.8, "applies_to": "hubs"}},
        "solver": {"mip_gap": 0.0, "time_limit_s": 60},
    }
    base.update(over)
    return base


def set_path(data: dict, path: tuple, value) -> dict:
    """Set ``value`` at a nested ``path`` of a scenario dict (str keys create mappings, ints index lists)."""
    cur = data
    for p in path[:-1]:
        cur = cur.setdefault(p, {}) if isinstance(p, str) else cur[p]
    cur[path[-1]] = value
    return data
