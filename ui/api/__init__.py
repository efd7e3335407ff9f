"""REST API (`/api/v1`) served next to the chat UI."""

from ui.api.app import API_PREFIX, create_api, mount_api

__all__ = ["API_PREFIX", "create_api", "mount_api"]
