"""indus from Python: the same engine as the ``indus`` command, in a notebook.

``indus.run`` reconciles a month (or several) and keeps the result in
memory: each output is a polars DataFrame (money as ``Decimal(18, 2)``,
dates as ``Date``, the closed vocabularies as text), the manifest is a dict,
and ``.write(dir)`` writes the folder ``indus run`` writes, byte for byte.
Tables cross between Python and the engine as Arrow C streams: no CSV
round trip and no Python object per row.

``indus.spark.run`` runs the same engine on a Spark cluster.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

from . import _native

if TYPE_CHECKING:  # polars is imported when a frame is first asked for
    import polars as pl

__all__ = ["run", "explain", "Run", "IndusError", "OUTPUTS", "INPUTS"]

#: The outputs of a run, as its folder holds them (each also a ``Run`` attribute).
OUTPUTS = ("findings", "entitlements", "notices", "changes", "agencies", "rejects")
#: The inputs a ``dict`` may hold; the first four are required (data.md).
INPUTS = ("rights", "declarations", "attestations", "ledger", "decisions")

Input = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class IndusError(Exception):
    """A run or an explanation that indus refused, with the CLI's message.

    Attributes:
        message: what ``indus`` prints on stderr, naming the file, line and field.
        exit_code: the CLI's exit status for the same error (2 for bad input).
        rejects: when a file had too many rejects, that file's rejects as a
            polars DataFrame (the columns of rejects.csv); ``None`` otherwise.
    """

    def __init__(self, message: str, exit_code: int = 2, rejects: Optional["pl.DataFrame"] = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.rejects = rejects


def _frame(native_frame: Any) -> "pl.DataFrame":
    # polars reads the Arrow C stream without copying the values through
    # Python. Imported here, not with the package: a run that is only written
    # does not load it (its allocator and 0.2 s of start-up).
    import polars as pl

    return pl.DataFrame(native_frame)


def _raise(e: Exception) -> None:
    message, exit_code, rejects = e.args
    raise IndusError(message, exit_code, None if rejects is None else _frame(rejects)) from None


def _arrow_stream(table: Any, name: str) -> Any:
    """Anything with ``__arrow_c_stream__`` (polars, pyarrow, pandas >= 2.2…);
    other tables through pyarrow."""
    if hasattr(table, "__arrow_c_stream__"):
        return table
    try:
        import pyarrow as pa

        return pa.table(table)
    except Exception as e:  # a table pyarrow cannot read: say which input
        raise IndusError(
            f"the `{name}` table is not a table ({type(table).__name__}): give a polars or pandas "
            "DataFrame or a pyarrow Table",
            2,
        ) from e


def _inputs(input: Input) -> tuple[Optional[str], Optional[dict[str, Any]]]:
    if isinstance(input, Mapping):
        return None, {str(k): _arrow_stream(v, str(k)) for k, v in input.items()}
    return os.fspath(input), None


def _date(d: Union[str, _dt.date]) -> str:
    return d.isoformat() if isinstance(d, _dt.date) else str(d)


def _path(p: Optional[Union[str, "os.PathLike[str]"]]) -> Optional[str]:
    return None if p is None else os.fspath(p)


class Run:
    """A computed run, in memory.

    Attributes (polars DataFrames, the columns of the CSV files in their order):
        findings, entitlements, notices, changes, agencies, rejects.
    """

    findings: "pl.DataFrame"
    entitlements: "pl.DataFrame"
    notices: "pl.DataFrame"
    changes: "pl.DataFrame"
    agencies: "pl.DataFrame"
    rejects: "pl.DataFrame"

    def __init__(self, native: Any):
        self._native = native
        self._frames: dict[str, "pl.DataFrame"] = {}
        self._manifest: Optional[dict[str, Any]] = None

    def __getattr__(self, name: str) -> "pl.DataFrame":
        if name in OUTPUTS:
            # Each frame is built the first time it is asked for, then kept.
            if name not in self._frames:
                self._frames[name] = _frame(self._native.frame(name))
            return self._frames[name]
        raise AttributeError(name)

    @property
    def warnings(self) -> list[str]:
        """What ``indus run`` prints as warnings: unknown columns, lines without any value."""
        return list(self._native.warnings())

    @property
    def manifest(self) -> dict[str, Any]:
        """manifest.json as a dict: inputs and their SHA-256, options, outputs
        and their SHA-256, totals. The output digests are those of the files
        ``write`` writes, so the first access renders them once (to a
        temporary folder) unless ``write`` was called."""
        if self._manifest is None:
            with tempfile.TemporaryDirectory(prefix="indus-manifest-") as tmp:
                self.write(os.path.join(tmp, "run"))
        assert self._manifest is not None
        return self._manifest

    def write(self, dir: Union[str, "os.PathLike[str]"]) -> dict[str, Any]:
        """Writes the folder ``indus run --out DIR`` writes (every file and the
        manifest, byte for byte), atomically; returns the manifest."""
        try:
            text = self._native.write(os.fspath(dir))
        except _native.NativeError as e:
            _raise(e)
        self._manifest = json.loads(text)
        return self._manifest

    def __repr__(self) -> str:
        return f"<indus.Run: {len(self.findings)} findings, {len(self.notices)} notices, {len(self.rejects)} rejects>"


def run(
    input: Input,
    as_of: Union[str, _dt.date],
    rules: Optional[Union[str, "os.PathLike[str]"]] = None,
    previous: Optional[Union[str, "os.PathLike[str]"]] = None,
    months: Optional[str] = None,
    *,
    dialect: str = "auto",
    max_reject_rate: float = 0.01,
    max_withdrawal_rate: float = _native.DEFAULT_MAX_WITHDRAWAL_RATE,
    allow_empty: bool = False,
) -> Run:
    """Reconciles the inputs as ``indus run`` does, and keeps the result in memory.

    Args:
        input: a folder holding rights, declarations, attestations, ledger (and
            optionally decisions) as .csv or .parquet; or a dict of those
            names to tables (polars or pandas DataFrames, pyarrow Tables).
            A table is read as a Parquet file is: its rows numbered from 1,
            rejects naming it ``table:KIND``.
        as_of: the date the run knows the world at (``YYYY-MM-DD`` or a date).
        rules: a rule set TOML file; ``None``: the rule set built in.
        previous: the previous night's run folder (nights.md), if any.
        months: ``"2024-03"`` or ``"2024-01..2024-03"``; ``None``: every month
            the records name.
        dialect: ``"auto"``, ``"intl"`` or ``"fr"`` (CSV files only).
        max_reject_rate, max_withdrawal_rate, allow_empty: as the CLI's options.

    Raises:
        IndusError: with the CLI's message (and the rejects, when a file has
            too many of them).
    """
    folder, tables = _inputs(input)
    try:
        native = _native.run(
            folder,
            tables,
            _date(as_of),
            _path(rules),
            _path(previous),
            months,
            dialect,
            float(max_reject_rate),
            float(max_withdrawal_rate),
            bool(allow_empty),
        )
    except _native.NativeError as e:
        _raise(e)
    return Run(native)


def explain(
    input: Input,
    seeker: str,
    month: str,
    as_of: Union[str, _dt.date],
    rules: Optional[Union[str, "os.PathLike[str]"]] = None,
    previous: Optional[Union[str, "os.PathLike[str]"]] = None,
    *,
    dialect: str = "auto",
) -> dict[str, Any]:
    """``indus explain --format json`` as a dict: every record, parameter and
    step behind one seeker's month, and the findings and notice they give."""
    folder, tables = _inputs(input)
    try:
        text = _native.explain(folder, tables, seeker, month, _date(as_of), _path(rules), _path(previous), dialect)
    except _native.NativeError as e:
        _raise(e)
    return json.loads(text)
