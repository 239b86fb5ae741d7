"""gridsite geodata: places and grids (region sets, boundaries, corridors, resources, profiles, maps).

This package never imports :mod:`optimizer`; maps take plain tables keyed by region/site id.
"""

from geodata.errors import DataError, DataIssue, DataWarning
from geodata.profiles import Profiles
from geodata.regionset import RegionSet, list_region_sets, load_region_set

__all__ = ["DataError", "DataIssue", "DataWarning", "Profiles", "RegionSet", "list_region_sets", "load_region_set"]
