"""``python -m one2one`` runs the command-line program."""

from .cli import main

raise SystemExit(main())
