"""The ``candor`` command: a Typer app with one module per command group."""
