"""The staff console: the clinic's side of the hand-off (requests, crisis flags, transcripts,
the review queue and the figures at a glance), behind staff accounts."""
