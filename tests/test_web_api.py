"""The web app's API (``gridsite serve``): submit, poll, done on a tiny scenario; 422 with the field path on
broken input; no server-side paths; limits; token; persistence across a restart (a new app on the same data);
runs interrupted by a stop fail with the reason, queued ones resume; a job whose worker is killed fails."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from gridsite.errors import ScenarioError
from gridsite.web import ServeConfig, create_app
from gridsite.web.app import INTERRUPTED
from gridsite.web.jobs import write_state
from gridsite.web.store import RunIndex, RunRow
from tests.conftest import scenario_dict

YAML = {"content-type": "application/x-yaml"}


def wait(client: TestClient, run_id: str, until=("done", "failed"), timeout: float = 240) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        d = client.get(f"/api/runs/{run_id}").json()
        if d["status"] in until:
            return d
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} still {d['status']} after {timeout} s")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def client(data):
    with TestClient(base_url="http://localhost", app=create_app(ServeConfig(data=data, workers=0).check())) as c:
        yield c


@pytest.fixture(scope="module")
def done_run(client) -> dict:
    r = client.post("/api/runs", content=yaml.safe_dump(scenario_dict(name="<b>tiny</b>")), headers=YAML)
    assert r.status_code == 202
    rid = r.json()["id"]
    first = client.get(f"/api/runs/{rid}").json()
    assert first["status"] in ("queued", "running", "done")
    d = wait(client, rid)
    assert d["status"] == "done", d["message"]
    return d


def test_submit_poll_done(client, done_run, data):
    d = done_run
    assert set(d) >= {"id", "status", "summary", "message"}
    s = d["summary"]
    assert s["status"] == "optimal" and s["name"] == "<b>tiny</b>"
    assert set(s["placement"]) == {"a", "b", "c"}
    # the summary is the run folder's summary.json, written by gridsite.write_run
    folder = data / "runs" / d["id"]
    assert json.loads((folder / "summary.json").read_text())["total_cost"] == pytest.approx(s["total_cost"])
    assert d["elapsed_s"] > 0
    listed = client.get("/api/runs").json()
    assert d["id"] in [r["id"] for r in listed]
    assert client.get("/api/runs", params={"status": "failed"}).json() == []


def test_run_page_and_downloads(client, done_run):
    rid = done_run["id"]
    page = client.get(f"/runs/{rid}").text
    assert "<b>tiny</b>" not in page and "&lt;b&gt;tiny&lt;/b&gt;" in page  # escaped
    assert f'src="/runs/{rid}/files/siting_map.html"' in page
    for section in ('id="placement"', 'id="green"', 'id="costs"', 'id="headroom"', 'id="kpis"'):
        assert section in page
    for f in ("results.gpkg", "results.xlsx", "report.html", "summary.json", "assignments.csv", "siting_map.pdf"):
        assert f'/runs/{rid}/files/{f}"' in page
        r = client.get(f"/runs/{rid}/files/{f}")
        assert r.status_code == 200 and len(r.content) > 100, f
    assert client.get(f"/runs/{rid}/files/results.gpkg").content[:15] == b"SQLite format 3"
    assert client.get(f"/runs/{rid}/files/siting_map.pdf").content[:5] == b"%PDF-"
    runs = client.get("/").text
    assert "&lt;b&gt;tiny&lt;/b&gt;" in runs and "<b>tiny</b>" not in runs


@pytest.mark.parametrize(
    "path",
    ["../index.sqlite", "%2e%2e/index.sqlite", "..%2Findex.sqlite", "/etc/passwd", ".state.json"],
)
def test_files_stay_inside_the_run(client, done_run, path):
    assert client.get(f"/runs/{done_run['id']}/files/{path}").status_code == 404
    assert client.get("/runs/..%2f..%2fetc/files/passwd").status_code == 404


def problems(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {p["field"]: p["message"] for p in r.json()["problems"]}


def test_422_names_the_field(client):
    bad = scenario_dict()
    bad["clusters"][0]["mw"] = -5
    p = problems(client.post("/api/runs", json=bad))
    assert "clusters.0.mw" in p and "greater than 0" in p["clusters.0.mw"]
    p = problems(client.post("/api/runs", content=yaml.safe_dump(scenario_dict(objective={"mode": "cheap"})),
                             headers=YAML))
    assert "objective.mode" in p and "cost" in p["objective.mode"]
    p = problems(client.post("/api/runs", content=b"name: a\nname: b\n", headers=YAML))
    assert any("name" in m for m in p.values())
    p = problems(client.post("/api/runs", content=b"{not json", headers={"content-type": "application/json"}))
    assert "invalid JSON" in p[""]
    # the same checks without queueing anything
    before = len(client.get("/api/runs").json())
    assert client.post("/api/validate", json=scenario_dict()).json()["ok"] is True
    assert problems(client.post("/api/validate", json=bad))
    assert len(client.get("/api/runs").json()) == before


def test_no_server_side_paths(client, tmp_path):
    p = problems(client.post("/api/runs", json=scenario_dict(region_set=str(tmp_path))))
    assert "region_set" in p and "china" in p["region_set"]
    p = problems(client.post("/api/runs", json=scenario_dict(region_set="../../geodata/data/china")))
    assert "region_set" in p
    p = problems(client.post("/api/runs", json=scenario_dict(grid={"profiles": {"wind": "/etc/passwd"}})))
    assert "grid.profiles" in p
    p = problems(client.post("/api/sweeps", content=yaml.safe_dump(
        {"name": "s", "base": "/etc/passwd", "parameters": {"policy.carbon_price": [0, 1]}}), headers=YAML))
    assert "base" in p


def test_other_sites_cannot_use_the_app(client, data):
    """Without a token the app answers only to a loopback Host (DNS rebinding) and takes POST bodies only as
    YAML or JSON (a cross-site HTML form cannot send those without the browser asking the app first)."""
    before = len(list((data / "jobs").iterdir()))
    r = client.post("/api/runs", content=yaml.safe_dump(scenario_dict()), headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = client.post("/api/runs", data={"name": "x"})  # application/x-www-form-urlencoded
    assert r.status_code == 415
    assert client.get("/api/runs", headers={"host": "evil.example:8000"}).status_code == 421
    assert client.get("/api/runs", headers={"host": "127.0.0.1:8000"}).status_code == 200
    assert len(list((data / "jobs").iterdir())) == before


def test_upload_and_queue_limits(data):
    cfg = ServeConfig(data=data / "limits", workers=0, max_upload_bytes=2000, max_queued=0).check()
    with TestClient(base_url="http://localhost", app=create_app(cfg)) as c:
        r = c.post("/api/runs", content=b"name: x\n" + b"#" * 3000, headers=YAML)
        assert r.status_code == 413
        r = c.post("/api/runs", json=scenario_dict())
        assert r.status_code == 429


def test_token(tmp_path, monkeypatch):
    monkeypatch.delenv("GRIDSITE_TOKEN", raising=False)
    with pytest.raises(ScenarioError, match="--token"):
        ServeConfig(data=tmp_path, host="0.0.0.0").check()
    monkeypatch.setenv("GRIDSITE_TOKEN", "s3cret-token-0123456789")
    cfg = ServeConfig(data=tmp_path, host="0.0.0.0", workers=0).check()
    assert cfg.token == "s3cret-token-0123456789"
    with TestClient(base_url="http://localhost", app=create_app(cfg)) as c:
        assert c.get("/api/runs").status_code == 401
        assert c.get("/").status_code == 401
        assert c.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/runs", headers={"Authorization": "Bearer s3cret-token-0123456789"}).status_code == 200
        r = c.get("/?token=s3cret-token-0123456789")  # a browser: the cookie then carries it
        assert r.status_code == 200
        assert c.get("/api/runs").status_code == 200


def test_restart_keeps_runs_fails_interrupted_requeues_queued(data, done_run, client):
    """A new app on the same --data: finished runs are kept; a run that was executing when the server stopped
    is failed with the reason; a queued one is solved."""
    index = RunIndex(ServeConfig(data=data).db_url)
    jobs = data / "jobs"
    sc = yaml.safe_dump(scenario_dict(name="was-queued"))
    for rid, name in (("aaaaaaaaaaa1", "was-running"), ("aaaaaaaaaaa2", "was-queued")):
        (jobs / rid).mkdir()
        (jobs / rid / "scenario.yaml").write_text(sc)
        index.add(RunRow(id=rid, name=name, region_set="china", status="queued"))
    write_state(jobs / "aaaaaaaaaaa1", {"status": "running", "started": time.time() - 5})
    with TestClient(base_url="http://localhost", app=create_app(ServeConfig(data=data, workers=0).check())) as c2:
        kept = c2.get(f"/api/runs/{done_run['id']}").json()
        assert kept["status"] == "done" and kept["summary"]["total_cost"] == done_run["summary"]["total_cost"]
        interrupted = c2.get("/api/runs/aaaaaaaaaaa1").json()
        assert interrupted["status"] == "failed" and interrupted["message"] == INTERRUPTED
        resumed = wait(c2, "aaaaaaaaaaa2")
        assert resumed["status"] == "done", resumed["message"]


def test_infeasible_run_fails_with_the_policy_explanation(client):
    sc = scenario_dict(
        name="too-green",
        time={"mode": "annual"},
        sites={"include": ["zhongwei"]},
        policy={"green_share": {"min": 1.0, "applies_to": "all"},
                "certificates": {"cross_region": False, "supply_share": 0.0}},
        grid={"new_renewables": False},
    )
    r = client.post("/api/runs", json=sc)
    assert r.status_code == 202
    d = wait(client, r.json()["id"])
    assert d["status"] == "failed"
    assert d["message"].startswith("infeasible:") and "relaxations" in d["message"]
    assert "grid.new_renewables" in d["message"]  # the policy terms of the CLI, naming the field
    assert d["summary"]["status"] == "infeasible" and d["summary"]["diagnosis"]
    page = client.get(f"/runs/{d['id']}").text
    assert "infeasible:" in page


@pytest.mark.slow
def test_killed_worker_fails_the_run(tmp_path):
    """A worker process killed mid-job (kill -9, out of memory): the run fails with the reason, no retry."""
    with TestClient(base_url="http://localhost", app=create_app(ServeConfig(data=tmp_path, workers=1).check())) as c:
        rid = c.post("/api/runs", json=scenario_dict(name="doomed")).json()["id"]
        wait(c, rid, until=("running",), timeout=120)
        queue = c.app.state.server.queue  # type: ignore[attr-defined]
        pids = queue.client.run(os.getpid)
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
        d = wait(c, rid, timeout=120)
        assert d["status"] == "failed"
        assert "worker" in d["message"] and "died" in d["message"]


def test_sweep_lifecycle_and_explorer_data(client, done_run):
    """A sweep whose base is a stored run: queued → done, its points with cost, emissions and map for the
    explorer; a stricter green quota costs more and emits less (market-based)."""
    sweep = {
        "name": "quota <sweep>",
        "base": done_run["id"],
        "parameters": {"policy.green_share.min": [0.3, 0.95]},
    }
    r = client.post("/api/sweeps", content=yaml.safe_dump(sweep), headers=YAML)
    assert r.status_code == 202 and r.json()["points"] == 2
    d = wait(client, r.json()["id"])
    assert d["status"] == "done", d["message"]
    assert d["kind"] == "sweep"
    data = client.get(f"/api/sweeps/{d['id']}/points").json()
    assert [p["name"] for p in data["parameters"]] == ["policy.green_share.min"]
    assert data["parameters"][0]["values"] == ["0.3", "0.95"]
    lo, hi = ({p["key"][0]: p for p in data["points"]}[k] for k in ("0.3", "0.95"))
    assert hi["total_cost"] > lo["total_cost"] and hi["emissions"] < lo["emissions"]
    for p in data["points"]:
        assert p["status"] == "optimal"
        assert client.get(p["map"]).status_code == 200
    page = client.get(f"/explore/{d['id']}").text
    assert 'type="range"' in page and "quota &lt;sweep&gt;" in page
    assert client.get(f"/explore/{done_run['id']}").status_code == 404  # a single run has no explorer


def test_compare_two_runs(client, done_run, data):
    r = client.post("/api/runs", json=scenario_dict(name="pricier", policy={"green_share": {"min": 0.95,
                                                                                         "applies_to": "hubs"}}))
    other = wait(client, r.json()["id"])
    assert other["status"] == "done", other["message"]
    page = client.get("/compare", params={"a": done_run["id"], "b": other["id"]})
    assert page.status_code == 200 and "Placement moves" in page.text
    assert str(data) not in page.text  # no server path leaks
    assert client.get("/compare", params={"a": done_run["id"], "b": "zzz"}).status_code == 404
