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

from parser_service.jobs import Service
from parser_service.plugin_host import PluginHost
from parser_service.settings import Settings

#: Puts a job id on the work queue.
Enqueue = Callable[[str], Any]


def queue_enqueue(job_id: str) -> Any:
    """The Celery queue of ``workers/``, imported on first use: the API is the one part of
    ``parser_service`` that talks to the queue, and the library must import without it."""
    from workers.tasks import enqueue

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
