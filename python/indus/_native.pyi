"""Type stubs of ``indus._native``, the compiled layer (Rust, pyo3).

Its calls are the building blocks of ``indus`` and ``indus.spark``; use
those. Tables cross as Arrow C streams (``__arrow_c_stream__``).
"""

from os import PathLike
from typing import Any, Optional, Union

_Path = Union[str, PathLike[str]]

DEFAULT_MAX_WITHDRAWAL_RATE: float

class NativeError(Exception):
    """args: (message, exit_code, rejects: Frame | None)."""

class Frame:
    """One output table; read it with ``polars.DataFrame(frame)`` or ``pyarrow.table(frame)``."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def __len__(self) -> int: ...

class Run:
    def frame(self, name: str) -> Frame: ...
    def write(self, out: _Path) -> str: ...
    def warnings(self) -> list[str]: ...

def run(
    input: Optional[_Path],
    tables: Optional[dict[str, Any]],
    as_of: str,
    rules: Optional[_Path],
    previous: Optional[_Path],
    months: Optional[str],
    dialect: str,
    max_reject_rate: float,
    max_withdrawal_rate: float,
    allow_empty: bool,
) -> Run: ...
def explain(
    input: Optional[_Path],
    tables: Optional[dict[str, Any]],
    seeker: str,
    month: str,
    as_of: str,
    rules: Optional[_Path],
    previous: Optional[_Path],
    dialect: str,
) -> str: ...
def locate(input: _Path) -> list[tuple[str, str]]: ...
class ScanStream:
    """An input being read: Frames of (kind, bucket, line, text), then ``facts()`` as JSON."""

    def __iter__(self) -> "ScanStream": ...
    def __next__(self) -> Frame: ...
    def facts(self) -> str: ...

def scan(kind: str, path: _Path, options: str, buckets: int, chunk: int) -> ScanStream: ...
def reconcile_bucket(records: Any, facts: str, options: str, dir: _Path) -> None: ...
def merge_buckets(facts: str, dirs: list[_Path], options: str, out: _Path) -> str: ...
