"""``Annotated`` dependency aliases for routes: settings, engine, conversations, templates.

Everything lives on ``app.state.spark`` (a :class:`WebState`) built by ``create_app``, so a test
can hand in its own settings and engine and two apps never share state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from spark.config import Settings
from spark.generation import Engine
from spark.web.conversations import ConversationStore


@dataclass(frozen=True, slots=True)
class WebState:
    settings: Settings
    engine: Engine
    conversations: ConversationStore
    templates: Jinja2Templates


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.spark
    return state


def get_settings(request: Request) -> Settings:
    return web_state(request).settings


def get_engine(request: Request) -> Engine:
    return web_state(request).engine


def get_conversations(request: Request) -> ConversationStore:
    return web_state(request).conversations


def get_templates(request: Request) -> Jinja2Templates:
    return web_state(request).templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
