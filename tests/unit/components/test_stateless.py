"""Pipeline steps read settings of the pipeline they run in, rather than a copy of them."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.recipe import Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.data import TrainingType

from components.crisis_detector import CrisisDetector
from tests.support.project import ROOT, read_yaml


def pipeline_steps(*steps):
    """The FallbackClassifier's node and the nodes of the given steps, as config.yml builds them."""
    config = read_yaml(ROOT / "config.yml")
    schema = Recipe.recipe_for_name(config["recipe"]).graph_config_for_recipe(
        config, {}, training_type=TrainingType.BOTH).predict_schema
    nodes = [next(node for node in schema.nodes.values() if issubclass(node.uses, step))
             for step in (FallbackClassifier, *steps)]
    return schema, nodes


def test_the_crisis_detector_hands_readings_back_with_the_fallback_classifiers_threshold():
    schema, (fallback, detector_node) = pipeline_steps(CrisisDetector)
    assert "fallback_threshold" not in detector_node.config, "config.yml writes the threshold twice"

    detector = CrisisDetector.create(detector_node.config, None, None, ExecutionContext(schema, "test"))

    assert detector.fallback_threshold == fallback.config["threshold"]
    assert fallback.config["threshold"] != FallbackClassifier.get_default_config()["threshold"], \
        "the test would pass on Rasa's default alone"


def test_the_language_guard_hands_readings_back_with_the_fallback_classifiers_threshold():
    from components.language_guard import LanguageGuard

    schema, (fallback, guard_node) = pipeline_steps(LanguageGuard)
    guard = LanguageGuard.create(guard_node.config, None, None, ExecutionContext(schema, "test"))
    assert guard.fallback_threshold == fallback.config["threshold"]
