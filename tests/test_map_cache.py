"""The maps' base scene (rendering.maps.base): what depends on the region set alone is computed once, cached in
gridsite's cache folder and reused, and the maps are the same bytes with a cold cache, a warm cache and the cache
off; a stale or corrupt entry is recomputed, never used and never an error.

The fixture runs are those of tests/test_maps.py (three China clusters with flows and certificates; a small US run).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import warnings
from pathlib import Path

import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from shapely import affinity

from rendering import maps
from rendering.maps import base as map_base
from rendering.maps import static as static_mod

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "maps"


@pytest.fixture(scope="module")
def china_run():
    return maps.read_run(FIXTURES / "china_run")


@pytest.fixture(scope="module")
def us_run():
    return maps.read_run(FIXTURES / "us_run")


def use_cache(monkeypatch, folder: Path | str) -> None:
    """Point gridsite's cache folder at ``folder`` (``"off"``: no cache) and forget the bases of this process."""
    monkeypatch.setenv("GRIDSITE_CACHE_DIR", str(folder))
    map_base.clear_memo()


def draw(region_set, run, out: Path, kinds=("png", "svg", "html")) -> dict[str, bytes]:
    """The maps of ``run`` in each of ``kinds`` (``html-zh``: the Chinese HTML map), as bytes."""
    tables, summary = run
    out.mkdir(parents=True, exist_ok=True)
    got = {}
    for kind in kinds:
        fmt, _, lang = kind.partition("-")
        path = out / f"map-{lang or 'en'}.{fmt}"
        if fmt == "html":
            maps.interactive_map(region_set, tables, summary, path, lang=lang or "en")
        else:
            maps.static_map(region_set, tables, summary, path, lang=lang or "en")
        got[kind] = path.read_bytes()
    return got


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "maps").glob("*.json"))


def no_compute(monkeypatch) -> None:
    """Make computing a base fail: what follows must come from the cache."""

    def boom(*args, **kwargs):
        raise AssertionError("the base scene was computed although the cache holds it")

    monkeypatch.setattr(map_base, "_compute_static", boom)
    monkeypatch.setattr(map_base, "_compute_html", boom)


# ----------------------------------------------------------------------------------------------------------------
# the same bytes with a cold cache, a warm cache and the cache off
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("set_name", "kinds"),
    [("china", ("png", "svg", "html", "html-zh")), ("us", ("png", "html"))],
)
def test_maps_identical_cold_warm_and_off(request, set_name, kinds, tmp_path, monkeypatch):
    region_set = request.getfixturevalue(set_name)
    run = request.getfixturevalue(f"{set_name}_run")
    use_cache(monkeypatch, "off")
    off = draw(region_set, run, tmp_path / "off", kinds)
    assert not (tmp_path / "cache").exists()

    use_cache(monkeypatch, tmp_path / "cache")
    cold = draw(region_set, run, tmp_path / "cold", kinds)
    stored = entries(tmp_path / "cache")
    assert sorted(p.name.rsplit("-", 1)[1] for p in stored) == ["html.json", "static.json"]

    map_base.clear_memo()  # a new process: the bases come from the files
    no_compute(monkeypatch)
    warm = draw(region_set, run, tmp_path / "warm", kinds)
    for kind in kinds:
        assert cold[kind] == off[kind], kind
        assert warm[kind] == off[kind], kind
    assert entries(tmp_path / "cache") == stored


def test_one_entry_per_region_set_and_kind_whatever_the_run_or_language(china, china_run, tmp_path, monkeypatch):
    """The base holds nothing of a run or a language: other results, quantities and languages reuse it."""
    use_cache(monkeypatch, tmp_path / "cache")
    draw(china, china_run, tmp_path / "a", ("png", "html"))
    stored = entries(tmp_path / "cache")
    map_base.clear_memo()
    no_compute(monkeypatch)
    tables, summary = china_run
    maps.static_map(china, {}, {}, tmp_path / "empty.png", quantity="price_per_mwh")
    maps.interactive_map(china, tables, summary, tmp_path / "zh.html", quantity="green_share", lang="zh")
    assert entries(tmp_path / "cache") == stored


