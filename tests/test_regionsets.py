"""Region sets are discovered from their folders and called by the ``name:`` of their own ``regionset.yaml``: a copy
of a bundled set under another name behaves exactly like the original, under its own name, everywhere."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from geodata.regionset import SEARCH_PATH_ENV, bundled_path, is_bundled, list_region_sets, load_region_set
from gridsite.cli import app
from gridsite.errors import DataError

from .conftest import scenario_dict

NAME = "states48"


def _copy_us(root, name=NAME, folder_name=None):
    """The bundled US set copied to ``root/<folder_name>`` with ``name:`` in its regionset.yaml set to ``name``."""
    folder = root / (folder_name or name)
    shutil.copytree(bundled_path("us"), folder)
    meta_path = folder / "regionset.yaml"
    meta_path.write_text(meta_path.read_text(encoding="utf-8").replace("name: us\n", f"name: {name}\n", 1))
    assert yaml.safe_load(meta_path.read_text(encoding="utf-8"))["name"] == name
    return folder


def test_bundled_sets_are_found_in_their_folders():
    assert list_region_sets()[:2] == ["china", "us"]
    assert bundled_path("us").name == "us" and is_bundled(bundled_path("china"))
    with pytest.raises(DataError, match="is not a bundled set"):
        bundled_path("atlantis")


def test_user_folders_are_discovered_by_their_own_name(tmp_path, monkeypatch):
    sets = tmp_path / "sets"
    folder = _copy_us(sets, folder_name="copy-of-us")
    _copy_us(sets, name="us", folder_name="another-us")  # same name as a bundled set: the bundled one wins
    monkeypatch.setenv(SEARCH_PATH_ENV, str(sets))
    assert list_region_sets() == ["china", "us", NAME]
    rs = load_region_set(NAME, check_polygons=False)
    assert rs.name == NAME and rs.path == folder and not is_bundled(rs.path)
    assert load_region_set("us", check_polygons=False).path == bundled_path("us")
    # the variable may also name a region-set folder itself
    monkeypatch.setenv(SEARCH_PATH_ENV, str(folder))
    assert list_region_sets() == ["china", "us", NAME]
    monkeypatch.delenv(SEARCH_PATH_ENV)
    with pytest.raises(DataError, match=f"{NAME}.*is not a bundled set \\(china, us\\) or a folder"):
        load_region_set(NAME)


def test_a_renamed_copy_keeps_the_time_zone_and_profiles_of_its_data(tmp_path, us):
    rs = load_region_set(_copy_us(tmp_path), check_polygons=False)
    assert rs.name == NAME
    assert rs.timezone == us.timezone == "Etc/GMT+5"  # from the boundary package, not from the name "us"
    assert rs.profiles.index.equals(us.profiles.index)
    assert np.array_equal(rs.profiles.wind.to_numpy(), us.profiles.wind.to_numpy())
    assert np.array_equal(rs.profiles.solar.to_numpy(), us.profiles.solar.to_numpy())


def test_a_copied_region_set_solves_under_its_own_name(tmp_path, monkeypatch):
    """Solving a tiny scenario on a renamed copy of the US set gives the bundled set's placement and cost, and every
    output names the copy."""
    sets = tmp_path / "sets"
    _copy_us(sets)
    monkeypatch.setenv(SEARCH_PATH_ENV, str(sets))
    runner = CliRunner()
    tiny = scenario_dict(
        time={"mode": "monthly"},
        sites={"include": ["TX", "IA", "VA"]},
        clusters=[{"id": "a", "mw": 100, "workload": "training"}, {"id": "b", "mw": 60, "workload": "inference"}],
        policy={},
    )
    runs = {}
    for key, region_set in (("bundled", "us"), ("by_name", NAME), ("by_path", "sets/states48")):
        sc = tmp_path / f"{key}.yaml"
        sc.write_text(yaml.safe_dump({**tiny, "name": key, "region_set": region_set}), encoding="utf-8")
        out = tmp_path / f"run_{key}"
        r = runner.invoke(app, ["solve", str(sc), "--out", str(out), "--no-maps", "--quiet"])
        assert r.exit_code == 0, r.output
        runs[key] = (
            json.loads((out / "summary.json").read_text(encoding="utf-8")),
            json.loads((out / "manifest.json").read_text(encoding="utf-8")),
            (out / "assignments.csv").read_text(encoding="utf-8"),
        )
    base_summary, base_manifest, base_assign = runs["bundled"]
    assert base_manifest["data"]["region_set"]["name"] == "us"
    for key in ("by_name", "by_path"):
        summary, manifest, assign = runs[key]
        assert summary["objective"] == pytest.approx(base_summary["objective"], rel=1e-9)
        assert assign == base_assign
        assert manifest["data"]["region_set"]["name"] == NAME
        assert manifest["data"]["region_set"]["path"] == str(sets / NAME)
    assert runs["by_name"][0]["region_set"] == NAME
    assert runs["by_path"][0]["region_set"] == str(sets / NAME)

    r = runner.invoke(app, ["validate", str(tmp_path / "by_name.yaml")])
    assert r.exit_code == 0 and f"on region set '{NAME}' (USD)" in r.output, r.output
    r = runner.invoke(app, ["data", "list"])
    assert r.exit_code == 0 and NAME in r.output and SEARCH_PATH_ENV in r.output, r.output
    r = runner.invoke(app, ["data", "show", f"{NAME}/sites", "--rows", "3"])
    lines = r.output.splitlines()  # not a terminal: CSV, the header and 3 rows
    assert r.exit_code == 0 and lines[0].startswith("id,") and len(lines) == 4, r.output
