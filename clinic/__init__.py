"""The clinic's core, shared by the Rasa server, the action server and the staff tools.

The clinic profile (profile.py), the parsers of patients' answers (parsing.py), the outbox of
requests (outbox.py), its delivery to the clinic by webhook and e-mail (delivery.py, notices.py)
and the FAQ topics' titles (topics.py). Nothing here imports Rasa; demo.yml is the demo profile.
"""
