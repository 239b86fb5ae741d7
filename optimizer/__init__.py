"""gridsite optimizer: scenarios, demand model, the siting MILP (Pyomo + HiGHS), results and the CLI.

Python API::

    from optimizer import load_scenario, solve
    result = solve(load_scenario("scenarios/china_hubs_2025.yaml"))
    result.tables["assignments"]
"""

from optimizer.errors import Diagnosis, InfeasibleError
from optimizer.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from optimizer.solve import Result, TimeLimitError, solve, solve_file

__all__ = [
    "Diagnosis",
    "InfeasibleError",
    "Result",
    "Scenario",
    "ScenarioError",
    "TimeLimitError",
    "load_scenario",
    "parse_scenario",
    "solve",
    "solve_file",
]
