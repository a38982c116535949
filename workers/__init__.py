"""Celery workers for parser-service: the app (``workers.app``) and its tasks
(``workers.tasks``). Thin by design: tasks take ids and call ``parser_service.jobs``."""
