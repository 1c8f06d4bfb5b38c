"""A change the rules do not allow: the one exception core raises and views turn into a response."""


class Refused(Exception):
    """The message says why, in the user's language; `status` is the HTTP answer a view may give
    it, `field` the input at fault (if one is)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message, self.status, self.field = message, status, field
