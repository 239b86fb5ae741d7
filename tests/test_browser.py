"""The HTML siting map opened from disk in headless Chromium: it renders with no network access, no console
errors and no request leaving the page; hover tooltips and legend toggles work.

Chromium is driven through the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (file descriptors 3
and 4, NUL-separated JSON), so no websocket package is needed. Skipped when ``chromium`` is not installed
(Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rendering import maps

CHROMIUM = shutil.which("chromium")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "maps"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"),
]

#: URL schemes a self-contained page may load from
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


class Chrome:
    """Headless Chromium with a minimal DevTools Protocol client over a pipe."""

    def __init__(self, user_data_dir: Path, width: int = 1200, height: int = 800):
        to_chrome_r, self._w = os.pipe()  # Chromium reads commands on fd 3 …
        self._r, from_chrome_w = os.pipe()  # … and writes replies and events on fd 4

        def child_fds() -> None:  # runs in the child between fork and exec
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-quic",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # were anything requested, it resolves nowhere
            f"--user-data-dir={user_data_dir}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            args,
            preexec_fn=child_fds,  # only dup/dup2 calls between fork and exec
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        self.width, self.height = width, height

    # -- protocol ---------------------------------------------------------------------------------------------

    def _read(self, timeout: float) -> list[dict[str, Any]]:
        ready, _, _ = select.select([self._r], [], [], max(timeout, 0.0))
        if not ready:
            return []
        chunk = os.read(self._r, 1 << 20)
        if not chunk:
            raise RuntimeError(f"Chromium closed the DevTools pipe (exit code {self.proc.poll()})")
        self._buf += chunk
        messages = []
        while b"\0" in self._buf:
            raw, self._buf = self._buf.split(b"\0", 1)
            messages.append(json.loads(raw))
        return messages

    def send(self, method: str, params: dict | None = None, *, page: bool = True, timeout: float = 15.0) -> dict:
        """Send a command (to the page session unless ``page=False``) and return its result."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if page and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for m in self._read(end - time.monotonic()):
                if m.get("id") == self._id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)
        raise TimeoutError(f"no reply to {method} within {timeout} s")

    def wait_event(self, method: str, timeout: float = 15.0) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in self.events:
                if e.get("method") == method:
                    return e
            self.events.extend(self._read(min(0.2, end - time.monotonic())))
        raise TimeoutError(f"no {method} within {timeout} s")

    def evaluate(self, expression: str) -> Any:
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression!r} raised {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        """Poll a JavaScript expression until it is truthy; return its value."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"{expression!r} still false after {timeout} s")

    # -- page -------------------------------------------------------------------------------------------------

    def open(self, path: Path) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, page=False)[
            "sessionId"
        ]
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_event("Page.loadEventFired")

    def page_events(self, method: str) -> list[dict]:
        return [e["params"] for e in self.events if e.get("method") == method and e.get("sessionId") == self.session]

    def screenshot(self) -> np.ndarray:
        from matplotlib import image as mpimg

        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        return mpimg.imread(io.BytesIO(data), format="png")

    def mouse(self, kind: str, x: float, y: float) -> None:
        params: dict[str, Any] = {"type": kind, "x": x, "y": y}
        if kind in ("mousePressed", "mouseReleased"):
            params.update(button="left", clickCount=1)
        self.send("Input.dispatchMouseEvent", params)

    def close(self) -> None:
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def chrome(tmp_path):
    c = Chrome(tmp_path / "chromium-profile")
    try:
        yield c
    finally:
        c.close()


def problems(c: Chrome) -> dict[str, list[str]]:
    """External requests and console errors the page produced so far."""
    requests = [p["request"]["url"] for p in c.page_events("Network.requestWillBeSent")]
    external = [u for u in requests if not u.startswith(LOCAL_SCHEMES)]
    errors = [json.dumps(p["exceptionDetails"])[:300] for p in c.page_events("Runtime.exceptionThrown")]
    errors += [
        f"console.{p['type']}: {json.dumps(p.get('args'))[:300]}"
        for p in c.page_events("Runtime.consoleAPICalled")
        if p["type"] in ("error", "assert")
    ]
    errors += [
        f"{p['entry']['source']}: {p['entry']['text']} {p['entry'].get('url', '')}"
        for p in c.page_events("Log.entryAdded")
        if p["entry"]["level"] == "error"
    ]
    return {"external_requests": external, "console_errors": errors, "requests": requests}


def assert_rendered(c: Chrome, n_regions: int) -> None:
    # base layer + choropleth: two paths per region
    try:
        c.wait_for(f"document.querySelectorAll('#gridsite-map .choroplethlocation').length >= {2 * n_regions}")
        c.wait_for("document.querySelectorAll('#gridsite-map .legend .traces').length >= 4")
    except TimeoutError as exc:
        found = problems(c)
        raise AssertionError(
            f"map not rendered ({exc}); console errors: {found['console_errors']}; "
            f"external requests: {found['external_requests']}"
        ) from exc
    x, y, w, h = c.evaluate(
        "(() => { const b = document.querySelector('#gridsite-map .choroplethlayer').getBoundingClientRect();"
        " return [b.x, b.y, b.width, b.height]; })()"
    )
    # the map is fitted to the window, not drawn at world scale (as plotly does when fitbounds fails)
    assert w > 0.3 * c.width and h > 0.4 * c.height, f"map drawn too small: {w:.0f} x {h:.0f} px"
    shot = c.screenshot()
    assert shot.shape[:2] == (c.height, c.width)
    rgb = (shot[..., :3] * 255).round().astype(int)
    non_white = (np.abs(rgb - 255).max(axis=-1) > 10).mean()
    assert non_white > 0.08, f"screenshot nearly blank ({non_white:.1%} non-white pixels)"
    crop = rgb[int(y) : int(y + h), int(x) : int(x + w)]
    filled = (np.abs(crop - 255).max(axis=-1) > 10).mean()
    assert filled > 0.25, f"regions not painted ({filled:.1%} of the map box)"
    colours = np.unique(rgb.reshape(-1, 3) // 16, axis=0)
    assert len(colours) > 20, "screenshot has too few colours to be a map"


def marker_box(c: Chrome, rgb: str) -> tuple[float, float, float, float]:
    """Screen box (x, y, width, height) of the first scattergeo marker with fill ``rgb`` (``rgb(215, 48, 31)``)."""
    box = c.wait_for(
        "(() => { const p = [...document.querySelectorAll('#gridsite-map .geo path.point')]"
        f".find(e => getComputedStyle(e).fill === '{rgb}');"
        " if (!p) return null; const b = p.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; })()"
    )
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def hex_to_css(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_china_html_map_offline_hover_and_toggle(chrome, china, tmp_path):
    tables, summary = maps.read_run(FIXTURES / "china_run")
    page = maps.interactive_map(china, tables, summary, tmp_path / "siting_map.html")
    chrome.open(page)
    assert_rendered(chrome, len(china.regions))

    # hover tooltip over the training clusters' circle at Zhongwei (off its centre, where the smaller hub
    # marker underneath would be the closest point)
    bx, by, bw, bh = marker_box(chrome, hex_to_css(maps.WORKLOAD_COLOURS["training"]))
    assert bw > 20  # 300 MW: a large circle
    x, y = bx + bw / 2, by + bh * 0.8
    chrome.mouse("mouseMoved", x - 2, y - 2)
    chrome.mouse("mouseMoved", x, y)
    tip = chrome.wait_for(
        "(() => { const t = document.querySelector('#gridsite-map .hoverlayer .hovertext');"
        " return t ? t.textContent : null; })()"
    )
    assert "train-a" in tip and "train-b" in tip and "MW" in tip

    # clicking the legend entry hides the layer (plotly sets the trace to 'legendonly')
    legend = chrome.evaluate(
        "(() => { const items = [...document.querySelectorAll('#gridsite-map .legend .traces')];"
        " const it = items.find(e => e.textContent.startsWith('Training cluster'));"
        " const b = it.querySelector('.legendtoggle').getBoundingClientRect();"
        " return [b.x + b.width / 2, b.y + b.height / 2]; })()"
    )
    chrome.mouse("mouseMoved", legend[0], legend[1])
    chrome.mouse("mousePressed", legend[0], legend[1])
    chrome.mouse("mouseReleased", legend[0], legend[1])
    visible = chrome.wait_for(
        "(() => { const gd = document.getElementById('gridsite-map');"
        " const t = gd.data.find(d => d.legendgroup === 'placed-training');"
        " return t.visible === 'legendonly' ? 'legendonly' : null; })()",
        timeout=5,
    )
    assert visible == "legendonly"

    found = problems(chrome)
    assert found["requests"] and all(u.startswith("file:") for u in found["requests"][:1])
    assert found["external_requests"] == []
    assert found["console_errors"] == []


def test_us_html_map_offline_and_quantity_switch(chrome, us, tmp_path):
    tables, summary = maps.read_run(FIXTURES / "us_run")
    page = maps.interactive_map(us, tables, summary, tmp_path / "siting_map.html", quantity="ef_t_per_mwh")
    chrome.open(page)
    assert_rendered(chrome, len(us.regions))
    # switch the region colouring through the drop-down's restyle, as a click on a button does
    title = chrome.evaluate(
        "(() => { const gd = document.getElementById('gridsite-map');"
        " const b = gd.layout.updatemenus[0].buttons[0];"
        " return Plotly.restyle(gd, b.args[0], b.args[1]).then(() => gd.data[1].name); })()"
    )
    assert title == "Regions: Added data-centre load"
    found = problems(chrome)
    assert found["external_requests"] == []
    assert found["console_errors"] == []


def wait_charts(c: Chrome, n: int) -> None:
    """Wait until the page's ``n`` plotly charts are drawn (plotly sets ``_fullLayout`` on a drawn chart)."""
    try:
        c.wait_for(
            "(() => { const d = [...document.querySelectorAll('.plotly-graph-div')];"
            f" return d.length === {n} && d.every(g => g._fullLayout && g.querySelector('.main-svg')); }})()"
        )
    except TimeoutError as exc:
        found = problems(c)
        raise AssertionError(
            f"charts not drawn ({exc}); console errors: {found['console_errors']}; "
            f"external requests: {found['external_requests']}"
        ) from exc


def assert_not_blank(c: Chrome, share: float = 0.05) -> None:
    rgb = (c.screenshot()[..., :3] * 255).round().astype(int)
    non_white = (np.abs(rgb - 255).max(axis=-1) > 10).mean()
    assert non_white > share, f"screenshot nearly blank ({non_white:.1%} non-white pixels)"
    assert len(np.unique(rgb.reshape(-1, 3) // 16, axis=0)) > 8, "screenshot has almost no colours"


def test_run_report_offline(chrome, china, tmp_path):
    from rendering import report

    from .test_report import make_run

    page = report.write_report(make_run(tmp_path), region_set=china)
    chrome.open(page)
    wait_charts(chrome, 4)  # the interactive map and three charts
    assert_not_blank(chrome)  # the top of the page: header, key figures, run and policy tables
    # the embedded static map decoded
    assert chrome.wait_for(
        "(() => { const i = document.querySelector('img'); return i.complete && i.naturalWidth >= 1800; })()"
    )
    # bars drawn in the charts (green shares, cost breakdown, emissions)
    assert chrome.evaluate("document.querySelectorAll('.plotly-graph-div .bars path').length") >= 8
    # the interactive map, scrolled into view, renders like the stand-alone one
    chrome.evaluate("document.getElementById('gridsite-map').scrollIntoView({block: 'end'})")
    assert_rendered(chrome, len(china.regions))
    found = problems(chrome)
    assert found["requests"] and found["requests"][0].startswith("file:")
    assert found["external_requests"] == []
    assert found["console_errors"] == []


def test_sweep_and_pareto_reports_offline(chrome, tmp_path):
    from rendering import report

    from .test_report import make_pareto, make_sweep

    for folder, n in ((make_sweep(tmp_path), 3), (make_pareto(tmp_path), 2)):
        chrome.open(report.write_report(folder))
        wait_charts(chrome, n)
        # lines or bars drawn in every chart
        drawn = chrome.evaluate(
            "[...document.querySelectorAll('.plotly-graph-div')]"
            ".map(g => g.querySelectorAll('.scatterlayer .trace, .barlayer .trace').length)"
        )
        assert all(k > 0 for k in drawn), drawn
        chrome.evaluate("document.querySelector('.plotly-graph-div').scrollIntoView()")
        assert_not_blank(chrome)  # the first chart in view
        found = problems(chrome)
        assert found["external_requests"] == []
        assert found["console_errors"] == []
