"""Identify: recognise the same customer across records and channels.

This room is being built; see the project issues for its plan.
"""

__all__: list[str] = []
