"""Explicit state machines: every status change is a named edge, and an illegal one is a 409 that says
which moves are allowed from here."""

from __future__ import annotations

from collections.abc import Mapping, Set

from services.common.problems import InvalidTransition


class StateMachine:
    def __init__(self, entity: str, edges: Mapping[str, Set[str]]) -> None:
        self.entity = entity
        self.edges = edges

    def allowed(self, current: str) -> list[str]:
        return sorted(self.edges.get(current, ()))

    def check(self, current: str, target: str) -> None:
        if target not in self.edges.get(current, ()):
            raise InvalidTransition(
                f"A {self.entity} cannot go from `{current}` to `{target}`.",
                current_status=current,
                allowed_transitions=self.allowed(current),
            )
