"""Pulse surveys: definitions from knowledge/surveys/, scoring, waves, anonymous responses, results."""
