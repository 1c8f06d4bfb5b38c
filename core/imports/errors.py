"""The error an unreadable or unacceptable import file raises, with a message for the user."""


class ImportFileError(Exception):
    """Raised before anything is written; .message is translated, ready to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
