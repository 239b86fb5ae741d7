"""gridsite's engine: the model layer (:mod:`optimizer.model`) and the studies built on it (:mod:`optimizer.studies`).

Use the public API, ``import gridsite``; this package's modules are internal and may move between versions.
"""
