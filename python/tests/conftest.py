"""Shared helpers: the CLI binary the module is compared with, the fixtures."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
MONTH_5K = FIXTURES / "months" / "2024-03-5k"


def indus_bin() -> str:
    """The `indus` binary built from the same sources (.ci/run sets INDUS_BIN)."""
    path = os.environ.get("INDUS_BIN")
    if not path:
        target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
        path = os.path.join(target, "release", "indus")
    if not os.path.exists(path):
        pytest.fail(f"no indus binary at {path}: build it (cargo build --release) or set INDUS_BIN")
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([indus_bin(), *args], capture_output=True, text=True)


def cli_run(out: pathlib.Path, *args: str) -> None:
    r = cli("run", "--out", str(out), *args)
    assert r.returncode == 0, r.stderr


def assert_same_folder(a: pathlib.Path, b: pathlib.Path) -> None:
    """Every file of two run folders, byte for byte (manifest included)."""
    names_a = sorted(p.name for p in a.iterdir())
    names_b = sorted(p.name for p in b.iterdir())
    assert names_a == names_b
    for name in names_a:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"


@pytest.fixture
def tmp(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path
