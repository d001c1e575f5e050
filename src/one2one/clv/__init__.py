"""Customer lifetime value: the buy-till-you-die model family.

This room is being built; see the project issues for its plan.
"""

__all__: list[str] = []
