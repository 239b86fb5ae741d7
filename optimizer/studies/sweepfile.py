"""Sweep files: a base scenario plus the parameters to vary, expanded into independent point scenarios.

A sweep file is validated like a scenario (strict, frozen pydantic; unknown keys rejected) and every point it
expands to is validated as a scenario too, so a bad parameter path or value fails before anything is solved,
with the sweep file and the parameter named (:class:`~optimizer.model.scenario.ScenarioError`, exit 2)::

    name: china-quota-certificates
    base: ../china_hubs_2025.yaml          # relative to this file
    mode: grid                             # grid: Cartesian product; zip: the i-th value of every parameter
    parameters:
      policy.green_share.min: [0.6, 0.7, 0.8, 0.9, 1.0]
      policy.certificates.cross_region: {values: [true, false], labels: ["on", "off"]}
      policy.certificates.price: {start: 1.0, stop: 9.0, step: 4.0}
      grid.corridor_capacity_mw.gansu>shandong: [0, 2000]
    fixed: {time.days: 6}                  # applied to every point
    threads: 1                             # HiGHS threads per point solve
    time_limit_s: 600

Paths are the scenario's field names joined by dots. A segment after a mapping field (``corridor_capacity_mw``,
``max_mw``, ``export_cap_gwh``) is a key of that mapping; after ``clusters`` it is a list index or a cluster id
(``clusters.train-100k.gpus``).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from gridsite.errors import PathError
from optimizer.model.scenario import ScenarioError, load_scenario, parse_scenario, read_yaml

#: Refuse sweeps larger than this many points (a typo such as step 0.0001 would otherwise queue millions).
MAX_POINTS = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Range(_Strict):
    """Evenly spaced values from ``start`` to ``stop`` inclusive."""

    start: Annotated[float, Field(allow_inf_nan=False)]
    stop: Annotated[float, Field(allow_inf_nan=False)]
    step: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    """Positive spacing; values run upwards from start, or downwards when stop < start."""

    @model_validator(mode="after")
    def _not_too_many(self) -> Range:
        n = math.floor(abs(self.stop - self.start) / self.step + 1e-9) + 1
        if n > MAX_POINTS:  # checked before any value is generated
            raise ValueError(f"the range has {n:,} values, more than {MAX_POINTS:,} (a larger step?)")
        return self

    def values(self) -> list[float | int]:
        span = self.stop - self.start
        n = math.floor(abs(span) / self.step + 1e-9) + 1
        sign = 1.0 if span >= 0 else -1.0
        vals = [round(self.start + sign * i * self.step, 10) for i in range(n)]
        if all(float(v).is_integer() for v in (self.start, self.stop, self.step)):
            return [int(v) for v in vals]
        return vals


class Values(_Strict):
    """An explicit list of values, optionally with a short label for each (shown in tables: 'low', 'high')."""

    values: Annotated[list[Any], Field(min_length=1)]
    labels: list[str] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> Values:
        if self.labels is not None and len(self.labels) != len(self.values):
            raise ValueError(f"'labels' has {len(self.labels)} entries but 'values' has {len(self.values)}")
        return self


def _spec_kind(v: Any) -> str | None:
    if isinstance(v, list | tuple):
        return "list"
    if isinstance(v, dict):
        return "values" if "values" in v or "labels" in v else "range"
    if isinstance(v, Range | Values):
        return "range" if isinstance(v, Range) else "values"
    return None


ParamSpec = Annotated[
    Annotated[Annotated[list[Any], Field(min_length=1)], Tag("list")]
    | Annotated[Range, Tag("range")]
    | Annotated[Values, Tag("values")],
    Discriminator(
        _spec_kind,
        custom_error_type="parameter_spec",
        custom_error_message="give a list of values, a range {start, stop, step} or {values: [...], labels: [...]}",
    ),
]
_TAGS = ("list", "range", "values")


class SweepFile(_Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    """Base scenario file, relative to the sweep file."""
    mode: Literal["grid", "zip"] = "grid"
    """grid: every combination of the parameters' values; zip: the i-th value of every parameter together."""
    parameters: Annotated[dict[str, ParamSpec], Field(min_length=1)]
    """Scenario field path → a list of values, a range {start, stop, step}, or {values, labels}."""
    fixed: dict[str, Any] = {}
    """Scenario field path → value applied to every point before the parameters (e.g. a lighter time setting)."""
    threads: Annotated[int, Field(ge=1, le=64)] = 1
    """HiGHS threads per point solve (replaces the scenario's solver.threads; 1 keeps workers from competing)."""
    time_limit_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    """Per-point solver time limit (replaces solver.time_limit_s when given)."""
    mip_gap: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    """Per-point relative MIP gap (replaces solver.mip_gap when given)."""

    @field_validator("parameters", "fixed")
    @classmethod
    def _paths(cls, v: dict[str, Any]) -> dict[str, Any]:
        for path in v:
            if not path or any(not part for part in path.split(".")):
                raise ValueError(f"'{path}' is not a dotted field path such as policy.green_share.min")
        return v


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its parameter values and the validated scenario (as a plain dict)."""

    index: int
    point_id: str
    parameters: dict[str, Any]
    labels: dict[str, str]
    scenario: dict = field(repr=False)
    scenario_sha256: str = ""


@dataclass(frozen=True)
class Sweep:
    spec: SweepFile
    file: str
    base_file: str
    points: list[Point]
    base: dict = field(repr=False, default_factory=dict)
    """The base scenario with ``fixed`` and the solver settings applied, before any parameter."""

    @property
    def parameter_names(self) -> list[str]:
        return list(self.spec.parameters)


def _values(spec: list[Any] | Range | Values) -> tuple[list[Any], list[str] | None]:
    if isinstance(spec, Range):
        return spec.values(), None
    if isinstance(spec, Values):
        return list(spec.values), list(spec.labels) if spec.labels is not None else None
    return list(spec), None


# --- dotted paths on a scenario dict ----------------------------------------------------------------------


def set_path(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` of a scenario dict (in place).

    Missing mapping keys are created (validation afterwards rejects unknown fields by name); list segments
    are an index or the ``id`` of an element.
    """
    parts = path.split(".")
    cur: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[:i]) or "the scenario"
        if isinstance(cur, dict):
            if last:
                cur[part] = copy.deepcopy(value)
                return
            if cur.get(part) is None:
                cur[part] = {}
            cur = cur[part]
        elif isinstance(cur, list):
            idx = _list_index(cur, part)
            if idx is None:
                ids = [str(e.get("id")) for e in cur if isinstance(e, dict) and "id" in e]
                allowed = f"an index 0–{len(cur) - 1}" + (f" or an id ({', '.join(ids)})" if ids else "")
                raise PathError(f"'{part}' is not an element of {where} (allowed: {allowed})")
            if last:
                cur[idx] = copy.deepcopy(value)
                return
            cur = cur[idx]
        else:
            raise PathError(f"{where} is a value ({cur!r}), not a section with field '{part}'")


