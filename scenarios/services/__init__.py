"""Every write of the scenarios app. Modules by purpose; import from them directly."""
