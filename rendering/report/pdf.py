"""Printing a report to PDF through headless Chromium (``gridsite report DIR --pdf FILE``).

The page is printed with its own print styles (:data:`rendering.report.page._PRINT_CSS`: A4 landscape, tables
wrapped to the page width, no toolbars, charts kept whole, a running header with the run name and date and page
numbers in the footer). Chromium is looked up as ``$GRIDSITE_CHROMIUM``, then ``chromium``, ``chromium-browser``,
``google-chrome`` and ``google-chrome-stable`` on the ``PATH``; when none is found, :func:`print_pdf` raises a
:class:`~gridsite.errors.ScenarioError` naming ``--pdf`` and what to install (exit 2). The PDF is written to a
temporary file next to the target and moved into place, so an earlier PDF is never left half-written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gridsite.errors import ScenarioError

#: Executables tried, in order, after ``$GRIDSITE_CHROMIUM``.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Bytes at the end of every PDF gridsite prints: ``--pdf`` replaces an existing file only if it carries them (or
#: with ``--force``).
PDF_SIGNATURE = b"Report written by gridsite"

#: Width of the window the charts are laid out in: the content width of an A4 landscape page (277 mm at 96 px per
#: inch is 1047 px), so that the plotly charts drawn on load fit the printed page.
PRINT_WINDOW = (1040, 1400)


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable to print with, or None."""
    env = os.environ.get("GRIDSITE_CHROMIUM")
    if env:
        return shutil.which(env) or (env if os.access(env, os.X_OK) else None)
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html: Path, pdf: Path, *, timeout: float = 180.0) -> Path:
    """Print the HTML file ``html`` to ``pdf`` with headless Chromium; returns ``pdf``.

    Raises :class:`ScenarioError` (exit 2) when no Chromium is found, and :class:`RuntimeError` when Chromium
    fails or writes no PDF (its last lines of output in the message).
    """
    exe = find_chromium()
    if exe is None:
        raise ScenarioError(
            "command line",
            [
                (
                    "--pdf",
                    "no headless Chromium found (looked for $GRIDSITE_CHROMIUM, " + ", ".join(CANDIDATES) + "); "
                    "install it (Debian/Ubuntu: apt-get install chromium) or set GRIDSITE_CHROMIUM to its path, "
                    "or open report.html in a browser and print it to PDF there",
                )
            ],
        )
    pdf = Path(pdf)
    with tempfile.TemporaryDirectory(prefix="gridsite-pdf-") as profile:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{pdf.name}.", suffix=".tmp", dir=pdf.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            args = [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND",  # the report loads nothing from the network
                f"--user-data-dir={profile}",
                f"--window-size={PRINT_WINDOW[0]},{PRINT_WINDOW[1]}",
                "--virtual-time-budget=20000",  # let the charts and the map finish drawing
                "--run-all-compositor-stages-before-draw",
                "--no-pdf-header-footer",  # the page's own running header and footer are printed instead
                f"--print-to-pdf={tmp}",
                Path(html).resolve().as_uri(),
            ]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            if proc.returncode != 0 or tmp.stat().st_size == 0:
                tail = "\n".join((proc.stderr or "").strip().splitlines()[-5:])
                raise RuntimeError(f"Chromium ({exe}) could not print {html} to PDF (exit {proc.returncode}): {tail}")
            with open(tmp, "ab") as fh:  # a comment after %%EOF: readers ignore it, --pdf recognises its own file
                fh.write(b"\n% " + PDF_SIGNATURE + b"\n")
            os.replace(tmp, pdf)
        finally:
            tmp.unlink(missing_ok=True)
    return pdf
