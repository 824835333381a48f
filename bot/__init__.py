"""changebot: the application."""
