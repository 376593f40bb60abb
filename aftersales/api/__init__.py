"""The aftersales part of the chatbot API (``/api/v1/``), one module per purpose."""
