"""Errors raised by the pipeline.

Every message says what was found and how to fix it. Row-level problems are
never raised: they become quarantine rows (see :mod:`pipeline.ingest.validate`).
"""

from __future__ import annotations

import logging


class PipelineError(Exception):
    """Base class for every error the pipeline raises on purpose."""


class ConfigError(PipelineError, ValueError):
    """A region TOML is missing a key, has a wrong type, or names a bad value."""


class InputError(PipelineError):
    """An input file is missing, unreadable, or lacks the columns the config names."""


class ValidationError(PipelineError, ValueError):
    """A whole input fails validation (as opposed to single rows, which are quarantined)."""


class CRSError(PipelineError, ValueError):
    """A layer has no CRS, or a CRS that does not match what a stage expects."""


class PrivacyError(PipelineError):
    """A public output would contain personal data; the write is refused."""


class OutputError(PipelineError):
    """Outputs cannot be written: a full disk, a read-only folder, or another run holds the region."""


class CapturedWarnings(logging.Handler):
    """Collects the messages of the warnings logged while it is attached (to repeat or return them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
