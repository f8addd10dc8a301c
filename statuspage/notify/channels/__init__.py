"""Delivery channels: each sends one notification, or raises DeliveryError saying whether to retry."""
from __future__ import annotations

from datetime import timedelta


class DeliveryError(Exception):
    """A delivery that did not happen; `retryable` says whether trying again later can help.

    `message` is one short line for the outbox and the console ("the receiver answered 503"),
    never a traceback or a server's whole reply.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: timedelta | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after  # the receiver's rate limit (429 Retry-After): not before then, no attempt used

    def __repr__(self) -> str:
        return f"DeliveryError({self.message!r}, retryable={self.retryable}, retry_after={self.retry_after!r})"
