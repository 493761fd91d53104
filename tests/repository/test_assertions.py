"""No test asserts something that holds for any input: every assertion in tests/ can fail.

The checks read each test file's syntax tree and flag the shapes of assertions that cannot fail:
a value compared with itself, a string tested against its own slice, a constant or `or True`, a
length at least zero, and `all()` over a collection that nothing shows to be non-empty (all() of
nothing is True)."""

from __future__ import annotations

import ast
from typing import Iterator, List, Optional, Set

import pytest

from tests.support.project import ROOT

SELF_COMPARISONS = (ast.Eq, ast.LtE, ast.GtE, ast.Is, ast.In)


def same(first: ast.AST, second: ast.AST) -> bool:
    return ast.dump(first) == ast.dump(second)


def own_slice_test(node: ast.AST) -> bool:
    """x.startswith(x[:n]) or x.endswith(x[-n:])"""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith") and len(node.args) == 1
            and isinstance(node.args[0], ast.Subscript) and same(node.args[0].value, node.func.value))


def self_comparison(node: ast.AST) -> bool:
    return (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], SELF_COMPARISONS)
            and same(node.left, node.comparators[0]))


def length_at_least_zero(node: ast.AST) -> bool:
    return (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.GtE)
            and isinstance(node.left, ast.Call) and getattr(node.left.func, "id", "") == "len"
            and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value == 0)


def truthy_constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def always_true(node: ast.AST) -> bool:
    """Whether an assertion's test, or a part of it joined by and/or, holds whatever the values are."""
    if truthy_constant(node) or own_slice_test(node) or self_comparison(node) or length_at_least_zero(node):
        return True
    if isinstance(node, ast.BoolOp):
        # `a or True` always holds; in `a and b` a part that always holds checks nothing.
        return any(always_true(value) for value in node.values)
    return False


def all_over(node: ast.AST) -> Optional[ast.AST]:
    """The collection that `all(... for _ in collection)` ranges over."""
    if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "all" and len(node.args) == 1
            and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp))):
        return node.args[0].generators[0].iter
    return None


def shown_non_empty(collection: ast.AST, test: ast.AST) -> bool:
    """Whether an assertion's test shows the collection non-empty: `x and ...`, `len(x) ...`, `x[0]`, `x == [...]`."""
    if isinstance(collection, ast.Call) and isinstance(collection.func, ast.Attribute) \
            and collection.func.attr in ("values", "items", "keys"):
        collection = collection.func.value  # d.values() is empty exactly when d is
    key = ast.dump(collection)
    for node in ast.walk(test):
        if isinstance(node, ast.BoolOp) and any(ast.dump(value) == key for value in node.values):
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "len" and node.args \
                and ast.dump(node.args[0]) == key:
            return True
        if isinstance(node, ast.Subscript) and ast.dump(node.value) == key:
            return True
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq) \
                and key in (ast.dump(node.left), ast.dump(node.comparators[0])):
            return True
    return ast.dump(test) == key


def functions(tree: ast.AST) -> Iterator[ast.AST]:
    yield tree  # module-level assertions too
    yield from (node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def vacuous_all(function: ast.AST) -> List[ast.Assert]:
    """Assertions whose all() ranges over a collection no assertion of the function shows non-empty."""
    asserts = [node for node in ast.walk(function) if isinstance(node, ast.Assert)]
    found = []
    for assertion in asserts:
        parts = assertion.test.values if isinstance(assertion.test, ast.BoolOp) \
            and isinstance(assertion.test.op, ast.And) else [assertion.test]
        for part in parts:
            collection = all_over(part)
            if collection is None or isinstance(collection, (ast.List, ast.Tuple, ast.Set, ast.Dict)) \
                    and getattr(collection, "elts", None):
                continue  # not all(), or all() over a literal with elements
            if not any(shown_non_empty(collection, other.test) for other in asserts):
                found.append(assertion)
    return found


def problems(source: str, filename: str = "<test>") -> List[str]:
    tree = ast.parse(source, filename=filename)
    lines: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and always_true(node.test):
            lines.add(node.lineno)
    for function in functions(tree):
        if function is not tree:
            lines.update(assertion.lineno for assertion in vacuous_all(function))
    source_lines = source.splitlines()
    return [f"{filename}, line {number}: {source_lines[number - 1].strip()}" for number in sorted(lines)]


@pytest.mark.parametrize("source", [
    'assert payload["t"].startswith(payload["t"][:10]) and "T12" in payload["t"]',
    "assert x.endswith(x[-3:])",
    "def test():\n    received = []\n    assert all('too long' in r for r in received)",
    "assert True",
    "assert reply == reply",
    "assert len(replies) >= 0",
    "assert answer or True",
])
def test_the_checker_flags_assertions_that_cannot_fail(source):
    assert problems(source), source


@pytest.mark.parametrize("source", [
    'assert payload["t"].startswith("2026-12-01")',
    "def test():\n    assert replies and all(r['text'] for r in replies)",
    "def test():\n    assert len(replies) == 2\n    assert all(r['text'] for r in replies)",
    "def test():\n    assert all(x > 0 for x in [1, 2])",
    "assert reply == expected",
    "assert len(replies) >= 1",
])
def test_the_checker_accepts_assertions_that_can_fail(source):
    assert not problems(source), problems(source)


def test_no_test_asserts_what_holds_for_any_input():
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        found += problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "make each of these assertions able to fail:\n" + "\n".join(found)
