"""Helpers for tests that use the mock: the pytest plugin, handles, a webhook receiver."""
