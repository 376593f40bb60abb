"""The flow engine: the published flow schema, its validator, safe expressions and templates, the
turn runner, slot extractors and routing. Pure modules: the database is reached through services."""
