"""The pure core: document models, parsing, standards, coverage. Imports nothing from web, CLI or store."""
