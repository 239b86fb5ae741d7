"""gridsite geodata: places and grids (region sets, boundaries, corridors, resources, profiles, system load).

The bottom layer: it imports nothing of gridsite but :mod:`gridsite.errors`.
"""

from geodata.profiles import Profiles
from geodata.regionset import RegionSet, list_region_sets, load_region_set
from gridsite.errors import DataError, DataIssue, DataWarning

__all__ = ["DataError", "DataIssue", "DataWarning", "Profiles", "RegionSet", "list_region_sets", "load_region_set"]
