"""A confidence model with known behaviour: bands follow question coverage only.

The fake embedder's similarities mean nothing, so the head looks at coverage alone: a question the
top passage covers well is answered, half covered gets "did you mean", barely covered is chit-chat.
"""

from __future__ import annotations

import math

from bot.answering.calibration import FEATURES, ConfidenceModel, LogisticHead


def _step_at(coverage: float) -> LogisticHead:
    """P = 0.5 exactly at ``coverage``, steep either side."""
    steepness = 30.0
    coefficients = tuple(steepness if name == "coverage" else 0.0 for name in FEATURES)
    return LogisticHead(
        mean=(0.0,) * len(FEATURES),
        scale=(1.0,) * len(FEATURES),
        coefficients=coefficients,
        intercept=-steepness * coverage,
    )


def coverage_bands(
    *, answer_at: float = 0.7, suggest_at: float = 0.3, chit_chat_below: float = 0.05
) -> ConfidenceModel:
    """Answer from ``answer_at`` coverage, suggest from ``suggest_at``, chit-chat below ``chit_chat_below``."""
    off_topic_below = 1.0 / (1.0 + math.exp(-30.0 * (chit_chat_below - suggest_at)))
    return ConfidenceModel(
        answer=_step_at(answer_at),
        found=_step_at(suggest_at),
        answer_from=0.5,
        suggest_from=0.5,
        off_topic_below=off_topic_below,
        fitted_on="test: coverage steps",
    )
