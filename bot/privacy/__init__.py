"""Personal data (names, phones, e-mails) kept out of logs and out of stored conversations.

* ``bot.privacy.scrub``: the one definition of the phone / e-mail / link patterns and
  ``scrub_personal_data`` (the unanswered-questions log and the tracker store share it).
* ``bot.privacy.redaction``: which parts of a Rasa event are personal, given the form state.
* ``bot.privacy.tracker_store``: ``RedactingSQLTrackerStore``, Rasa's SQL tracker store that
  stores conversations redacted (``type: bot.privacy.tracker_store.RedactingSQLTrackerStore``).

This package imports nothing heavy at import time: ``bot.privacy.scrub`` is safe to import from
the action server and the web app, which do not load Rasa.
"""
