"""GPU demand model: from GPU count × type to IT design power, average load and annual energy.

Two powers describe a cluster, and each is used where it belongs:

- **IT design power** (MW) = GPUs × whole-server power per GPU (W) × (1 + s_net) ÷ 10⁶: every server at full
  load plus the cluster's networking and storage. The whole-server figure is the vendor's maximum system power
  divided by its GPUs (CPUs, memory, NICs, fans included). s_net = ``NETWORK_STORAGE_SHARE``. A scenario's
  ``mw`` is this design power. **Facility design power** = IT design × PUE at design conditions: site capacity,
  grid connection, build cost and every peak (adequacy) constraint use it.
- **Average IT load** = IT design × utilisation (defaults per workload, ``WORKLOAD_UTILISATION``). Energy, the
  cost of energy, emissions and green quotas use the average load and its shape.

Load shapes (means are 1, so annual energy = average load × 8760 h):
- training: flat.
- inference: a diurnal cosine, peak at 20:00 local time, 1 ± 0.25 (ESTIMATE: a generic day/evening request
  curve; measured traces replace it when a user has them). Its peak, average × 1.25, must stay within design
  power, so an inference cluster's utilisation is at most 1 ÷ 1.25 = 0.8.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

INFERENCE_AMPLITUDE = 0.25
INFERENCE_PEAK_HOUR = 20
HOURS_PER_YEAR = 8760

NETWORK_STORAGE_SHARE = 0.15
"""Cluster networking (switches, optics) and storage as a share of server power. ESTIMATE within a published
range: switches and NICs are put at ~5–10 % of IT load in public cluster sizing guides, and SemiAnalysis ("100,000
H100 Clusters", 2024-06) puts a 100k-H100 cluster at ~150 MW critical IT power against 127.5 MW of DGX H100
servers (≈ 18 % more)."""

WORKLOAD_UTILISATION = {"training": 0.75, "inference": 0.6}
"""Average power ÷ design power when a cluster does not give its own (ESTIMATES: training runs keep GPUs busy but
lose time to checkpoints, restarts and jobs between runs; inference follows demand, with the diurnal shape above
its mean peaking at 0.75 of design power)."""


@lru_cache(maxsize=1)
def gpu_catalogue() -> pd.DataFrame:
    """The bundled GPU catalogue (one row per GPU type, with sources)."""
    path = resources.files("optimizer.model") / "data" / "gpus.csv"
    with path.open(encoding="utf-8") as fh:
        df = pd.read_csv(fh)
    return df.set_index("gpu", drop=False)


def gpu_names() -> list[str]:
    return sorted(gpu_catalogue().index)


def lookup_gpu(name: str) -> pd.Series:
    cat = gpu_catalogue()
    key = {k.lower().replace("-", "_").replace(" ", "_"): k for k in cat.index}.get(
        name.lower().replace("-", "_").replace(" ", "_")
    )
    if key is None:
        raise KeyError(name)
    return cat.loc[key]


def it_design_mw_from_gpus(gpus: int, gpu: str) -> float:
    """IT design power in MW of ``gpus`` GPUs of type ``gpu``: servers at full load + networking and storage."""
    row = lookup_gpu(gpu)
    return gpus * float(row["server_w_per_gpu"]) * (1.0 + NETWORK_STORAGE_SHARE) / 1e6


def default_utilisation(workload: str) -> float:
    return WORKLOAD_UTILISATION[workload]


def max_utilisation(workload: str) -> float:
    """Largest average utilisation whose load shape stays within design power (1 ÷ peak factor)."""
    return 1.0 / peak_factor(workload)


def diurnal_shape(hour_of_day: np.ndarray | int, workload: str) -> np.ndarray:
    """Load relative to the annual mean at the given local hour(s)."""
    h = np.asarray(hour_of_day, dtype=float)
    if workload == "training":
        return np.ones_like(h)
    return 1.0 + INFERENCE_AMPLITUDE * np.cos(2 * np.pi * (h + 0.5 - INFERENCE_PEAK_HOUR) / 24.0)


def peak_factor(workload: str) -> float:
    return float(diurnal_shape(np.arange(24), workload).max())


@dataclass(frozen=True)
class DemandEstimate:
    gpus: int
    gpu: str
    workload: str
    utilisation: float
    server_w_per_gpu: float
    network_storage_share: float
    pue: float
    it_design_mw: float
    facility_design_mw: float
    it_average_mw: float
    facility_average_mw: float
    energy_gwh: float
    source: str


def estimate(
    gpus: int, gpu: str, pue: float = 1.25, utilisation: float | None = None, workload: str = "training"
) -> DemandEstimate:
    """Design and average power and annual energy of a GPU cluster, with the assumptions used."""
    row = lookup_gpu(gpu)
    u = default_utilisation(workload) if utilisation is None else float(utilisation)
    it = it_design_mw_from_gpus(gpus, str(row["gpu"]))
    avg = it * u
    return DemandEstimate(
        gpus=gpus,
        gpu=str(row["gpu"]),
        workload=workload,
        utilisation=u,
        server_w_per_gpu=float(row["server_w_per_gpu"]),
        network_storage_share=NETWORK_STORAGE_SHARE,
        pue=pue,
        it_design_mw=it,
        facility_design_mw=it * pue,
        it_average_mw=avg,
        facility_average_mw=avg * pue,
        energy_gwh=avg * pue * HOURS_PER_YEAR / 1000.0,
        source=str(row["source"]),
    )
