"""The grid as built: ERCOT's DC ties, published DC route lengths, Tibet's interconnections, US curtailment.

Each published figure below is the one cited in the corridor's ``source`` column (docs/data.md lists them); the
tests fail if a row drifts from what its operator published or if a tie is modelled twice.
"""

from __future__ import annotations

import re

import networkx as nx
import pytest

# ERCOT's two DC ties with SPP (ERCOT board, March 2009): North/Oklaunion 220 MW, East/Monticello 600 MW.
ERCOT_SPP_TIES_MW = {"oklaunion": 220.0, "east_monticello": 600.0}
# Share of non-ERCOT Texas kept as AC links: none (ERCOT-only representation, docs/data.md).
NON_ERCOT_AC_MW = 0.0

# Published route lengths (km) of the China DC lines, keyed by line name in the corridor id.
PUBLISHED_DC_KM = {
    "fufeng": 1907,
    "jinsu": 2059,
    "tianzhong": 2192,
    "binjin": 1680,
    "lingshao": 1720,
    "qishao": 2383,
    "yanhuai": 1119,
    "xitai": 1619,
    "zhaqing": 1234,
    "zhaoyi": 1238,
    "jiquan": 3319.2,
    "qingyu": 1563,
    "yazhong_jiangxi": 1696,
    "shanbei_hubei": 1137,
    "baihetan_jiangsu": 2080,
    "baihetan_zhejiang": 2121,
    "ningxia_hunan": 1616,
    "longdong_shandong": 926.4,
    "hami_chongqing": 2290,
    "jinshang_hubei": 1901,
    "xindong": 1959,
    "nuozhadu_guangdong": 1413,
    "kunliulong": 1452,  # the Yunnan -> Guangdong end of the three-terminal line
    "qinghai_tibet": 1038,
}
# Lines whose loss is the NDRC-stated rate (U1/U2), not the length rule.
NDRC_LOSS = {"xindong": 0.045, "yazhong_jiangxi": 0.06, "shanbei_hubei": 0.05}


def _line(cid: str) -> str:
    parts = cid.split(":")
    return parts[2] if len(parts) == 3 else ""


def test_texas_receives_at_most_the_ercot_dc_ties(us):
    t = us.corridor_table
    into_tx = t[t.to_region == "TX"]
    assert set(into_tx.kind) == {"dc_link"}, "ERCOT is not synchronous with its neighbours: no AC edge into TX"
    assert into_tx.capacity_mw.sum() <= sum(ERCOT_SPP_TIES_MW.values()) + NON_ERCOT_AC_MW + 1e-6
    assert {_line(c): float(m) for c, m in zip(into_tx.id, into_tx.capacity_mw, strict=True)} == ERCOT_SPP_TIES_MW
    out_of_tx = t[t.from_region == "TX"]
    assert out_of_tx.capacity_mw.sum() <= sum(ERCOT_SPP_TIES_MW.values()) + NON_ERCOT_AC_MW + 1e-6
    # Blackwater (Clovis NM) joins WECC and SPP inside New Mexico: it never touches ERCOT.
    assert not t.id.str.contains("blackwater").any()
    # every tie row names its source
    assert into_tx.source.str.contains("E1").all()
    # the merged graph agrees, and TX stays reachable both ways
    assert sum(d["capacity_mw"] for _, _, d in us.corridors.in_edges("TX", data=True)) == pytest.approx(820.0)
    assert nx.is_strongly_connected(us.corridors)


@pytest.mark.parametrize("name", ["china", "us"])
def test_no_corridor_counted_twice(name, china, us):
    t = (china if name == "china" else us).corridor_table
    assert t.id.is_unique
    # one row per (direction, line): a DC tie appears once in each direction, with the same rating both ways
    key = t.assign(line=t.id.map(_line))[["from_region", "to_region", "line"]]
    assert not key.duplicated().any()
    dc = t[t.kind.isin(["dc_link", "hvdc"])]
    for line, g in dc.groupby(dc.id.map(_line)):
        assert len(g) == 2, line
        a, b = g.iloc[0], g.iloc[1]
        assert (a.from_region, a.to_region) == (b.to_region, b.from_region), line
        assert a.capacity_mw == b.capacity_mw, line
    # an AC pair is never modelled alongside a DC tie between the same two regions (the ERCOT double count)
    if name == "us":
        ac_pairs = set(zip(t[t.kind == "ac_transfer"].from_region, t[t.kind == "ac_transfer"].to_region, strict=True))
        for r in t[t.kind == "dc_link"].itertuples():
            if "TX" in (r.from_region, r.to_region):
                assert (r.from_region, r.to_region) not in ac_pairs, r.id


