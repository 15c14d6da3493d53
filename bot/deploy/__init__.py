"""Running the bot on more than one machine: the pieces the production set-up adds.

- ``channel``: Rasa's REST channel made safe to retry (a resent message is answered once).
- ``logs``: a JSON log formatter for the action server, Rasa and the web app.
- ``cluster``: the multi-process set-up (nginx, several Rasa servers, action servers) that the
  scale-out test and the benchmark start on one machine.
- ``load``: the concurrent-conversation client shared by the benchmark and the scale-out test.

Operators' files (docker-compose, nginx, systemd, production endpoints) live in ``deploy/``.
"""
