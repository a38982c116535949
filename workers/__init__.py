"""Celery workers for parser-service: the app (``workers.app``), its tasks (``workers.tasks``,
``workers.ingest``) and the beat schedule (``workers.schedule``). Thin by design: tasks take
ids and call ``parser_service.service``; sending jobs is ``parser_service.service.queue``'s."""
