"""Custom Rasa NLU graph components of the clinic assistant."""