def _list_index(items: list, part: str) -> int | None:
    for i, e in enumerate(items):
        if isinstance(e, dict) and str(e.get("id")) == part:
            return i
    if part.isdigit() and int(part) < len(items):
        return int(part)
    return None


def _canonical(x: Any) -> str:
    return json.dumps(x, sort_keys=True, separators=(",", ":"), default=str)


def point_id(index: int, parameters: dict[str, Any], scenario_sha256: str) -> str:
    """Deterministic id ``p<index>-<hash>``: the hash covers the parameter values and the resolved scenario, so a
    changed base scenario or sweep setting gives new ids (and ``--resume`` re-solves those points)."""
    h = hashlib.sha256(_canonical({"parameters": parameters, "scenario": scenario_sha256}).encode()).hexdigest()
    return f"p{index:03d}-{h[:10]}"


# --- loading ----------------------------------------------------------------------------------------------


def _problem(file: str, loc: str, msg: str) -> ScenarioError:
    return ScenarioError(file, [(loc, msg)])


def _format_error(file: str, exc: ValidationError) -> ScenarioError:
    """Field-named problems; unlike scenario paths, parameter keys (dotted paths) are kept in the location."""
    problems: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = list(err["loc"])
        if len(loc) > 2 and loc[0] == "parameters" and loc[2] in _TAGS:
            del loc[2]
        path = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            model: type[BaseModel] = SweepFile
            if len(loc) > 2 and loc[0] == "parameters":
                model = Values if err["loc"][2] == "values" else Range
            msg = f"unknown key; allowed keys: {', '.join(sorted(model.model_fields))}"
        elif err["type"] == "missing":
            msg = "is required"
        elif not isinstance(err.get("input"), dict | list):
            msg += f" (got {err.get('input')!r})"
        if msg not in problems.setdefault(path, []):
            problems[path].append(msg)
    return ScenarioError(file, [(path, "; or ".join(msgs)) for path, msgs in problems.items()])


def parse_sweep(data: Any, file: str = "<sweep>") -> SweepFile:
    if not isinstance(data, dict):
        raise _problem(file, "", "a sweep file is a YAML mapping (key: value) at the top level")
    try:
        return SweepFile.model_validate(data)
    except ValidationError as exc:
        raise _format_error(file, exc) from None


