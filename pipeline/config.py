"""Region configuration: one TOML file per region -> a frozen dataclass.

Reading a config has no side effects: it does not touch the input files it
names. Relative paths resolve against the TOML file's folder, and paths may
use environment variables as ``${NAME}`` or ``${NAME:-default}``, so that one
file works on a laptop, on CI and on an office server.

Every key is documented in ``regions/demo.toml``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from . import columns as C
from .errors import ConfigError
from .settings import (
    COMPARISONS,
    DEFAULT_H3_RESOLUTION,
    DEFAULT_MIN_HOUSEHOLDS,
    DEFAULT_PERMUTATIONS,
    DEFAULT_POVERTY_CUTOFF,
    DEFAULT_SEED,
    DEFAULT_SIGNIFICANCE,
    DEFAULT_SMALL_BASE,
    DEFAULT_SNAP_DISTANCE_M,
    FUNDING_SOURCES,
    HOUSEHOLD_SCHEMAS,
    POVERTY_METHODS,
    PRIORITY_COMPONENTS,
    AnalysisSettings,
    BoundarySource,
    BpsFigure,
    DeprivationIndicator,
    DeprivationSettings,
    HouseholdSource,
    PovertyLine,
    PovertyRule,
    PrioritySettings,
    Program,
    ProgressSettings,
    RegionConfig,
    ReportedCount,
    Snapshot,
    SyntheticSpec,
    Target,
    VerificationRound,
    VerificationSource,
)

#: Every key a region TOML may hold, per table ("" is the top level; "x[]" an
#: entry of the array of tables [[x]]; "*" any key, for mappings such as
#: [households.columns]). A key not listed is refused, with a suggestion.
CONFIG_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({
        "region", "boundaries", "households", "poverty", "analysis", "deprivation", "priority", "progress",
        "privacy", "synthetic", "programs", "bps", "targets", "reported_register", "snapshots",
        "verification_round", "verification", "basemap",
    }),
    "basemap": frozenset({"osm"}),
    "verification_round": frozenset({"select", "priority_kelurahan", "max_households", "enumerators_per_kelurahan"}),
    "verification[]": frozenset({"paths", "max_gps_accuracy_m"}),
    "region": frozenset({"slug", "name", "kode", "data_date"}),
    "boundaries": frozenset({
        "path", "layer", "columns", "snap_distance_m", "crosswalk", "kecamatan", "kecamatan_layer",
    }),
    "boundaries.columns": frozenset({C.KODE_KEL, C.NAMA_KEL, C.KODE_KEC, C.NAMA_KEC}),
    "households": frozenset({"paths", "schema", "columns", "sheet", "min_located_share"}),
    "households.columns": frozenset({"*"}),
    "poverty": frozenset({"method", "extreme_max_decile", "poor_max_decile", "lines"}),
    "poverty.lines[]": frozenset({"kind", "valid_from", "rupiah_per_capita_month", "source"}),
    "analysis": frozenset({
        "projected_crs", "permutations", "seed", "significance", "h3_resolution", "small_base_households",
        "overlap_programs", "min_pocket_households",
    }),
    "deprivation": frozenset({"poverty_cutoff", "indicators"}),
    "deprivation.indicators[]": frozenset({"name", "dimension", "column", "weight", "values", "op", "threshold"}),
    "priority": frozenset({"weights"}),
    "priority.weights": frozenset(PRIORITY_COMPONENTS),
    "progress": frozenset({"population", "population_source", "household_size", "household_size_source"}),
    "privacy": frozenset({"min_households"}),
    "synthetic": frozenset({"households", "seed", "boundaries", "pockets"}),
    "programs[]": frozenset({"code", "name", "opd", "funding", "eligibility", "quota", "beneficiaries"}),
    "bps[]": frozenset({
        "year", "source", "poverty_rate", "extreme_poverty_rate", "poor_people", "poverty_line", "population",
    }),
    "targets[]": frozenset({"year", "source", "poverty_rate", "extreme_poverty_rate"}),
    "reported_register[]": frozenset({"year", "poor_people", "source"}),
    "snapshots[]": frozenset({"date", "paths"}),
}  # fmt: skip

_ENV_PATTERN = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def expand_path(value: str, *, base: Path) -> Path:
    """Expand ``${VAR}`` / ``${VAR:-default}`` and resolve against ``base``.

    Raises
    ------
    ConfigError
        If a variable without a default is not set.
    """

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"path '{value}' uses ${{{name}}}, which is not set; export {name}=... or give a default as ${{{name}:-...}}"
        )

    path = Path(_ENV_PATTERN.sub(substitute, value)).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def is_pattern(path: Path) -> bool:
    """Whether a configured path is a file-name pattern (``verifikasi/*.xlsx``) rather than one file."""
    return any(ch in path.name for ch in "*?[")


def _headers(lines: list[str], table: str) -> list[int]:
    """Indexes of the lines that open ``table`` (``[table]``, or each ``[[table]]`` entry)."""
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(?:#.*)?$")
    return [i for i, line in enumerate(lines) if header.match(line)]


def _line_of(text: str, table: str, key: str) -> int | None:
    """The line of ``text`` where ``key`` is set in ``table`` (1-based), or None.

    ``table`` is a dotted name as in :data:`CONFIG_KEYS` ("" for the top
    level); a key of the top level may itself be a table header.
    """
    lines = text.splitlines()
    name = table.replace("[]", "")
    start = next(iter(_headers(lines, name)), 0) if name else 0
    setting = re.compile(rf"^\s*(?:\[\[?\s*(?:{re.escape(name)}\.)?)?[\"']?{re.escape(key)}[\"']?\s*(?:=|\]|\.)")
    for i in range(start, len(lines)):
        if setting.match(lines[i]):
            return i + 1
    return None


def _placed(message: str, *, text: str, where: str) -> str:
    """``message`` of a wrong value with the line of the TOML it was found on, when it can be found.

    Value errors read ``<file> [table]: 'key' must be ...`` (or ``[[table]][i]``
    for the i-th entry of an array of tables). The line is the first line of
    that table (entry) that sets one of the table's keys named in the message,
    or that holds a quoted value named in it.
    """
    match = re.match(
        rf"{re.escape(where)} \[\[?(?P<table>[a-z_.]+)\]?\](?:\[(?P<i>\d+)\])?: (?P<rest>.*)", message, re.S
    )
    if match is None or match["rest"].startswith("required key"):
        return message
    table, rest = match["table"], match["rest"]
    lines = text.splitlines()
    starts = _headers(lines, table)
    index = int(match["i"] or 0)
    if index >= len(starts):
        return message
    end = next((i for i in range(starts[index] + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    block = range(starts[index] + 1, end)
    keys = CONFIG_KEYS.get(table, frozenset()) | CONFIG_KEYS.get(f"{table}[]", frozenset())
    named = [w for w in re.findall(r"[a-z_]+", rest) if w in keys]
    quoted = re.findall(r"'([^']+)'", rest)
    for i in block:
        line = lines[i].split("#", 1)[0]
        key = line.split("=", 1)[0].strip().strip("\"'")
        if "=" in line and (key in named or any(q and q in line.split("=", 1)[1] for q in quoted if q not in keys)):
            return f"{where} line {i + 1} [{message[len(where) + 2 :]}"
    return message


def check_keys(data: dict[str, Any], *, text: str = "", where: str = "config") -> None:
    """Refuse keys and tables that no part of the pipeline reads.

    A mistyped key (``min_houshold``) or table (``[privasi]``) would
    otherwise be ignored in silence and its default used: for the privacy
    threshold, that publishes counts the user meant to hide.

    Raises
    ------
    ConfigError
        Naming every unknown key with its line and the closest known key.
    """
    import difflib

    problems: list[str] = []

    def walk(table: dict[str, Any], name: str) -> None:
        allowed = CONFIG_KEYS.get(name)
        if allowed is None or "*" in allowed:
            return
        for key, value in table.items():
            child = f"{name}.{key}" if name else key
            if key not in allowed:
                line = _line_of(text, name, key)
                at = f"line {line}: " if line else ""
                place = f"in [{name.replace('[]', '')}]" if name else "at the top level"
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(allowed))}"
                problems.append(f"{at}unknown {'table' if isinstance(value, dict) else 'key'} '{key}' {place}; {hint}")
            elif isinstance(value, dict):
                walk(value, child)
            elif isinstance(value, list) and f"{child}[]" in CONFIG_KEYS:
                for item in value:
                    if not isinstance(item, dict):
                        problems.append(f"'{key}' must be an array of tables ([[{child}]]), found {item!r}")
                    else:
                        walk(item, f"{child}[]")

    walk(data, "")
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems) + " (every key is explained in regions/demo.toml)")


def _int(
    table: dict[str, Any], key: str, where: str, default: int, *, low: int | None = None, high: int | None = None
) -> int:
    """A whole-number setting: ``true``, ``9.9`` or ``"5"`` are refused, not converted."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: '{key}' must be a whole number, found {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"{low}..{high}" if low is not None else f"<= {high}"
        raise ConfigError(f"{where}: '{key}' must be {bounds}, found {value}")
    return value


def _float(table: dict[str, Any], key: str, where: str, default: float) -> float:
    """A number setting (whole or decimal); text and booleans are refused."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: '{key}' must be a number, found {value!r}")
    return float(value)


def _share(table: dict[str, Any], key: str, where: str, default: float) -> float:
    """A share from 0 to 1 (``0.5`` = half)."""
    value = _float(table, key, where, default)
    if not 0 <= value <= 1:
        raise ConfigError(f"{where}: '{key}' must be a share from 0 to 1 (0.5 = half), found {value:g}")
    return value


def _bool(table: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be true or false, found {value!r}")
    return value


def _projected_crs(value: Any, where: str) -> str | None:
    """A projected CRS for areas and distances ("" = the region's UTM zone), checked with pyproj."""
    if value in ("", None):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: projected_crs must be text such as 'EPSG:32750', found {value!r}")
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjError

    try:
        crs = CRS.from_user_input(value)
    except ProjError:
        raise ConfigError(
            f"{where}: projected_crs '{value}' is not a CRS pyproj knows; use e.g. 'EPSG:32750'"
        ) from None
    if not crs.is_projected:
        raise ConfigError(
            f"{where}: projected_crs '{value}' is not projected (degrees); use a UTM zone such as 'EPSG:32750'"
        )
    return value


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table, found {type(value).__name__}")
    return value


def _require(table: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in table:
        raise ConfigError(f"{where}: required key '{key}' is missing")
    value = table[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{where}: '{key}' must be {names}, found {value!r}")
    return value


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: '{value}' is not a date; write it as YYYY-MM-DD") from None


def _poverty(table: dict[str, Any], where: str) -> PovertyRule:
    method = table.get("method", "desil")
    if method not in POVERTY_METHODS:
        raise ConfigError(f"{where}: method '{method}' is unknown; use one of {', '.join(POVERTY_METHODS)}")
    extreme = _int(table, "extreme_max_decile", where, 1, low=1, high=10)
    poor = _int(table, "poor_max_decile", where, 4, low=1, high=10)
    if not 1 <= extreme <= poor <= 10:
        raise ConfigError(f"{where}: need 1 <= extreme_max_decile <= poor_max_decile <= 10, found {extreme} and {poor}")
    lines = []
    for i, raw in enumerate(table.get("lines", [])):
        at = f"{where}.lines[{i}]"
        kind = _require(raw, "kind", at, str)
        if kind not in (C.MISKIN, C.MISKIN_EKSTREM):
            raise ConfigError(f"{at}: kind '{kind}' is unknown; use '{C.MISKIN}' or '{C.MISKIN_EKSTREM}'")
        lines.append(
            PovertyLine(
                kind=kind,
                valid_from=_date(_require(raw, "valid_from", at, (str, dt.date)), at),
                rupiah_per_capita_month=float(_require(raw, "rupiah_per_capita_month", at, (int, float))),
                source=_require(raw, "source", at, str),
            )
        )
    rule = PovertyRule(method=method, extreme_max_decile=extreme, poor_max_decile=poor, lines=tuple(lines))
    if method == "garis_kemiskinan":
        for kind in (C.MISKIN, C.MISKIN_EKSTREM):
            rule.line_for(kind, None)
    return rule


def _deprivation(table: dict[str, Any], where: str) -> DeprivationSettings:
    cutoff = _float(table, "poverty_cutoff", where, DEFAULT_POVERTY_CUTOFF)
    if not 0 < cutoff <= 1:
        raise ConfigError(f"{where}: poverty_cutoff must be in (0, 1], found {cutoff}")
    if "indicators" not in table:
        return DeprivationSettings(poverty_cutoff=cutoff)
    indicators = []
    for i, raw in enumerate(table["indicators"]):
        at = f"{where}.indicators[{i}]"
        values = raw.get("values", [])
        op = raw.get("op")
        if bool(values) == (op is not None):
            raise ConfigError(f"{at}: give either 'values' (a list of text values) or 'op' and 'threshold'")
        if op is not None and op not in COMPARISONS:
            raise ConfigError(f"{at}: op '{op}' is unknown; use one of {' '.join(COMPARISONS)}")
        weight = float(_require(raw, "weight", at, (int, float)))
        if weight <= 0:
            raise ConfigError(f"{at}: weight must be > 0, found {weight}")
        indicators.append(
            DeprivationIndicator(
                name=_require(raw, "name", at, str),
                dimension=_require(raw, "dimension", at, str),
                column=_require(raw, "column", at, str),
                weight=weight,
                values=tuple(str(v) for v in values),
                op=op,
                threshold=float(_require(raw, "threshold", at, (int, float))) if op is not None else None,
            )
        )
    total = sum(i.weight for i in indicators)
    if not indicators or abs(total - 1) > 1e-6:
        raise ConfigError(f"{where}: indicator weights must sum to 1, found {total:.6f}; e.g. 1/18 is 0.0555556")
    names = [i.name for i in indicators]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: indicator names must be unique, found {names}")
    return DeprivationSettings(indicators=tuple(indicators), poverty_cutoff=cutoff)


def _priority(table: dict[str, Any], where: str) -> PrioritySettings:
    weights = dict.fromkeys(PRIORITY_COMPONENTS, 1.0)
    for key, value in _table(table, "weights", where).items():
        if key not in weights:
            raise ConfigError(f"{where}: weight '{key}' is unknown; use {', '.join(PRIORITY_COMPONENTS)}")
        if not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where}: weight '{key}' must be a number >= 0, found {value!r}")
        weights[key] = float(value)
    if sum(weights.values()) <= 0:
        raise ConfigError(f"{where}: at least one priority weight must be > 0")
    return PrioritySettings(weights=weights)


def _number(raw: dict[str, Any], key: str, at: str, kind: type = float) -> Any:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{at}: '{key}' must be a number >= 0, found {value!r}")
    return kind(value)


def _progress(data: dict[str, Any], where: str, base: Path) -> ProgressSettings:
    bps = []
    for i, raw in enumerate(data.get("bps", [])):
        at = f"{where} [[bps]][{i}]"
        bps.append(
            BpsFigure(
                year=int(_require(raw, "year", at, int)),
                source=_require(raw, "source", at, str),
                poverty_rate=_number(raw, "poverty_rate", at),
                extreme_poverty_rate=_number(raw, "extreme_poverty_rate", at),
                poor_people=_number(raw, "poor_people", at, int),
                poverty_line=_number(raw, "poverty_line", at),
                population=_number(raw, "population", at, int),
            )
        )
    targets = []
    for i, raw in enumerate(data.get("targets", [])):
        at = f"{where} [[targets]][{i}]"
        target = Target(
            year=int(_require(raw, "year", at, int)),
            source=_require(raw, "source", at, str),
            poverty_rate=_number(raw, "poverty_rate", at),
            extreme_poverty_rate=_number(raw, "extreme_poverty_rate", at),
        )
        if target.poverty_rate is None and target.extreme_poverty_rate is None:
            raise ConfigError(f"{at}: give poverty_rate and/or extreme_poverty_rate (percent)")
        targets.append(target)
    reported = [
        ReportedCount(
            year=int(_require(raw, "year", f"{where} [[reported_register]][{i}]", int)),
            poor_people=int(_require(raw, "poor_people", f"{where} [[reported_register]][{i}]", int)),
            source=_require(raw, "source", f"{where} [[reported_register]][{i}]", str),
        )
        for i, raw in enumerate(data.get("reported_register", []))
    ]
    snapshots = []
    for i, raw in enumerate(data.get("snapshots", [])):
        at = f"{where} [[snapshots]][{i}]"
        paths = _require(raw, "paths", at, list)
        snapshots.append(
            Snapshot(
                date=_date(_require(raw, "date", at, (str, dt.date)), at),
                paths=tuple(expand_path(p, base=base) for p in paths),
            )
        )
    table = _table(data, "progress", where)
    size = _number(table, "household_size", f"{where} [progress]")
    if size is not None and size < 1:
        raise ConfigError(f"{where} [progress]: household_size must be >= 1 person, found {size}")
    return ProgressSettings(
        bps=tuple(sorted(bps, key=lambda b: b.year)),
        targets=tuple(sorted(targets, key=lambda t: t.year)),
        reported=tuple(reported),
        snapshots=tuple(sorted(snapshots, key=lambda s: s.date)),
        population=_number(table, "population", f"{where} [progress]", int),
        population_source=str(table.get("population_source", "")),
        household_size=size,
        household_size_source=str(table.get("household_size_source", "")),
    )


CATALOGUE_PATH: Path = Path(__file__).with_name("katalog_program.toml")


def program_catalogue() -> dict[str, dict[str, Any]]:
    """The shipped programme catalogue (``pipeline/katalog_program.toml``), by code."""
    data = tomllib.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    return {entry["code"]: entry for entry in data["program"]}


def _programs(items: list[Any], where: str, base: Path | None = None) -> tuple[Program, ...]:
    from .rules import parse_rule

    catalogue = program_catalogue()
    programs = []
    for i, given in enumerate(items):
        at = f"{where}[{i}]"
        code = _require(given, "code", at, str).strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
            raise ConfigError(f"{at}: code '{code}' must be lower-case letters, digits and '_'")
        raw = {**catalogue.get(code, {}), **given}
        funding = raw.get("funding", "APBN")
        if funding not in FUNDING_SOURCES:
            raise ConfigError(f"{at}: funding '{funding}' is unknown; use one of {', '.join(FUNDING_SOURCES)}")
        rule = str(raw.get("eligibility", ""))
        if rule:
            parse_rule(rule, where=f"{at} eligibility")
        quota = raw.get("quota")
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or quota < 0):
            raise ConfigError(f"{at}: quota must be a whole number >= 0, found {quota!r}")
        lists = raw.get("beneficiaries", [])
        if not isinstance(lists, list):
            raise ConfigError(f"{at}: beneficiaries must be a list of files")
        programs.append(
            Program(
                code=code,
                name=_require(raw, "name", at, str),
                opd=_require(raw, "opd", at, str),
                funding=funding,
                eligibility=rule,
                quota=quota,
                beneficiaries=tuple(expand_path(p, base=base or Path.cwd()) for p in lists),
            )
        )
    codes = [p.code for p in programs]
    if len(set(codes)) != len(codes):
        raise ConfigError(f"{where}: programme codes must be unique, found {codes}")
    return tuple(programs)


def load_config(path: str | os.PathLike[str]) -> RegionConfig:
    """Read a region TOML.

    Parameters
    ----------
    path
        A file such as ``regions/demo.toml``.

    Returns
    -------
    RegionConfig

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or a key is missing or wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"region config '{path}' not found; write one from your files with "
            "`kantong init <slug> --boundaries FILE --households FILE`"
        )
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    where = str(path)
    check_keys(data, text=text, where=where)
    try:
        return _region_config(data, path=path, where=where)
    except ConfigError as exc:
        raise ConfigError(_placed(str(exc), text=text, where=where)) from None


def _region_config(data: dict[str, Any], *, path: Path, where: str) -> RegionConfig:
    """The checked settings of a parsed region TOML (see :func:`load_config`)."""
    base = path.parent.resolve()

    region = _table(data, "region", where)
    slug = _require(region, "slug", f"{where} [region]", str)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", slug):
        raise ConfigError(f"{where} [region]: slug '{slug}' must be lower-case letters, digits and '_'")

    b = _table(data, "boundaries", where)
    columns = dict(_table(b, "columns", f"{where} [boundaries]"))
    snap = _float(b, "snap_distance_m", f"{where} [boundaries]", DEFAULT_SNAP_DISTANCE_M)
    if snap < 0:
        raise ConfigError(f"{where} [boundaries]: snap_distance_m must be >= 0 metres, found {snap}")
    boundaries = BoundarySource(
        path=expand_path(_require(b, "path", f"{where} [boundaries]", str), base=base),
        layer=b.get("layer"),
        columns=columns,
        snap_distance_m=snap,
        crosswalk=expand_path(b["crosswalk"], base=base) if b.get("crosswalk") else None,
        kecamatan=expand_path(b["kecamatan"], base=base) if b.get("kecamatan") else None,
        kecamatan_layer=b.get("kecamatan_layer"),
    )

    h = _table(data, "households", where)
    paths = _require(h, "paths", f"{where} [households]", list)
    if not paths:
        raise ConfigError(f"{where} [households]: 'paths' is empty; name at least one register file")
    schema = h.get("schema", "auto")
    if schema not in HOUSEHOLD_SCHEMAS:
        raise ConfigError(
            f"{where} [households]: schema '{schema}' is unknown; use one of {', '.join(HOUSEHOLD_SCHEMAS)}"
        )
    households = HouseholdSource(
        paths=tuple(expand_path(p, base=base) for p in paths),
        schema=schema,
        columns=dict(_table(h, "columns", f"{where} [households]")),
        sheet=h.get("sheet"),
        min_located_share=_share(h, "min_located_share", f"{where} [households]", HouseholdSource.min_located_share),
    )

    privacy = _table(data, "privacy", where)
    k = _int(privacy, "min_households", f"{where} [privacy]", DEFAULT_MIN_HOUSEHOLDS, low=2)

    a = _table(data, "analysis", where)
    at = f"{where} [analysis]"
    analysis = AnalysisSettings(
        projected_crs=_projected_crs(a.get("projected_crs", ""), at),
        permutations=_int(a, "permutations", at, DEFAULT_PERMUTATIONS, low=99),
        seed=_int(a, "seed", at, DEFAULT_SEED, low=0),
        significance=_float(a, "significance", at, DEFAULT_SIGNIFICANCE),
        h3_resolution=_int(a, "h3_resolution", at, DEFAULT_H3_RESOLUTION, low=5, high=12),
        small_base_households=_int(a, "small_base_households", at, DEFAULT_SMALL_BASE, low=1),
        overlap_programs=_int(a, "overlap_programs", at, 3, low=2),
        # a pocket must be publishable, and big enough to be worth a visit: 2k by default
        min_pocket_households=_int(a, "min_pocket_households", at, 2 * k, low=k),
    )
    if not 0 < analysis.significance < 0.5:
        raise ConfigError(f"{at}: significance must be in (0, 0.5), found {analysis.significance}")

    synthetic = None
    if "synthetic" in data:
        s = _table(data, "synthetic", where)
        synthetic = SyntheticSpec(
            households=_int(s, "households", f"{where} [synthetic]", 50_000, low=1),
            seed=_int(s, "seed", f"{where} [synthetic]", 42, low=0),
            boundaries=_bool(s, "boundaries", f"{where} [synthetic]", False),
            pockets=_int(s, "pockets", f"{where} [synthetic]", 3, low=0),
        )

    config = RegionConfig(
        verification_round=_verification_round(
            _table(data, "verification_round", where), f"{where} [verification_round]"
        ),
        verification=tuple(
            _verification_source(item, f"{where} [[verification]][{i}]", base)
            for i, item in enumerate(data.get("verification", []))
        ),
        basemap=_basemap(_table(data, "basemap", where), f"{where} [basemap]", base),
        slug=slug,
        name=_require(region, "name", f"{where} [region]", str),
        kode=_require(region, "kode", f"{where} [region]", str),
        data_date=_date(_require(region, "data_date", f"{where} [region]", (str, dt.date)), f"{where} [region]"),
        boundaries=boundaries,
        households=households,
        poverty=_poverty(_table(data, "poverty", where), f"{where} [poverty]"),
        analysis=analysis,
        deprivation=_deprivation(_table(data, "deprivation", where), f"{where} [deprivation]"),
        priority=_priority(_table(data, "priority", where), f"{where} [priority]"),
        progress=_progress(data, where, base),
        programs=_programs(data.get("programs", []), f"{where} [[programs]]", base),
        min_households=k,
        synthetic=synthetic,
        source=path.resolve(),
    )
    if synthetic is None:  # a synthetic region's inputs are generated by `kantong synth`
        _inputs_exist(config, where=where)
    return config


def _verification_round(table: dict[str, Any], where: str) -> VerificationRound:
    from .settings import VISIT_REASONS

    select = table.get("select", list(VerificationRound.select))
    if not isinstance(select, list) or not select or any(s not in VISIT_REASONS for s in select):
        raise ConfigError(f"{where}: 'select' must be a list of {', '.join(VISIT_REASONS)}, found {select!r}")
    return VerificationRound(
        select=tuple(select),
        priority_kelurahan=_int(table, "priority_kelurahan", where, VerificationRound.priority_kelurahan, low=1),
        max_households=_int(table, "max_households", where, VerificationRound.max_households, low=1),
        enumerators_per_kelurahan=_int(
            table, "enumerators_per_kelurahan", where, VerificationRound.enumerators_per_kelurahan, low=1, high=100
        ),
    )


def _basemap(table: dict[str, Any], where: str, base: Path) -> Path | None:
    """The extract of ``[basemap] osm``; a missing file is said at build time, and the map builds without it."""
    if "osm" not in table:
        return None
    value = _require(table, "osm", where, str)
    if not value.strip():
        raise ConfigError(f"{where}: 'osm' is empty; name an .osm.pbf extract or delete the [basemap] table")
    return expand_path(value, base=base)


def _verification_source(item: Any, where: str, base: Path) -> VerificationSource:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be a table with 'paths'")
    paths = _require(item, "paths", where, list)
    accuracy = _float(item, "max_gps_accuracy_m", where, VerificationSource.max_gps_accuracy_m)
    if accuracy <= 0:
        raise ConfigError(f"{where}: 'max_gps_accuracy_m' must be > 0 metres, found {accuracy:g}")
    return VerificationSource(paths=tuple(expand_path(p, base=base) for p in paths), max_gps_accuracy_m=accuracy)


def _inputs_exist(config: RegionConfig, *, where: str) -> None:
    """Refuse an input path that names no file, with the table and key that name it."""
    b = config.boundaries
    named = [
        ("boundaries", "path", [b.path]),
        ("boundaries", "crosswalk", [b.crosswalk] if b.crosswalk else []),
        ("boundaries", "kecamatan", [b.kecamatan] if b.kecamatan else []),
        ("households", "paths", list(config.households.paths)),
        *((f"[programs]][{i}", "beneficiaries", list(p.beneficiaries)) for i, p in enumerate(config.programs)),
        *((f"[snapshots]][{i}", "paths", list(s.paths)) for i, s in enumerate(config.progress.snapshots)),
        *((f"[verification]][{i}", "paths", list(v.paths)) for i, v in enumerate(config.verification)),
    ]
    for table, key, paths in named:
        # a pattern (verifikasi/*.xlsx) may match nothing yet; its folder must exist
        missing = [str(p) for p in paths if not (p.parent if is_pattern(p) else p).exists()]
        if missing:
            raise ConfigError(
                f"{where} [{table}]: '{key}' names {', '.join(missing)}, which does not exist; correct the path "
                "(relative paths start from the folder of this TOML)"
            )
