"""GPU demand model."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.demand import diurnal_shape, estimate, gpu_catalogue, it_mw_from_gpus, peak_factor


def test_catalogue_has_required_gpus_with_sources():
    cat = gpu_catalogue()
    for g in ("H100", "H200", "B200", "GB200_NVL72", "A100", "Ascend_910B"):
        assert g in cat.index
        assert cat.loc[g, "server_w_per_gpu"] >= cat.loc[g, "board_w"]
        assert len(str(cat.loc[g, "source"])) > 20


def test_h100_cluster_power():
    # 100,000 GPUs × 1,275 W × 0.75 = 95.625 MW IT
    assert it_mw_from_gpus(100_000, "H100") == pytest.approx(95.625)
    d = estimate(100_000, "h100", pue=1.2, utilisation=1.0)
    assert d.it_mw == pytest.approx(127.5)
    assert d.facility_mw == pytest.approx(153.0)
    assert d.energy_gwh == pytest.approx(153.0 * 8.76)


def test_unknown_gpu():
    with pytest.raises(KeyError):
        it_mw_from_gpus(10, "TPUv9")


def test_shapes_have_mean_one():
    h = np.arange(24)
    assert diurnal_shape(h, "training").mean() == pytest.approx(1.0)
    assert diurnal_shape(h, "inference").mean() == pytest.approx(1.0)
    assert peak_factor("inference") == pytest.approx(1.25, abs=0.01)
    assert int(np.argmax(diurnal_shape(h, "inference"))) in (19, 20)
