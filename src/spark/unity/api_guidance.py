"""The system prompt's API advice for a Unity version, from the validator's own data.

The ``[[deprecated]]`` entries of ``unity_api.toml`` marked ``prompt = true`` say when an API
became obsolete (``since``) and, for a renamed one, from which versions its new name exists
(``introduced``). The validator (SPK021) flags the old name from ``since`` on and the new name
before ``introduced``; :func:`api_advice` recommends, for the same target, the name the
validator accepts there. So the advice is a table keyed by version ranges with one source:
Unity 2022.3 is told ``Rigidbody.velocity``, Unity 6 ``Rigidbody.linearVelocity``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spark.unity.api import exists_in, parse_version, unity_api


@dataclass(frozen=True, slots=True)
class ApiAdvice:
    """Use ``use`` rather than ``avoid`` (both as written in the prompt), because ``why``."""

    use: str
    avoid: str
    why: str

    def sentence(self) -> str:
        return f"`{self.use}` (not `{self.avoid}`: {self.why})"


def _shown(dep: dict[str, Any], name: str) -> str:
    """``Rigidbody.linearVelocity`` for a member or static, the bare name otherwise."""
    receivers = dep.get("receivers") or []
    if dep["kind"] in {"member", "static"} and receivers:
        return f"{receivers[0]}.{name}"
    return name


def api_advice(unity_version: str) -> list[ApiAdvice]:
    """Which API to write in ``unity_version`` for each ``prompt = true`` entry, in file order.

    A renamed API: its new name when the target has it (even while the old one still works,
    as it is the one that stays), else the old name while it is not yet obsolete. Any other:
    its replacement once the old API is obsolete, nothing before.
    """
    version = parse_version(unity_version)
    advice: list[ApiAdvice] = []
    for dep in unity_api()["deprecated"]:
        if not dep.get("prompt"):
            continue
        since = dep["since"]
        obsolete = version >= parse_version(since)
        old = _shown(dep, dep["name"])
        rename = dep.get("rename")
        if rename:
            new = _shown(dep, rename)
            introduced = tuple(parse_version(v) for v in dep.get("introduced", ()))
            if exists_in(version, introduced):
                why = f"obsolete from {since} on"
                advice.append(ApiAdvice(new, old, why))
            elif not obsolete:
                first = " / ".join(dep.get("introduced", ()))
                advice.append(ApiAdvice(old, new, f"only from {first} on"))
        elif obsolete:
            advice.append(ApiAdvice(dep["replacement"], old, f"obsolete from {since} on"))
    return advice


def api_advice_line(unity_version: str) -> str:
    """The advice as one prompt sentence (empty when there is none)."""
    advice = api_advice(unity_version)
    if not advice:
        return ""
    return f"Write for Unity {unity_version}: " + "; ".join(a.sentence() for a in advice) + "."
