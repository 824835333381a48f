"""Answering staff questions: hybrid retrieval, confidence, extractive and LLM answers."""
