"""Turns the change team's files into the search index."""