# ----------------------------------------------------------------------------------------------------------------
# stale and corrupt entries
# ----------------------------------------------------------------------------------------------------------------


def shrunk(region_set, region_id: str):
    """A copy of ``region_set`` with one region's polygon shrunk to 60 % around its centroid."""
    regions = region_set.regions.copy()
    i = regions.index[regions["id"] == region_id][0]
    regions.loc[i, "geometry"] = affinity.scale(regions.geometry[i], 0.6, 0.6, origin="centroid")
    return dataclasses.replace(region_set, regions=regions)


def test_a_changed_region_set_does_not_use_the_entry_of_the_old_one(china, china_run, tmp_path, monkeypatch):
    """Same set name, same ids, one polygon changed: the maps equal those drawn without a cache, not the old ones
    (a key without the polygons would reuse the old entry)."""
    changed = shrunk(china, "hubei")
    use_cache(monkeypatch, "off")
    expected = draw(changed, china_run, tmp_path / "off")
    use_cache(monkeypatch, tmp_path / "cache")
    old = draw(china, china_run, tmp_path / "old")
    map_base.clear_memo()
    got = draw(changed, china_run, tmp_path / "changed")
    for kind in got:
        assert got[kind] != old[kind], kind
        assert got[kind] == expected[kind], kind
    assert len(entries(tmp_path / "cache")) == 4  # the old set's two entries and the changed set's two


def test_key_covers_inputs_code_and_libraries(china, us, tmp_path, monkeypatch):
    key = map_base.base_key(china, "static")
    assert key == map_base.base_key(china, "static")
    assert key != map_base.base_key(china, "html")
    assert key != map_base.base_key(us, "static")
    assert key != map_base.base_key(shrunk(china, "hubei"), "static")
    meta = {**china.meta, "boundaries": {"package": "libpysal"}}
    assert key != map_base.base_key(dataclasses.replace(china, meta=meta), "static")
    # the code: any module of rendering/maps
    code = tmp_path / "maps"
    shutil.copytree(map_base._MAPS_DIR, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(map_base, "_MAPS_DIR", code)
    assert map_base.base_key(china, "static") == key
    with (code / "territory.py").open("a") as fh:
        fh.write("\n# changed\n")
    assert map_base.base_key(china, "static") != key
    monkeypatch.undo()
    # a library's version
    real = map_base._version
    monkeypatch.setattr(map_base, "_version", lambda p: "0.0" if p == "shapely" else real(p))
    assert map_base.base_key(china, "static") != key


def broken_content(text: str) -> str:
    """The entry with a field of the wrong content: a geometry that is no WKB (static), territory traces with
    unknown fields (html)."""
    doc = json.loads(text)
    if doc["kind"] == "static":
        doc["data"]["regions"] = ["zz"] * len(doc["data"]["regions"])
    else:
        doc["data"]["territory"] = {"geo": {"x": 1}}
    return json.dumps(doc)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "not json at all",
        lambda text: text.replace('"key": "', '"key": "0', 1),  # another key
        lambda text: json.dumps({**json.loads(text), "data": {"crs": 1}}),  # fields missing
        broken_content,
    ],
)
def test_a_corrupt_entry_is_recomputed_and_replaced(damage, china, china_run, tmp_path, monkeypatch):
    use_cache(monkeypatch, tmp_path / "cache")
    good = draw(china, china_run, tmp_path / "good", ("png", "html"))
    stored = {p: p.read_text(encoding="utf-8") for p in entries(tmp_path / "cache")}
    for p, text in stored.items():
        p.write_text(damage(text), encoding="utf-8")
    map_base.clear_memo()
    again = draw(china, china_run, tmp_path / "again", ("png", "html"))
    assert again == good
    assert {p: p.read_text(encoding="utf-8") for p in entries(tmp_path / "cache")} == stored


