"""``python -m api.cli``."""

from api.cli import main

raise SystemExit(main())
