"""GPU demand model."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.model.demand import (
    NETWORK_STORAGE_SHARE,
    diurnal_shape,
    estimate,
    gpu_catalogue,
    it_design_mw_from_gpus,
    max_utilisation,
    peak_factor,
)


def test_catalogue_has_required_gpus_with_sources():
    cat = gpu_catalogue()
    for g in ("H100", "H200", "B200", "GB200_NVL72", "A100", "Ascend_910B"):
        assert g in cat.index
        assert cat.loc[g, "server_w_per_gpu"] >= cat.loc[g, "board_w"]
        assert len(str(cat.loc[g, "source"])) > 20


def test_h100_cluster_design_and_average_power():
    # 100,000 GPUs × 1,275 W = 127.5 MW of servers, + 15 % networking and storage = 146.6 MW IT design power
    assert NETWORK_STORAGE_SHARE == pytest.approx(0.15)
    assert it_design_mw_from_gpus(100_000, "H100") == pytest.approx(146.625)
    d = estimate(100_000, "h100", pue=1.2)
    assert d.it_design_mw == pytest.approx(146.625)
    assert d.facility_design_mw == pytest.approx(146.625 * 1.2)  # sites, grid connection, adequacy
    assert d.utilisation == pytest.approx(0.75)  # training default
    assert d.facility_average_mw == pytest.approx(146.625 * 1.2 * 0.75)
    assert d.energy_gwh == pytest.approx(146.625 * 1.2 * 0.75 * 8.76)
    inf = estimate(1000, "H100", workload="inference")
    assert inf.utilisation == pytest.approx(0.6)
    assert max_utilisation("inference") == pytest.approx(0.8, abs=2e-3)


def test_unknown_gpu():
    with pytest.raises(KeyError):
        it_design_mw_from_gpus(10, "TPUv9")


def test_shapes_have_mean_one():
    h = np.arange(24)
    assert diurnal_shape(h, "training").mean() == pytest.approx(1.0)
    assert diurnal_shape(h, "inference").mean() == pytest.approx(1.0)
    assert peak_factor("inference") == pytest.approx(1.25, abs=0.01)
    assert int(np.argmax(diurnal_shape(h, "inference"))) in (19, 20)
