"""Delivery channels: each sends one notification, or raises DeliveryError saying whether to retry."""
from __future__ import annotations


class DeliveryError(Exception):
    """A delivery that did not happen; `retryable` says whether trying again later can help.

    `message` is one short line for the outbox and the console ("the receiver answered 503"),
    never a traceback or a server's whole reply.
    """

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"DeliveryError({self.message!r}, retryable={self.retryable})"
