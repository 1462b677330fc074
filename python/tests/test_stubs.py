"""The type stubs and docstrings a notebook shows are those of the module as built."""

from __future__ import annotations

import ast
import inspect
import pathlib

import indus
import indus.spark
from indus import _native

STUB = pathlib.Path(indus.__file__).with_name("_native.pyi")


def test_the_stub_names_exactly_what_the_compiled_module_has():
    tree = ast.parse(STUB.read_text())
    stubbed = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stubbed.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and not node.target.id.startswith("_"):
            stubbed.add(node.target.id)
    built = {n for n in dir(_native) if not n.startswith("_")}
    assert stubbed == built


def test_the_stub_gives_each_function_the_compiled_parameters():
    tree = ast.parse(STUB.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            stub_params = [a.arg for a in node.args.args]
            sig = inspect.signature(getattr(_native, node.name))
            assert stub_params == list(sig.parameters), node.name


def test_the_public_calls_are_documented_and_typed():
    for f in (indus.run, indus.explain, indus.spark.run, indus.Run.write):
        assert f.__doc__ and len(f.__doc__) > 80, f.__qualname__
        hints = inspect.signature(f)
        assert all(p.annotation is not inspect.Parameter.empty for n, p in hints.parameters.items() if n != "self")
    assert (pathlib.Path(indus.__file__).with_name("py.typed")).exists()
