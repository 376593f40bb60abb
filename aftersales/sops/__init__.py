"""SOP logic that is neither a model, a write nor a plain read: parameter types, the content
snapshot and its hash, the diff engine, the consistency report, Markdown export, demo content."""
