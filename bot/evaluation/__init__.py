"""Measuring answer quality against the change team's eval set (``knowledge/eval``)."""
