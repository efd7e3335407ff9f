"""Hyanggi application-wide configuration (the only module every layer but the core may import)."""
