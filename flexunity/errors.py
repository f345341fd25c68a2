"""The package's exceptions: one root, and subclasses that also inherit the builtin they refine.

User mistakes (bad files, unknown peers, infeasible communities, a dead RPC node) raise a
``UserError`` subclass. The CLI prints those as one readable message without a traceback and exits
with the error's ``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class FlexUnityError(Exception):
    """Root of every error FlexUnity raises on purpose."""


class UserError(FlexUnityError):
    """A problem the user can fix: shown without a traceback."""

    exit_code = 2


class InputError(UserError, ValueError):
    """Malformed or inconsistent input. The message names the file, peer, field and interval."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InfeasibleError(UserError):
    """The community's optimisation has no solution; the message names the constraints at fault."""

    exit_code = 3


class ChainError(UserError):
    """The chain refused or could not be reached: a reverted transaction explained, a dead node."""

    exit_code = 4


class AuditFailure(FlexUnityError):
    """An audit check failed; carries the reasons."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))
