"""Benchmark cases: seeded synthetic cluster portfolios on the bundled region sets.

A portfolio of n clusters is drawn with ``numpy.random.default_rng(seed)`` from a fixed menu, so the same
(region set, n, seed) always gives the same scenario:

- 60 % training clusters, sized by a GPU build from the catalogue (10k–100k H100/H200/B200/Ascend 910B/A100,
  ~10–180 MW IT); flat load.
- 40 % inference clusters of 10, 20, 30 or 50 MW, each latency-bound (15, 20 or 30 ms round trip) to one
  demand centre of the region set; diurnal load.

Clusters drawn with the same size, workload and latency budget are identical and the adapter aggregates them
into one integer decision per site (symmetry breaking), as it would for a real portfolio. The mean cluster is
~33 MW IT, so 200 clusters (~7 GW IT) fit the ten China hub clusters and 1,000 clusters (~33 GW IT) need every
China site (hubs + one generic site per other province).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (gpus, gpu type) of the training menu; picked with the weights below.
TRAINING_MENU = (
    (10_000, "H100"),
    (20_000, "H100"),
    (50_000, "H100"),
    (100_000, "H100"),
    (20_000, "H200"),
    (40_000, "B200"),
    (30_000, "Ascend_910B"),
    (60_000, "Ascend_910B"),
    (20_000, "A100"),
)
TRAINING_WEIGHTS = (0.22, 0.18, 0.10, 0.05, 0.12, 0.08, 0.12, 0.05, 0.08)
INFERENCE_MW = (10.0, 20.0, 30.0, 50.0)
INFERENCE_WEIGHTS = (0.3, 0.3, 0.25, 0.15)
LATENCY_MS = (15.0, 20.0, 30.0)

CENTRES = {
    "china": (
        "beijing",
        "shanghai",
        "guangzhou",
        "shenzhen",
        "hangzhou",
        "nanjing",
        "suzhou",
        "chengdu",
        "chongqing_city",
        "wuhan",
        "xian",
        "tianjin",
        "hefei",
        "zhengzhou",
        "changsha",
    ),
    "us": (
        "new_york",
        "washington_dc",
        "chicago",
        "dallas",
        "houston",
        "atlanta",
        "los_angeles",
        "san_francisco",
        "seattle",
        "phoenix",
        "denver",
        "boston",
        "miami",
        "philadelphia",
    ),
}


def portfolio(region_set: str, n: int, seed: int = 0, centres: tuple[str, ...] | None = None) -> list[dict]:
    """``n`` scenario cluster entries (dicts), identical draws merged into one entry with ``count``.

    ``centres``: demand centres the inference clusters are latency-bound to (default: the region set's).
    """
    rng = np.random.default_rng([seed, n, 0 if region_set == "china" else 1])
    centres = centres or CENTRES[region_set]
    n_train = round(0.6 * n)
    entries: dict[tuple, int] = {}
    for _ in range(n_train):
        gpus, gpu = TRAINING_MENU[rng.choice(len(TRAINING_MENU), p=TRAINING_WEIGHTS)]
        key = ("training", gpus, gpu)
        entries[key] = entries.get(key, 0) + 1
    for _ in range(n - n_train):
        mw = INFERENCE_MW[rng.choice(len(INFERENCE_MW), p=INFERENCE_WEIGHTS)]
        centre = centres[rng.integers(len(centres))]
        lat = LATENCY_MS[rng.integers(len(LATENCY_MS))]
        key = ("inference", mw, centre, lat)
        entries[key] = entries.get(key, 0) + 1
    out = []
    for i, (key, count) in enumerate(sorted(entries.items(), key=lambda kv: str(kv[0]))):
        if key[0] == "training":
            _, gpus, gpu = key
            c = {"id": f"t{i:03d}-{gpu.lower()}-{gpus // 1000}k", "gpus": gpus, "gpu": gpu, "workload": "training"}
        else:
            _, mw, centre, lat = key
            c = {
                "id": f"i{i:03d}-{centre}-{mw:g}mw",
                "mw": mw,
                "workload": "inference",
                "latency_ms": {"to": [centre], "max": lat},
            }
        if count > 1:
            c["count"] = count
        out.append(c)
    return out


TIME_MODES = {
    "annual": {"mode": "annual"},
    "monthly": {"mode": "monthly"},
    "rd6": {"mode": "representative_days", "days": 6},
    "rd12": {"mode": "representative_days", "days": 12},
    "rd24": {"mode": "representative_days", "days": 24},
    "rd48": {"mode": "representative_days", "days": 48},
    "rd12s8": {"mode": "representative_days", "days": 12, "segments": 8},
    "hourly": {"mode": "hourly"},
}


@dataclass(frozen=True)
class Case:
    """One benchmark case: a scenario (as a dict) and how it is labelled."""

    name: str
    region_set: str
    clusters: int  # number of clusters (before aggregation); 0 = a shipped scenario file
    sites: str  # hub_clusters | all
    time: str  # key of TIME_MODES, or "file"
    scenario_file: str = ""
    time_limit_s: float = 600.0
    mip_gap: float = 0.005

    def scenario(self) -> dict:
        """The scenario as a plain dict (validated by ``optimizer.parse_scenario``)."""
        if self.scenario_file:
            from optimizer.model.scenario import read_yaml

            data = read_yaml(self.scenario_file)
            if self.time != "file":
                data["time"] = TIME_MODES[self.time]
            data["solver"] = {**data.get("solver", {}), "time_limit_s": self.time_limit_s, "mip_gap": self.mip_gap}
            return data
        quota = {"min": 0.8, "applies_to": "hubs" if self.region_set == "china" else "all", "matching": "annual"}
        return {
            "name": self.name,
            "region_set": self.region_set,
            "year": 2025 if self.region_set == "china" else 2026,
            "time": TIME_MODES[self.time],
            "sites": {"include": self.sites},
            "clusters": portfolio(self.region_set, self.clusters),
            "policy": {
                "green_share": quota,
                "certificates": {"cross_region": True, "max_share": 1.0},
                "carbon_price": 0,
            },
            "objective": {"mode": "cost"},
            "solver": {"mip_gap": self.mip_gap, "time_limit_s": self.time_limit_s, "threads": 2, "seed": 0},
        }


def _synthetic(region_set: str, n: int, sites: str, time: str, **kw) -> Case:
    return Case(f"{region_set}-{n}-{time}", region_set, n, sites, time, **kw)


def all_cases() -> dict[str, Case]:
    """Every case the harness knows, by name."""
    cases: list[Case] = []
    for n in (10, 50, 200):
        for t in ("annual", "rd12", "rd24"):
            cases.append(_synthetic("china", n, "hub_clusters", t))
    for t in ("annual", "rd12", "rd24"):
        cases.append(_synthetic("china", 1000, "all", t))
    cases.append(_synthetic("china", 10, "hub_clusters", "hourly", time_limit_s=1800.0))
    cases.append(_synthetic("china", 50, "hub_clusters", "hourly", time_limit_s=1800.0))
    for t in ("annual", "rd12", "rd24"):
        cases.append(_synthetic("us", 200, "all", t))
    cases.append(_synthetic("us", 200, "all", "rd12s8"))
    shipped = (
        ("china-hubs-2025", "scenarios/china_hubs_2025.yaml", "china", 7, "hub_clusters"),
        ("china-2030-buildout", "scenarios/china_2030_buildout.yaml", "china", 194, "all"),
        ("us-states-2026", "scenarios/us_states_2026.yaml", "us", 7, "all"),
    )
    for name, f, rs, n, sites in shipped:
        cases.append(Case(f"{name}-rd12", rs, n, sites, "file", scenario_file=f))
    cases.append(Case("us-states-2026-rd12s8", "us", 7, "all", "rd12s8", scenario_file="scenarios/us_states_2026.yaml"))
    return {c.name: c for c in cases}


#: ``--quick``: a few cases that finish in a couple of minutes on 2 cores.
QUICK = ("china-10-annual", "china-10-rd12", "china-200-annual", "china-1000-annual", "china-hubs-2025-rd12")
#: the default set (``run.py`` with no case names): every size and time mode the issue asks for, hourly excluded.
DEFAULT = tuple(
    n for n in all_cases() if not n.endswith("-hourly") and n not in ("us-200-rd12s8", "us-states-2026-rd12s8")
)
