"""What the routes share: settings, the service, the queue, the plugin host.

One ``ApiState`` lives on ``app.state.api``; the routes reach it through the
``StateDep`` and ``SessionDep`` dependencies, so tests can build an app around any
settings and any queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from parser_service.domains.host import PluginHost
from parser_service.service.jobs import Service
from parser_service.settings import Settings

#: Puts a job id on the work queue.
Enqueue = Callable[[str], Any]


def queue_enqueue(job_id: str) -> Any:
    """The deployment's queue (``service.queue``), imported on first use: the library
    must import without Celery and Redis configured."""
    from parser_service.service.queue import enqueue

    return enqueue(job_id)


@dataclass
class ApiState:
    settings: Settings
    service: Service
    enqueue: Enqueue = queue_enqueue

    @property
    def host(self) -> PluginHost:
        """The installed plugins: the service's own, so the API and the jobs agree on them."""
        return self.service.pipeline.host


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session for one request; routes that write commit it themselves."""
    with state.service.db.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
