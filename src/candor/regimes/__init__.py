"""Threshold regimes shipped as package data: one YAML file per regime id."""
