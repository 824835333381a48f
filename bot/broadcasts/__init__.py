"""Broadcasts: messages to an audience, delivered through a durable outbox at Telegram's rate limits."""
