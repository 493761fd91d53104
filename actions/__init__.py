"""Custom actions of the clinic assistant, one module per concern."""
