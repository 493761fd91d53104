"""Project tooling: model training, evaluation, server control for tests and benchmarks."""
