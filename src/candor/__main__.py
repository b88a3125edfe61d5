"""``python -m candor`` runs the CLI."""

from candor.cli.app import main

main()
