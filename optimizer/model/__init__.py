"""The model layer: scenario schema, demand, time slices, model data, constraint families, build, solve, results,
diagnosis. It imports :mod:`geodata` (and :mod:`gridsite.errors`) and nothing above it."""
