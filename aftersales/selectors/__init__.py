"""Reads reused by the admin and the API, one module per purpose."""
