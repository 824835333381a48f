"""Questions people asked, their answers, and the ones still waiting for a person (knowledge gaps)."""
