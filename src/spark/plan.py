"""What a generation is asked to do, and what it was resolved into: the service's vocabulary.

An adapter builds a :class:`GenerationRequest`; ``Engine.prepare`` turns it into a :class:`Plan`
(provider, model, options with the system prompt, the Unity target's workspace), resolved once
and then shared by the adapter (the web's ``start`` event), the recorder (the history row) and
``Engine.generate``. A :class:`Stop` lets a consumer say why it stops a generation early.
All three are re-exported by :mod:`spark.generation`, the module adapters import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spark.errors import SparkError
from spark.events import ErrorEvent, GenerationResult
from spark.fallback import Route
from spark.limits import Reservation
from spark.providers.base import ChatMessage, StreamOptions
from spark.recording import GenerationStart
from spark.unity.prompts import SYSTEM_PROMPT_VERSION

if TYPE_CHECKING:
    from spark.instructions import Instructions
    from spark.unity.project_write import ProjectDestination
    from spark.unity.target import UnityTarget
    from spark.unity.workspace import Workspace


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """What the user asked for. ``history`` holds earlier turns of the same conversation."""

    prompt: str
    provider: str | None = None  # None: SPARK_DEFAULT_PROVIDER, else offline
    model: str | None = None  # None: SPARK_DEFAULT_MODEL (default provider), else the catalog's
    history: tuple[ChatMessage, ...] = ()
    target: UnityTarget | None = None  # None: SPARK_UNITY_VERSION / SPARK_INPUT_SYSTEM, no project
    # Where the script will be written in the target's project, when the adapter knows: a
    # script already there is the one being replaced, not another class of the same name.
    destination: ProjectDestination | None = None
    # The team's and the user's instructions, appended to the system prompt (None: none).
    instructions: Instructions | None = None
    # Where to go when the provider is down (:mod:`spark.fallback`); empty: no fallback.
    fallback: tuple[Route, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """A request resolved once (:meth:`Engine.prepare`): the provider and model it goes to and
    what is sent, for the Unity target of the workspace."""

    request: GenerationRequest
    provider: str
    model: str
    options: StreamOptions  # the system prompt, the output limit, the temperature
    workspace: Workspace
    system_prompt_version: str = SYSTEM_PROMPT_VERSION
    # The request's fallback routes whose provider is configured, in order, models resolved.
    fallbacks: tuple[Route, ...] = ()
    # Held by the user's quota in ``prepare`` (spend and rate limits), settled by ``generate``.
    reservation: Reservation | None = None
    # A response-cache hit already recorded by ``prepare`` (its cached result): ``generate``
    # only yields it.
    answered: GenerationResult | None = None
    # The response-cache key, once ``prepare`` looked it up (a miss is not looked up again).
    cache_key: str | None = None

    @property
    def system_prompt(self) -> str:
        return self.options.system

    @property
    def target(self) -> UnityTarget:
        return self.workspace.target

    @property
    def messages(self) -> list[ChatMessage]:
        """The conversation so far and the prompt, as sent to the model."""
        return [*self.request.history, ChatMessage("user", self.request.prompt)]

    @property
    def start(self) -> GenerationStart:
        """What the recorder is told when the generation begins."""
        instructions = self.request.instructions
        return GenerationStart(
            self.request.prompt,
            self.provider,
            self.model,
            self.system_prompt_version,
            self.reservation,
            team_instructions_version=instructions.team_version if instructions else None,
            personal_instructions_version=(instructions.personal_version if instructions else None),
        )


@dataclass(slots=True)
class Stop:
    """Lets a consumer say why it stops a generation early, and learn how it ended.

    Set ``reason`` before cancelling the task that iterates the generation (or closing the
    generator): the recorder's ``finish`` then gets an ``ErrorEvent`` with that error instead of
    ``cancelled``, and ``outcome`` holds that event afterwards (figures included).
    """

    reason: SparkError | None = None
    outcome: ErrorEvent | None = field(default=None, init=False)
