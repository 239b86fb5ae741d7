"""GPU demand model: from GPU count × type to IT MW, facility MW and annual energy.

IT power of a cluster (MW) = GPUs × whole-server power per GPU (W) × utilisation ÷ 10⁶, where the whole-server
figure is the vendor's maximum system power divided by its GPUs (CPUs, memory, NICs, fans included; cluster
networking and storage are not). Facility power = IT power × PUE of the site it is placed at.

Load shapes (means are 1, so annual energy = mean load × 8760 h):
- training: flat.
- inference: a diurnal cosine, peak at 20:00 local time, 1 ± 0.25 (ESTIMATE: a generic day/evening request
  curve; measured traces replace it when a user has them). The site-capacity check uses the peak (1.25).
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


@lru_cache(maxsize=1)
def gpu_catalogue() -> pd.DataFrame:
    """The bundled GPU catalogue (one row per GPU type, with sources)."""
    path = resources.files("optimizer") / "data" / "gpus.csv"
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


def it_mw_from_gpus(gpus: int, gpu: str, utilisation: float | None = None) -> float:
    """IT load in MW of ``gpus`` GPUs of type ``gpu`` at ``utilisation`` (catalogue default when None)."""
    row = lookup_gpu(gpu)
    u = float(row["default_utilisation"]) if utilisation is None else float(utilisation)
    return gpus * float(row["server_w_per_gpu"]) * u / 1e6


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
    utilisation: float
    server_w_per_gpu: float
    pue: float
    it_mw: float
    facility_mw: float
    energy_gwh: float
    source: str


def estimate(gpus: int, gpu: str, pue: float = 1.25, utilisation: float | None = None) -> DemandEstimate:
    """IT MW, facility MW and annual GWh of a GPU cluster, with the assumptions used."""
    row = lookup_gpu(gpu)
    u = float(row["default_utilisation"]) if utilisation is None else float(utilisation)
    it = it_mw_from_gpus(gpus, str(row["gpu"]), u)
    fac = it * pue
    return DemandEstimate(
        gpus=gpus,
        gpu=str(row["gpu"]),
        utilisation=u,
        server_w_per_gpu=float(row["server_w_per_gpu"]),
        pue=pue,
        it_mw=it,
        facility_mw=fac,
        energy_gwh=fac * HOURS_PER_YEAR / 1000.0,
        source=str(row["source"]),
    )
