"""``python -m remission`` runs the command line."""

from remission.cli.main import main

main()
