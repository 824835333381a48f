"""The domain's exceptions; the Telegram and web edges translate them into replies and HTTP errors."""


class ChangebotError(Exception):
    """Base class: something the user or operator can act on, with a message that says what."""


class NotFoundError(ChangebotError):
    """A thing the caller named does not exist."""


class InvalidInputError(ChangebotError):
    """Input was rejected before anything changed."""


class ConflictError(InvalidInputError):
    """The request is well formed but clashes with the thing's state: it is sent, stopped or closed
    already, or the name is taken (HTTP 409)."""


class KnowledgeUnavailableError(ChangebotError):
    """The index or vector store cannot be reached right now; try again later."""
