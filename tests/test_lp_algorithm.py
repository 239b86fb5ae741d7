"""The LP algorithm chosen per model class: interior point for hourly-scale models (``solve.lp_algorithm``)."""

from __future__ import annotations


def test_hourly_models_get_interior_point_unless_the_scenario_chooses():
    from types import SimpleNamespace

    from optimizer.model.solve import IPX_SLICES, lp_algorithm

    def md(n: int, fixed=None):
        return SimpleNamespace(slices=SimpleNamespace(n=n), fixed=fixed)

    assert lp_algorithm(md(336), None) == (None, None)  # typical days: HiGHS's default
    assert lp_algorithm(md(IPX_SLICES), {"presolve": "off"}) == ({"presolve": "off"}, None)
    opts, note = lp_algorithm(md(8760), {"presolve": "off"})
    assert opts == {"presolve": "off", "mip_lp_solver": "ipx"}
    assert note is not None and "8,760 time slices" in note
    opts, _ = lp_algorithm(md(8760, fixed={("g", "s"): 1}), None)  # a fixed plan is an LP
    assert opts == {"solver": "ipx"}
    own = {"mip_lp_solver": "simplex"}
    assert lp_algorithm(md(8760), own) == (own, None)  # the scenario's own choice wins
    assert lp_algorithm(md(8760), {"solver": "pdlp"}) == ({"solver": "pdlp"}, None)
