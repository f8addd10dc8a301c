"""Subscriber notifications: the outbox, the delivery channels and the dispatcher."""
