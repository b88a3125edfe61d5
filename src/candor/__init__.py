"""Candor: an open registry and toolkit for frontier AI transparency."""

__version__ = "0.1.0"
