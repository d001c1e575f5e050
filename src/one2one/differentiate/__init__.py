"""Differentiate: rank customers by value and group them by needs.

This room is being built; see the project issues for its plan.
"""

__all__: list[str] = []