def test_an_unwritable_cache_folder_is_no_error(china, china_run, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    use_cache(monkeypatch, blocker / "cache")
    tables, summary = china_run
    assert maps.static_map(china, tables, summary, tmp_path / "m.png").stat().st_size > 30_000


# ----------------------------------------------------------------------------------------------------------------
# nothing computed that is not written
# ----------------------------------------------------------------------------------------------------------------


def test_static_map_renders_the_figure_once(china, china_run, tmp_path, monkeypatch):
    """geopandas asks for a redraw after every layer; none of those renderings would be written."""
    calls = []
    real = FigureCanvasAgg.draw

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FigureCanvasAgg, "draw", counted)
    tables, summary = china_run
    maps.static_map(china, tables, summary, tmp_path / "m.png")
    assert len(calls) == 1


@pytest.mark.parametrize("set_name", ["china", "us"])
def test_static_map_same_bytes_as_with_every_redraw(request, set_name, tmp_path, monkeypatch):
    """Skipping the intermediate renderings changes nothing that is written: the map is the same bytes as when
    the canvas renders the figure after every layer (the inset's place on the page included)."""
    region_set = request.getfixturevalue(set_name)
    tables, summary = request.getfixturevalue(f"{set_name}_run")
    use_cache(monkeypatch, tmp_path / "cache")
    quiet = maps.static_map(region_set, tables, summary, tmp_path / "quiet.svg").read_bytes()
    monkeypatch.setattr(static_mod._QuietCanvas, "draw_idle", FigureCanvasAgg.draw_idle)
    redrawn = maps.static_map(region_set, tables, summary, tmp_path / "redrawn.svg").read_bytes()
    assert quiet == redrawn


def test_written_page_is_plotlys_serialisation_of_the_figure(china, china_run, tmp_path):
    """The page puts the base's JSON text where plotly wrote placeholders: the figure's data is exactly what
    plotly writes for the figure :func:`interactive_figure` returns (which holds the parsed GeoJSON)."""
    tables, summary = china_run
    page = maps.interactive_map(china, tables, summary, tmp_path / "m.html", lang="zh").read_text(encoding="utf-8")
    fig = maps.interactive_figure(china, tables, summary, lang="zh")
    config = {
        "displaylogo": False,
        "responsive": True,
        "scrollZoom": True,
        "toImageButtonOptions": {"format": "png", "filename": "m", "scale": 2},
    }
    div = fig.to_html(
        full_html=False,
        include_plotlyjs=True,
        config=config,
        default_width="100%",
        default_height="100%",
        div_id="gridsite-map",
        validate=True,
    )
    assert f"<body>\n{div}\n</body>" in page
    assert "gridsite-base-" not in page
    features = json.loads(map_base.base_scene(china, "html").regions_geojson)["features"]
    assert len(features) == len(china.regions)
    assert shapely.geometry.shape(features[0]["geometry"]).is_valid


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_draw_maps_writes_what_each_map_alone_writes(china, china_run, tmp_path, lang):
    """Both maps from one scene (``gridsite solve``, ``gridsite map``) are the files each map writes alone, also
    in Chinese, where the static map may fall back to English labels (no CJK font) while the HTML map does not."""
    tables, summary = china_run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Chinese without a CJK font: the static map warns and draws English
        both = maps.draw_maps(china, tables, summary, tmp_path / "both", lang=lang)
        png = maps.static_map(china, tables, summary, tmp_path / "alone" / "siting_map.png", lang=lang)
        page = maps.interactive_map(china, tables, summary, tmp_path / "alone" / "siting_map.html", lang=lang)
    assert both == {"png": tmp_path / "both" / "siting_map.png", "html": tmp_path / "both" / "siting_map.html"}
    assert both["png"].read_bytes() == png.read_bytes()
    assert both["html"].read_bytes() == page.read_bytes()
    assert f'<html lang="{lang}">' in page.read_text(encoding="utf-8")
