"""``spark eval``: which model writes the best Unity code, measured on a suite of prompts.

- :mod:`spark.eval.suite`: the suite file (the built-in ``suite.toml``, or a user's).
- :mod:`spark.eval.runner`: runs the suite on each model through the service's Engine.
- :mod:`spark.eval.report`: the per-model figures, the score, the text table and JSON.
- :mod:`spark.eval.html`: the self-contained HTML report and the score chart.

Storage of runs and their items is :mod:`spark.db.evals`; the command is ``spark.cli.eval``.
"""
