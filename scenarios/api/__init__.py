"""The chatbot-facing API of the scenarios app, one module per purpose."""
