"""Shared test helpers: fake servers and fixtures used across test modules."""