def expand(spec: SweepFile, base: dict, file: str = "<sweep>") -> tuple[dict, list[Point]]:
    """Expand ``spec`` over the ``base`` scenario dict into validated points (deterministic order).

    Returns the base with ``fixed`` and the solver settings applied, and the points."""
    names = list(spec.parameters)
    columns = [_values(spec.parameters[n]) for n in names]
    if spec.mode == "zip":
        lengths = {n: len(v) for n, (v, _) in zip(names, columns, strict=True)}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{n}: {k}" for n, k in lengths.items())
            raise _problem(file, "mode", f"zip needs every parameter to have the same number of values ({detail})")
        combos = list(zip(*[range(len(v)) for v, _ in columns], strict=True))
    else:
        total = math.prod(len(v) for v, _ in columns)
        if total > MAX_POINTS:
            raise _problem(file, "parameters", f"the grid has {total:,} points, more than {MAX_POINTS:,}")
        combos = list(itertools.product(*[range(len(v)) for v, _ in columns]))

    fixed_base = copy.deepcopy(base)
    for path, value in spec.fixed.items():
        try:
            set_path(fixed_base, path, value)
        except PathError as exc:
            raise _problem(file, f"fixed.{path}", str(exc)) from None
    solver = fixed_base.setdefault("solver", {})
    solver["threads"] = spec.threads
    if spec.time_limit_s is not None:
        solver["time_limit_s"] = spec.time_limit_s
    if spec.mip_gap is not None:
        solver["mip_gap"] = spec.mip_gap
    _validate(fixed_base, file, "fixed", list(spec.fixed))

    points: list[Point] = []
    for i, combo in enumerate(combos):
        data = copy.deepcopy(fixed_base)
        params: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for name, (vals, labs), k in zip(names, columns, combo, strict=True):
            try:
                set_path(data, name, vals[k])
            except PathError as exc:
                raise _problem(file, f"parameters.{name}", str(exc)) from None
            params[name] = vals[k]
            if labs is not None:
                labels[name] = labs[k]
        sc = _validate(data, file, "parameters", names, params)
        sha = sc.digest()
        points.append(Point(i, point_id(i, params, sha), params, labels, sc.model_dump(mode="json"), sha))
    return fixed_base, points


def _validate(data: dict, file: str, section: str, paths: list[str], params: dict | None = None):
    """Validate a point scenario; an error is reported against the sweep parameter whose path it falls under."""
    try:
        return parse_scenario(data, file)
    except ScenarioError as exc:
        problems = []
        for loc, msg in exc.problems:
            owner = _owner(loc, paths)
            if owner is not None:
                value = f" = {params[owner]!r}" if params and owner in params else ""
                sub = f" (scenario field '{loc}')" if loc != owner else ""
                problems.append((f"{section}.{owner}", f"{msg}{sub}; at {owner}{value}"))
            else:
                problems.append((loc, msg))
        raise ScenarioError(file, problems) from None


def _owner(loc: str, paths: list[str]) -> str | None:
    """The sweep path that a validation error location falls under (longest match), if any."""
    parts = loc.split(".")
    best = None
    for p in paths:
        pp = p.split(".")
        n = min(len(pp), len(parts))
        if parts[:n] == pp[:n] and (best is None or len(pp) > len(best.split("."))):
            best = p
    return best


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file, load its base scenario and expand it into validated points."""
    p = Path(path)
    spec = parse_sweep(read_yaml(p), str(p))
    base_path = Path(spec.base)
    if not base_path.is_absolute():
        base_path = (p.parent / base_path).resolve()
    if not base_path.exists():
        raise _problem(str(p), "base", f"base scenario '{spec.base}' not found (looked for {base_path})")
    if base_path.is_dir():
        raise _problem(str(p), "base", f"'{spec.base}' is a folder ({base_path}); name the base scenario's YAML file")
    base = load_scenario(base_path)
    fixed_base, points = expand(spec, base.model_dump(mode="json"), str(p))
    return Sweep(spec=spec, file=str(p), base_file=str(base_path), points=points, base=fixed_base)


def check_against_region_set(sweep: Sweep) -> None:
    """Check the ids the region set knows (sites, corridors, regions, GPU types) for every distinct parameter value.

    The base (with ``fixed``) is built (annual time, no solve), then once per distinct value of each parameter
    with only that parameter set, so 30 points over three parameters cost eleven cheap builds; an unknown id
    raises :class:`ScenarioError` naming the parameter and value.
    """
    from geodata import load_region_set
    from gridsite.errors import InfeasibleError
    from optimizer.model.adapter import build_model_data

    file = sweep.file
    checks: list[tuple[str | None, Any, dict]] = [(None, None, sweep.base)]
    seen = {_canonical(sweep.base)}
    for param in sweep.parameter_names:
        for pt in sweep.points:
            value = pt.parameters[param]
            data = copy.deepcopy(sweep.base)
            set_path(data, param, value)
            key = _canonical(data)
            if key not in seen:
                seen.add(key)
                checks.append((param, value, data))
    region_sets: dict[tuple, Any] = {}
    for name, value, data in checks:
        try:
            sc = parse_scenario(data, file)
        except ScenarioError:
            continue  # a combination no point uses; every real point was validated in expand()
        rs_key = (sc.region_set, tuple(sorted(sc.grid.profiles.items())))
        if rs_key not in region_sets:
            profiles: dict[str, str | Path] | None = {str(k): v for k, v in sc.grid.profiles.items()} or None
            region_sets[rs_key] = load_region_set(sc.region_set, profiles=profiles, check_polygons=False)
        quick = sc.model_copy(update={"time": sc.time.model_copy(update={"mode": "annual"})})
        try:
            build_model_data(quick, region_sets[rs_key], file=file)
        except InfeasibleError:
            continue  # a result, not bad input: the point reports it when solved
        except ScenarioError as exc:
            if name is None:
                raise
            raise ScenarioError(
                file,
                [
                    (f"parameters.{name}", f"{msg} (at {name} = {value!r}; scenario field '{loc}')")
                    for loc, msg in exc.problems
                ],
            ) from None
