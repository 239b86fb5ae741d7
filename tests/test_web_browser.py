"""The web app in headless Chromium (Playwright driving the system's /usr/bin/chromium): edit a form field and see
the inline error, fix it, submit, watch the status change to done, open the map, compare two runs, move a slider
of the policy explorer.

The app runs on uvicorn in a thread of the test process, on a free loopback port, with one in-process worker.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi")
playwright_api = pytest.importorskip("playwright.sync_api")

from tests.conftest import scenario_dict  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no headless Chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    import uvicorn

    from gridsite.web import ServeConfig, create_app

    port = _free_port()
    cfg = ServeConfig(data=tmp_path_factory.mktemp("webui"), port=port, workers=0).check()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    end = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < end, "the app did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    t.join(timeout=60)


@pytest.fixture(scope="module")
def page(base_url):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.errors = errors  # type: ignore[attr-defined]
        yield pg
        browser.close()


def _submit_tiny(page, base_url: str, name: str) -> str:
    """Paste a tiny scenario into the editor, break a field in the form, see the error, fix it, submit."""
    page.goto(f"{base_url}/new")
    page.fill("#yaml", yaml.safe_dump(scenario_dict(name=name), sort_keys=False))
    page.dispatch_event("#yaml", "input")
    quota = page.locator('[data-path="policy.green_share.min"]')
    playwright_api.expect(quota).to_have_value("0.8", timeout=15_000)  # the form follows the YAML
    quota.fill("1.7")
    quota.dispatch_event("change")
    err = page.locator('[data-err="policy.green_share.min"]')
    playwright_api.expect(err).to_contain_text("1", timeout=15_000)
    playwright_api.expect(page.locator("#problems")).to_contain_text("policy.green_share.min")
    assert "min: 1.7" in page.input_value("#yaml")  # the form edits the YAML
    quota.fill("0.9")
    quota.dispatch_event("change")
    playwright_api.expect(err).to_have_text("", timeout=15_000)
    playwright_api.expect(page.locator("#ok")).to_contain_text("valid")
    page.click("#submit")
    page.wait_for_url("**/runs/*", timeout=15_000)
    return page.url.rsplit("/", 1)[1]


def test_edit_submit_watch_and_open_the_map(page, base_url):
    run_id = _submit_tiny(page, base_url, "browser-a")
    seen = {page.text_content("#status")}
    end = time.monotonic() + 240
    while "done" not in seen and time.monotonic() < end:
        try:
            seen.add(page.text_content("#status", timeout=2000) or "")
        except playwright_api.Error:  # the page reloads when the run ends
            pass
        time.sleep(0.2)
    assert "done" in seen, seen
    assert seen & {"queued", "running"}, f"never saw the run waiting or running: {seen}"
    playwright_api.expect(page.locator("#kpis")).to_contain_text("total cost")
    frame = page.frame_locator("#map")
    playwright_api.expect(frame.locator(".plot-container")).to_be_visible(timeout=30_000)
    assert page.locator("#files a", has_text="results.gpkg").count() == 1
    assert not page.errors, page.errors  # type: ignore[attr-defined]
    page.goto(f"{base_url}/runs/{run_id}/files/siting_map.html")
    playwright_api.expect(page.locator(".plot-container").first).to_be_visible(timeout=30_000)


def test_compare_two_runs(page, base_url):
    second = _submit_tiny(page, base_url, "browser-b")
    page.wait_for_selector("#kpis", timeout=240_000)
    page.goto(base_url + "/")
    page.locator('#runs input[name="a"]').nth(1).check()
    page.locator(f'#runs tr[data-id="{second}"] input[name="b"]').check()
    page.click("#compare-btn")
    playwright_api.expect(page.locator("h1")).to_contain_text("Comparison", timeout=30_000)
    assert "Placement moves" in page.content()


def test_policy_explorer_slider(page, base_url):
    base = page.request.post(f"{base_url}/api/runs", data=scenario_dict(name="sweep-base")).json()["id"]
    sweep = {"name": "explore", "base": base, "parameters": {"policy.green_share.min": [0.3, 0.95]}}
    r = page.request.post(f"{base_url}/api/sweeps", data=yaml.safe_dump(sweep),
                          headers={"Content-Type": "application/x-yaml"})
    assert r.status == 202
    sid = r.json()["id"]
    page.goto(f"{base_url}/runs/{sid}")
    page.wait_for_selector("#explore", timeout=240_000)
    page.click("#explore")
    playwright_api.expect(page.locator("#val-0")).to_have_text("0.3")
    shown0 = (page.text_content("#pt-cost"), page.text_content("#pt-em"))
    map0 = page.get_attribute("#pt-map", "src")
    slider = page.locator('#sliders input[type="range"]')
    slider.fill("1")  # a range input: Playwright sets the value and fires input
    playwright_api.expect(page.locator("#val-0")).to_have_text("0.95")
    assert (page.text_content("#pt-cost"), page.text_content("#pt-em")) != shown0
    assert page.get_attribute("#pt-map", "src") != map0
    playwright_api.expect(page.frame_locator("#pt-map").locator(".plot-container")).to_be_visible(timeout=30_000)
