"""Interact: the interaction log, consent, contact rules and learning profiles.

This room is being built; see the project issues for its plan.
"""

__all__: list[str] = []
