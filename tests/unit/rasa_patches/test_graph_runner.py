"""Rasa's graph run in a kept order gives what dask's run of it gives, node for node."""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List

import pytest

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner

import rasa_patches
from rasa_patches import graph_order, run_in_order

DASK_RUN = getattr(DaskGraphRunner.run, "replaced", DaskGraphRunner.run)


class Recorded:
    """A node: its output names itself and what it was given; every call is recorded."""

    def __init__(self, name: str, calls: List[str]) -> None:
        self.name, self.calls = name, calls

    def __call__(self, *given: Any) -> Any:
        self.calls.append(self.name)
        if self.name == "broken":
            raise RuntimeError("a node failed")
        return self.name, (self.name, tuple(sorted(str(g) for g in given)))


def runner_for(needs: Dict[str, Dict[str, str]], targets: List[str], calls: List[str]) -> DaskGraphRunner:
    runner = object.__new__(DaskGraphRunner)
    runner._graph_schema = GraphSchema({
        name: SchemaNode(needs=node_needs, uses=object, constructor_name="create", fn="run", config={},
                         is_target=name in targets)
        for name, node_needs in needs.items()})
    runner._instantiated_nodes = {name: Recorded(name, calls) for name in needs}  # type: ignore[assignment]
    runner._execution_context = None  # type: ignore[assignment]
    return runner


def random_graph(rng: random.Random) -> Dict[str, Dict[str, str]]:
    """A random acyclic graph: each node needs some earlier nodes or the inputs."""
    names = [f"n{i}" for i in range(rng.randint(1, 12))]
    return {name: {f"arg{k}": rng.choice(names[:i] + ["__message__", "__tracker__"])
                   for k in range(rng.randint(0, 3))}
            for i, name in enumerate(names)}


def test_random_graphs_give_dasks_results_from_the_same_calls():
    rng = random.Random(3)
    for _ in range(300):
        needs = random_graph(rng)
        targets = rng.sample(sorted(needs), rng.randint(1, min(3, len(needs))))
        inputs = {"__message__": ["hi"], "__tracker__": "a tracker"}
        dask_calls: List[str] = []
        ours: List[str] = []
        expected = DASK_RUN(runner_for(needs, targets, dask_calls), inputs, targets)
        runner = runner_for(needs, targets, ours)
        assert run_in_order(runner, inputs, targets) == expected
        assert run_in_order(runner, inputs, targets) == expected  # the kept order serves again
        assert sorted(ours) == sorted(dask_calls * 2)  # each needed node once per run, none other
    assert len(expected) == len(targets)


def test_a_node_runs_after_every_node_it_needs():
    needs = {"c": {"x": "b", "y": "a"}, "b": {"x": "a"}, "a": {"m": "__message__"}, "unused": {}}
    assert graph_order(runner_for(needs, ["c"], [])._graph_schema, ["c"]) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="cycle"):
        graph_order(runner_for({"a": {"x": "b"}, "b": {"x": "a"}}, ["a"], [])._graph_schema, ["a"])


@pytest.mark.parametrize("run", [DASK_RUN, run_in_order])
def test_failures_are_rasas(run: Callable[..., Any]):
    needs = {"broken": {}, "after": {"x": "broken"}}
    with pytest.raises(GraphRunError, match="Error running runner"):
        run(runner_for(needs, ["after"], []), {}, ["after"])
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        run(runner_for({"a": {}}, ["a"], []), {"__message__": "a"}, ["a"])


def test_installed_once():
    rasa_patches.install_sequential_graph_runner()
    rasa_patches.install_sequential_graph_runner()
    assert DaskGraphRunner.run is run_in_order and run_in_order.replaced is DASK_RUN  # type: ignore[attr-defined]
