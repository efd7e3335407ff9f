"""Hyanggi's shared bottom: settings, metrics and logging — what every layer but the pure core may import."""
