"""The one error hierarchy of Candor.

Every error a user can cause derives from :class:`CandorError` and carries a human message.
The CLI prints :meth:`CandorError.diagnostics` and exits with :attr:`CandorError.exit_code`;
it never shows a traceback for these.
"""

from __future__ import annotations


class CandorError(Exception):
    """Base class for every error Candor reports to a person."""

    #: The process exit code the CLI uses for this error.
    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """One line (plus an optional hint) that tells a person what went wrong and where."""
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class SourceError(CandorError):
    """A file or input that cannot be read or decoded: missing, a directory, too large, empty, not UTF-8."""

    def __init__(self, name: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{name}: {message}", hint=hint)
        self.name = name


class DocumentError(CandorError):
    """A document whose content is malformed: bad YAML, a wrong type, a missing or unknown field.

    It names the file, the line and the field path, so that an editor can jump to it.
    """

    def __init__(
        self,
        name: str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        location = name if line is None else f"{name}:{line}"
        prefix = f"{location}: {field}: " if field else f"{location}: "
        super().__init__(prefix + message, hint=hint)
        self.name = name
        self.line = line
        self.field = field
        self.detail = message


class NotFoundError(CandorError):
    """A developer, key, token, document or statement that is not in the registry.

    Here rather than in the store, so that services and faces (the API's 404, the CLI's exit code 3) can name it
    without importing the storage layer.
    """

    exit_code = 3


class ConflictError(CandorError):
    """A change that clashes with what the registry already holds, such as a slug that is taken."""
