"""Charts of study results (matplotlib, written as image files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def pareto_chart(df: pd.DataFrame, path: Path, acct: str, currency: str, title: str) -> None:
    """The cost–carbon frontier: cost (million currency/yr) against emissions (MtCO2/yr, accounting ``acct``) of
    the solved points of ``df`` (columns ``point, carbon_t, cost``), each point labelled; the number of failed
    points (no cost) is noted in the corner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = df[df.cost.notna()].sort_values("carbon_t")
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    ax.plot(ok.carbon_t / 1e6, ok.cost, "o-", color="#1f6f43")
    for r in ok.itertuples(index=False):
        ax.annotate(r.point, (r.carbon_t / 1e6, r.cost), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(f"emissions, MtCO2/yr ({acct.replace('_', '-')})")
    ax.set_ylabel(f"annual cost, million {currency}/yr")
    ax.set_title(f"{title}: cost–carbon frontier", fontsize=10)
    ax.grid(alpha=0.3)
    failed = len(df) - len(ok)
    if failed:
        ax.text(0.99, 0.98, f"{failed} point(s) failed", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
