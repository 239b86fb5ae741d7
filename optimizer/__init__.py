"""gridsite optimizer: scenarios, demand model, the siting MILP (Pyomo + HiGHS), results and the CLI.

Python API::

    from optimizer import load_scenario, solve
    result = solve(load_scenario("scenarios/china_hubs_2025.yaml"))
    result.tables["assignments"]
"""

try:
    from optimizer.errors import Diagnosis, InfeasibleError
    from optimizer.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
    from optimizer.solve import Result, TimeLimitError, solve, solve_file
except KeyboardInterrupt:  # Ctrl-C while the (slow) imports run: one line from the CLI, not a traceback
    from optimizer.errors import exit_if_interrupted_at_start

    exit_if_interrupted_at_start()
    raise

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
