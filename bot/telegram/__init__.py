"""The Telegram edge: the python-telegram-bot application and one handler module per feature."""
