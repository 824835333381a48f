"""The ``changebot`` command line.

One module per feature; each exposes ``register(app)`` and adds its commands (or its sub-app) to the
root app in ``common``. The order of the calls is the order ``changebot --help`` lists them in.
"""

from bot.cli import admin, broadcasts, knowledge, rollout, serving, surveys
from bot.cli.common import app, run

knowledge.register(app)
serving.register(app)
broadcasts.register(app)
surveys.register(app)
rollout.register(app)
admin.register(app)

__all__ = ["app", "run"]
