"""The operations.  HTML views, the JSON API and the CLI all call these; nothing else writes."""


class ServiceError(Exception):
    """A user-correctable problem found by a service (e.g. a duplicate username).

    ``field`` names the form/API field it belongs to (None: the whole request);
    ``message`` is a translation string.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