def test_dc_route_lengths_match_published_figures(china):
    t = china.corridor_table
    dc = t[t.kind.isin(["uhv_dc", "hvdc"])]
    seen = set()
    for r in dc.itertuples():
        line = _line(r.id)
        if line == "kunliulong" and r.to_region == "guangxi":
            continue  # the Guangxi leg's length is not published separately
        assert line in PUBLISHED_DC_KM, f"{r.id}: DC line without a published route length"
        km = PUBLISHED_DC_KM[line]
        assert abs(r.length_km - km) <= 0.05 * km, (r.id, r.length_km, km)
        assert f"{km:,g}" in r.source or f"{km:,.1f}" in r.source, (r.id, "route length not cited in source")
        expected = NDRC_LOSS.get(line, round(0.03 * r.length_km / 1000 + 0.01, 4))
        assert r.loss_fraction == pytest.approx(expected, abs=1e-4), r.id
        seen.add(line)
    assert seen == set(PUBLISHED_DC_KM)
    # the example of the issue: Jiuquan-Hunan is 2,383 km, not the 1,404 km capital-to-capital distance
    qishao = t[t.id.str.endswith(":qishao")].iloc[0]
    assert qishao.length_km == 2383 and qishao.loss_fraction == pytest.approx(0.0815)


def test_tibet_corridors_are_exactly_the_published_interconnections(china):
    t = china.corridor_table
    tib = t[(t.from_region == "tibet") | (t.to_region == "tibet")]
    pairs = {frozenset((r.from_region, r.to_region)) for r in tib.itertuples()}
    # Qinghai-Tibet +-400 kV DC (2011) and Sichuan-Tibet 500 kV AC (2014); the central-Tibet (2018) and Ali (2020)
    # projects are internal to Tibet. No Xinjiang-Tibet or Yunnan-Tibet interconnection exists.
    assert pairs == {frozenset(("qinghai", "tibet")), frozenset(("sichuan", "tibet"))}
    assert len(tib) == 4
    qt = tib[tib.id.str.endswith(":qinghai_tibet")]
    assert set(qt.kind) == {"hvdc"} and set(qt.length_km) == {1038} and set(qt.in_service) == {2011}
    assert set(qt.capacity_mw) == {600}
    st = tib[tib.kind == "ac_tie"]
    assert set(st.length_km) == {1009.2} and set(st.in_service) == {2014}
    assert st.loss_fraction.eq(round(0.05 * 1.0092, 4)).all()
    assert tib.source.str.contains(r"^T[12] ", regex=True).all()


def test_us_curtailment_in_range_and_sourced(us):
    r = us.regions.set_index("id")
    for col in ("wind_utilisation", "solar_utilisation"):
        assert r[col].between(0.8, 1.0).all(), col
    # published: CAISO 2023 (solar 6.1 %, wind 1.1 % curtailed), ERCOT 2022 (wind 5 %, solar 9 %)
    assert (r.at["CA", "wind_utilisation"], r.at["CA", "solar_utilisation"]) == (0.989, 0.939)
    assert (r.at["TX", "wind_utilisation"], r.at["TX", "solar_utilisation"]) == (0.95, 0.91)
    assert "CU1:" in r.at["CA", "source"] and "CU2:" in r.at["TX", "source"]
    # every value below 1 names a source key; every value of 1 is flagged an estimate
    for rid, row in r.iterrows():
        for col in ("wind_utilisation", "solar_utilisation"):
            if row[col] < 1.0:
                assert re.search(r"CU[123]:", row["source"]), (rid, col)
            else:
                assert "est:" in row["source"] and ("utilisation1" in row["source"]), (rid, col)
    spp_miso = r[r.nerc_area.isin(["SPP", "MISO"])]
    assert spp_miso.wind_utilisation.eq(0.973).all()
    assert spp_miso.source.str.contains("est:wind_utilisation").all()


def test_us_hydro_filled_from_eia860(us):
    r = us.regions.set_index("id")
    assert r.hydro_gw.sum() == pytest.approx(102.6, abs=0.5)  # EIA-860 2023 48-state sum, docs/data.md
    assert r.at["WA", "hydro_gw"] > 20 and r.at["CA", "hydro_gw"] > 10
    assert (r.hydro_gw >= 0).all()
