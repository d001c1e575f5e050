"""Customize: a mass-customization configurator that fits each customer.

This room is being built; see the project issues for its plan.
"""

__all__: list[str] = []
