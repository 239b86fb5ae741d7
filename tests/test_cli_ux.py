"""Command-line ergonomics: --version, help for every flag, default --out, tables that keep ids whole (terminal
and pipe), validate of sweep files, data copy."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from rich.console import Console
from typer.testing import CliRunner

from .conftest import ROOT, scenario_dict

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("COLUMNS", None)


def run(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "gridsite", *map(str, args)],
        capture_output=True,
        text=True,
        env=env or ENV,
        cwd=cwd,
        timeout=600,
    )


def test_version_flag_prints_the_package_version():
    import gridsite

    r = run("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"gridsite {gridsite.__version__}"


def _walk(cmd, path: str = "gridsite"):
    yield path, cmd
    if isinstance(getattr(cmd, "commands", None), dict):  # a group (typer may bundle its own click)
        for name, sub in cmd.commands.items():
            yield from _walk(sub, f"{path} {name}")


def test_every_command_option_and_argument_has_help():
    from gridsite.cli.app import app

    missing = []
    root = typer.main.get_command(app)
    for path, cmd in _walk(root):
        if not (cmd.help or "").strip():
            missing.append(f"{path}: command without help")
        for p in cmd.params:
            if not (getattr(p, "help", None) or "").strip():
                missing.append(f"{path} {p.opts[0]}: no help text")
    assert not missing, "\n".join(missing)
    assert len(list(_walk(root))) >= 14  # the walk reached the subcommands (data list/show/copy/…)


def _patched_console(monkeypatch, width: int) -> io.StringIO:
    """stdout as a terminal ``width`` columns wide, for the console and the data commands."""
    import gridsite.cli.console as console
    import gridsite.cli.data as data

    buf = io.StringIO()
    con = Console(file=buf, width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(console, "out", con)
    monkeypatch.setattr(data, "out", con)
    return buf


@pytest.mark.parametrize("width", [40, 80])
def test_data_show_on_a_narrow_terminal_keeps_every_id_whole(monkeypatch, width, china):
    from gridsite.cli.app import app

    buf = _patched_console(monkeypatch, width)
    r = CliRunner().invoke(app, ["data", "show", "china/sites", "--rows", "40"])
    assert r.exit_code == 0, r.output
    text = buf.getvalue()
    for sid in china.sites["id"]:
        assert f"│ {sid} " in text, (sid, text[:2000])
    assert "more columns" in text  # columns were dropped, not ids cut
    assert max(len(line) for line in text.splitlines()) <= width


def test_print_table_never_cuts_ids_even_when_the_terminal_is_too_narrow(monkeypatch):
    from gridsite.cli import console

    buf = _patched_console(monkeypatch, 30)
    t = console.table("placement", ["cluster", "workload", "site", "region_id"])
    ids = ("inference-guian-0000001", "yrd_demo_zone_extended", "inner_mongolia_west")
    t.add_row(ids[0], "training", ids[1], ids[2])
    console.print_table(t)
    text = buf.getvalue()
    for i in ids:
        assert i in text, text
    assert "…" not in text


def test_data_show_piped_prints_csv_with_every_column(china):
    r = run("data", "show", "china/sites", "--rows", "5")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split(",")[:4] == ["id", "name_en", "name_zh", "region_id"]
    assert "source" in lines[0].split(",")
    assert len(lines) == 6
    first = sorted(china.sites["id"])[0]
    assert lines[1].startswith(f"{first},")


def test_solve_without_out_writes_runs_scenario_name(tmp_path):
    from gridsite.cli.options import folder_name

    assert folder_name("China hubs/2025") == "China_hubs_2025"
    assert folder_name("../..") == "run"
    data = scenario_dict(name="tiny default/out")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    r = run("solve", "s.yaml", "--no-maps", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "runs/tiny_default_out" in r.stderr
    assert (tmp_path / "runs" / "tiny_default_out" / "summary.json").exists()


def test_default_out_of_a_bad_scenario_is_exit_2_and_writes_nothing(tmp_path):
    data = scenario_dict()
    del data["name"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    r = run("solve", "s.yaml", cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "name" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()


def _sweep(tmp_path: Path, values: list) -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(scenario_dict(time={"mode": "annual"})))
    sw = {
        "name": "tiny-sweep",
        "base": "base.yaml",
        "mode": "grid",
        "parameters": {"policy.green_share.min": [0.5, 0.9], "sites.include": values},
    }
    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump(sw, sort_keys=False))
    return p


def test_validate_accepts_a_sweep_file_and_checks_every_point(tmp_path):
    r = run("validate", _sweep(tmp_path, [["zhongwei", "guian"], ["zhongwei", "yrd_demo_zone"]]))
    assert r.returncode == 0, r.stderr
    assert "sweep 'tiny-sweep'" in r.stdout and "4 points" in r.stdout
    r = run("validate", _sweep(tmp_path, [["zhongwei", "guian"], ["zhongwei", "atlantis"]]))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "atlantis" in r.stderr and "sites.include" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.yaml", "sweep.yaml"]


def test_sweep_without_out_uses_runs_sweep_name(tmp_path):
    from gridsite.cli.options import RUNS_DIR, default_out

    p = _sweep(tmp_path, [["zhongwei", "guian"]])
    assert default_out(None, p, sweep=True) == RUNS_DIR / "tiny-sweep"
    assert default_out(tmp_path / "x", p, sweep=True) == tmp_path / "x"


def test_data_copy_makes_an_editable_renamed_region_set(tmp_path):
    from geodata import load_region_set

    dest = tmp_path / "sets" / "my-china"
    r = run("data", "copy", "china", dest)
    assert r.returncode == 0, r.stderr
    meta = yaml.safe_load((dest / "regionset.yaml").read_text())
    assert meta["name"] == "my-china" and meta["currency"] == "CNY"
    assert load_region_set(dest, check_polygons=False).name == "my-china"
    before = sorted(p.name for p in dest.iterdir())
    r = run("data", "copy", "us", dest)  # never over an existing folder
    assert r.returncode == 2 and "already exists" in r.stderr
    assert sorted(p.name for p in dest.iterdir()) == before
    assert yaml.safe_load((dest / "regionset.yaml").read_text())["name"] == "my-china"
    r = run("data", "copy", "us", tmp_path / "x", "--name", "china")
    assert r.returncode == 2 and "bundled" in r.stderr
    assert not (tmp_path / "x").exists()


def test_piped_stdout_is_laid_out_wide_unless_columns_is_set(monkeypatch):
    from gridsite.cli import console

    monkeypatch.setattr(console.sys.stdout, "isatty", lambda: False, raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    assert console._stdout_width() == console.PIPE_WIDTH >= 120
    monkeypatch.setenv("COLUMNS", "90")
    assert console._stdout_width() is None  # rich reads $COLUMNS itself


def test_solve_tables_piped_keep_long_ids_whole(tmp_path):
    ids = ["inference-cluster-with-a-long-name-01", "training-cluster-with-a-long-name-02"]
    data = scenario_dict(clusters=[{"id": ids[0], "mw": 60, "workload": "inference"},
                                   {"id": ids[1], "mw": 100, "workload": "training"}])
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    r = run("solve", "s.yaml", "--out", tmp_path / "out", "--no-maps", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for i in ids:
        assert i in r.stdout, r.stdout
    assert "yrd_demo_zone" in r.stdout or "zhongwei" in r.stdout or "guian" in r.stdout


def test_solve_tables_in_chinese(tmp_path):
    """``solve --lang zh``: every English header, title and word of the terminal tables is replaced (ids and
    numbers stay); the English run prints those headers, so the check can fail."""
    from gridsite.cli.console import ZH

    data = scenario_dict()
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    en = run("solve", "s.yaml", "--out", tmp_path / "en", "--no-maps", cwd=tmp_path)
    zh = run("solve", "s.yaml", "--out", tmp_path / "zh", "--no-maps", "--lang", "zh", cwd=tmp_path)
    assert en.returncode == 0 and zh.returncode == 0, (en.stderr, zh.stderr)
    headers = ["IT design MW", "avg IT MW", "sites used", "green share", "certificates GWh", "annual cost",
               "placement", "status ", "emissions", "total"]
    assert all(h in en.stdout for h in headers), en.stdout
    tables = zh.stdout.split("说明:")[0]  # the model's free-text notes stay in English
    assert not [h for h in headers if h in tables], zh.stdout
    assert "布局" in zh.stdout and "使用的站点" in zh.stdout and "年度成本" in zh.stdout
    assert ZH["training"] in zh.stdout or ZH["inference"] in zh.stdout
    bad = run("solve", "s.yaml", "--out", tmp_path / "x", "--lang", "fr", cwd=tmp_path)
    assert bad.returncode == 2 and "--lang" in bad.stderr


def test_pareto_frontier_table_in_chinese(capsys):
    """``pareto --lang zh`` prints the frontier table with Chinese headers and kinds; English by default."""
    from types import SimpleNamespace

    import pandas as pd

    from gridsite.cli.console import print_frontier

    table = pd.DataFrame(
        {"point": ["p00", "p01"], "kind": ["min_carbon", "min_cost"], "carbon_t": [1.0e5, 2.0e5],
         "cost": [120.0, 100.0], "status": ["optimal", "optimal"], "placement": ["a=x", "a=y"], "message": ["", ""]}
    )
    res = SimpleNamespace(currency="CNY", accounting="location_based", table=table, notes=[], wall_s=1.0)
    print_frontier(res, "demo", 2, "runs/demo")
    en = capsys.readouterr().out
    print_frontier(res, "demo", 2, "runs/demo", "zh")
    zh = capsys.readouterr().out
    assert "cost–carbon frontier" in en and "min_carbon" in en and "points in" in en
    assert "成本–排放前沿" in zh and "最低排放" in zh and "最低成本" in zh and "个点" in zh
    assert not [w for w in ("cost–carbon frontier", "min_carbon", "min_cost", "kind", "status", "points in") if w in zh]
