"""A topic: a named list of subscribers that a writer calls, in order, inside its own transaction.

Why not Django signals: a subscriber here does real work (an SMS row in the outbox, a partner's
webhook, a tally) and must commit or roll back with the change that caused it, so it runs
synchronously where the writer publishes, inside ``transaction.atomic``, and an exception in a
subscriber rolls the whole change back. The writer imports only the topic, never a subscriber;
each app subscribes in its ``AppConfig.ready``, so adding a side effect edits no writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Event = TypeVar("Event")


class Topic(Generic[Event]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Callable[[Event], object]] = []

    def subscribe(self, subscriber: Callable[[Event], object]) -> Callable[[Event], object]:
        """Add ``subscriber`` once (``ready`` may run twice in tests); usable as a decorator."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Callable[[Event], object]) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    @property
    def subscribers(self) -> tuple[Callable[[Event], object], ...]:
        return tuple(self._subscribers)

    def publish(self, event: Event) -> None:
        for subscriber in tuple(self._subscribers):
            subscriber(event)

    def __repr__(self) -> str:
        names = ", ".join(getattr(s, "__qualname__", repr(s)) for s in self._subscribers)
        return f"<Topic {self.name}: {names}>"
