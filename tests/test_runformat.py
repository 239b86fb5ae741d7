"""The run-folder format (rendering.runformat): one owner of the file names and table columns that the writer
(rendering.runfolder), the readers (maps, report) and the output-folder safety checks share."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from rendering import maps, runfolder, runformat, safety
from rendering.report.studies import _records_table

CHINA_RUN = Path(__file__).resolve().parent / "fixtures" / "maps" / "china_run"


def test_what_the_writer_writes_the_reader_reads_back(tmp_path):
    tables, _ = runformat.read_run(CHINA_RUN)
    runfolder.write_tables(SimpleNamespace(tables=tables), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(runformat.table_file(n) for n in runformat.TABLES)
    back, summary = runformat.read_run(tmp_path)
    assert summary == {}
    for name in runformat.TABLE_NAMES:
        pd.testing.assert_frame_equal(back[name], tables[name], check_dtype=False, rtol=1e-5)
    # a table's file name is the one the reader looks for: a renamed file is not read
    (tmp_path / runformat.table_file("sites")).rename(tmp_path / "sites_old.csv")
    assert runformat.read_run(tmp_path)[0]["sites"].empty


def test_every_run_file_is_known_to_the_safety_checks():
    assert runformat.RUN_FILES <= safety.KNOWN_FILES
    names = {runformat.SUMMARY, runformat.MANIFEST, runformat.STATIC_MAP, runformat.INTERACTIVE_MAP}
    assert names | {"assignments.csv", "certificates.csv", "siting_map.svg", "report.html"} <= runformat.RUN_FILES
    assert runfolder.FAILED_SUMMARY == runformat.FAILED_SUMMARY == "failed-summary.json"
    # the maps re-export the format rather than keeping a copy of it
    assert maps.TABLES is runformat.TABLES and maps.read_run is runformat.read_run


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    runformat.atomic_write(target, lambda fh: fh.write(b"old"))

    def broken(fh):
        fh.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        runformat.atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_a_running_sweep_is_tabled_like_sweep_csv(tmp_path):
    """The report of a sweep without sweep.csv has the rows the sweep will write (sweep.flat_row), including the
    per-site green shares, the MIP gap and the placement of each cluster."""
    from optimizer.studies.sweep import table

    (tmp_path / "points").mkdir()
    records = []
    for i, q in enumerate((0.8, 0.6)):
        rec = {
            "point_id": f"p{i:03d}",
            "index": 1 - i,
            "parameters": {"policy.green_share.min": q, "time.days": {"n": 6}},
            "labels": {"policy.green_share.min": f"q{q}"},
            "status": "optimal",
            "summary": {
                "objective": 100.0 + i,
                "mip_gap": 1e-4,
                "green_share": {"guian": q, "zhongwei": 0.5},
                "placement": {"a": "guian", "b": None},
            },
        }
        records.append(rec)
        (tmp_path / "points" / f"p{i:03d}.json").write_text(json.dumps(rec))
    (tmp_path / "points" / "notes.json").write_text("{}")  # not a point record: left out
    df = _records_table(tmp_path, {})
    expected = table(records, ["policy.green_share.min", "time.days"])
    pd.testing.assert_frame_equal(df, expected)
    assert list(df["point_id"]) == ["p001", "p000"]  # in the order of the sweep's index
    assert df["green_share.min"].tolist() == [0.5, 0.5] and df["green_share.guian"].tolist() == [0.6, 0.8]
    assert df["placement.b"].isna().all() and df["mip_gap"].tolist() == [1e-4, 1e-4]
    assert df["time.days"].tolist() == ['{"n": 6}'] * 2  # non-scalar parameters as JSON text, as in sweep.csv
    # the sweep's own parameter list decides the columns when sweep.json names it
    assert "time.days" not in _records_table(tmp_path, {"parameters": ["policy.green_share.min"]}).columns
