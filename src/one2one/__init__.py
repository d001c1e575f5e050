"""one2one: one-to-one marketing, treating each customer as a market of one.

The library follows the Peppers & Rogers IDIC cycle, one subpackage ("room")
per step, plus lifetime value:

* :mod:`one2one.identify`: recognise the same customer across records.
* :mod:`one2one.differentiate`: rank customers by value, group them by needs.
* :mod:`one2one.interact`: log interactions, respect consent, learn.
* :mod:`one2one.customize`: configure a product that fits one customer.
* :mod:`one2one.clv`: buy-till-you-die models and customer lifetime value.

Bundled data and simulators are in :mod:`one2one.datasets`; every exception is
in :mod:`one2one.errors`.
"""

from ._version import __version__

__all__ = ["__version__"]
