"""The rollout itself: waves of units, weekly adoption figures, warning lights, alerts, the weekly review."""
