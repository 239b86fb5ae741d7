"""Studies on the model: cost–carbon Pareto fronts and parameter sweeps, run locally or on Dask."""
