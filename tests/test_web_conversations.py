"""Conversations in the web app, server side: the /c/<id> page and its turns, revisions and
their diffs, restoring one as current, Regenerate and Edit (what is sent as context), renaming
and deleting, partial text kept when a generation is stopped, the model's prose as safe
Markdown, and the downloads (one script with notes, a conversation, a History selection)."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from typing import Any

from spark.db.history import GenerationOutcome
from spark.db.models import GenerationStatus
from spark.errors import AIError, ErrorKind
from spark.events import ErrorEvent
from spark.usage import Usage
from spark.web.conversations import WebRecorder
from spark.web.markdown import render_markdown
from tests.fakes.upstream import DEFAULT_TEXT, FakeUpstream, Reply
from tests.web_support import MakeClient, WebClient

CLAUDE = {"provider": "anthropic", "model": "claude-haiku-5-5", "stream": False}
DOOR = """Attach it to the door.

```csharp
using UnityEngine;

public class CoinSpinner : MonoBehaviour
{
    [SerializeField] private float degreesPerSecond = 90f;

    private void Update()
    {
        transform.Rotate(0f, degreesPerSecond * Time.deltaTime, 0f, Space.World);
    }
}
```

**Setup:** add a *Rigidbody* <script>alert(1)</script> <img src=x onerror=alert(2)>.
"""


async def _generate(client: WebClient, prompt: str, **extra: Any) -> dict[str, Any]:
    answer = await client.post("/api/generate", json=CLAUDE | {"prompt": prompt, **extra})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def _messages(upstream: FakeUpstream) -> list[str]:
    return [str(m["content"]) for m in upstream.anthropic.last.body["messages"]]


async def test_a_conversation_has_a_page_with_its_turns_revisions_and_diffs(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    first = await _generate(client, "a coin that spins")
    cid = first["conversation_id"]
    upstream.anthropic.enqueue(Reply(DOOR, for_model="claude-haiku-5-5"))
    second = await _generate(client, "slower please", conversation_id=cid)
    page = await client.get(f"/c/{cid}")
    assert page.status_code == 200
    html = page.text
    assert html.count('<li class="turn') == 2 and "slower please" in html
    assert 'data-revision="2"' in html and "current</span>" in html
    assert "Changes from v1" in html and '<span class="d-del">-    [SerializeField]' in html
    assert 'id="result-file">CoinSpinner.cs<' in html and "90f" in html  # the current script
    # The prose is Markdown made safe: formatting kept, markup inert.
    assert "<strong>Setup:</strong>" in html and "<em>Rigidbody</em>" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img" not in html
    assert f'href="/c/{cid}"' in html  # the sidebar lists it
    fragment = (await client.get(f"/c/{cid}/turns")).text
    assert fragment.startswith("<ol") or fragment.lstrip().startswith("<ol")
    assert f'data-generation-id="{second["generation_id"]}"' in fragment
    stranger = await make_client()
    assert (await stranger.get(f"/c/{cid}")).status_code == 404
    assert (await stranger.get(f"/c/{cid}/turns")).status_code == 404


async def test_restore_regenerate_and_edit_choose_the_context(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    first = await _generate(client, "a coin that spins")
    cid = first["conversation_id"]
    second = await _generate(client, "make it bob", conversation_id=cid)
    assert len(_messages(upstream)) == 3  # the first turn and the new prompt
    # Regenerate the last prompt: built on the revision before it, not on its own answer.
    await _generate(
        client, "make it bob", conversation_id=cid, base_generation_id=first["generation_id"]
    )
    assert _messages(upstream)[0].count("a coin that spins") == 1
    assert "make it bob" not in _messages(upstream)[1]
    assert len(_messages(upstream)) == 3
    # Edit of the first prompt: no context at all, the same conversation.
    edited = await _generate(client, "a coin that glows", conversation_id=cid, fresh=True)
    assert len(_messages(upstream)) == 1 and edited["conversation_id"] == cid
    # Restore v2 as current: the next follow-up builds on it, and then the newest is current.
    restored = await client.form(f"/c/{cid}/restore/{second['generation_id']}", {})
    assert restored.status_code == 303
    page = (await client.get(f"/c/{cid}")).text
    assert "Revision 2 is the current script again." in page
    assert page.count("current</span>") == 1
    assert f'data-generation-id="{second["generation_id"]}"' in page.split("current</span>")[0]
    await _generate(client, "and glow", conversation_id=cid)
    sent = _messages(upstream)
    assert "make it bob" in sent[2] and "a coin that glows" not in "".join(sent)
    conversation = await client.app.state.spark.conversations.get(
        owner=(await _user_id(client)), conversation_id=cid
    )
    assert conversation.current_id is None and conversation.current.prompt == "and glow"
    unknown = await client.post(
        "/api/generate",
        json=CLAUDE | {"prompt": "x", "conversation_id": cid, "base_generation_id": "999999"},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["kind"] == "unknown_generation"


async def _user_id(client: WebClient) -> int:
    from spark.db.users import get_user_by_username

    async with (await client.db()).session() as session:
        user = await get_user_by_username(session=session, username=client.username)
        assert user is not None
        return user.id


async def test_a_failed_follow_up_keeps_the_current_script(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    from tests.fakes.upstream import Fault

    client = await make_client()
    first = await _generate(client, "a coin that spins")
    upstream.anthropic.enqueue(Fault.auth())
    failed = await client.post(
        "/api/generate",
        json=CLAUDE | {"prompt": "break it", "conversation_id": first["conversation_id"]},
    )
    assert failed.status_code == 502
    page = (await client.get(f"/c/{first['conversation_id']}")).text
    assert "break it" in page and "failed:" in page  # the failed turn is listed…
    assert 'id="result-file">CoinSpinner.cs<' in page  # …and the script is still the current one


async def test_rename_and_delete_a_conversation(make_client: MakeClient) -> None:
    client = await make_client()
    first = await _generate(client, "a coin that spins")
    cid = first["conversation_id"]
    await client.form(f"/c/{cid}/rename", {"title": "  Coin   work  "})
    page = (await client.get(f"/c/{cid}")).text
    assert '<h1 id="composer-title">Coin work</h1>' in page and "Renamed to “Coin work”" in page
    await client.form(f"/c/{cid}/rename", {"title": ""})
    assert 'id="composer-title">a coin that spins<' in (await client.get(f"/c/{cid}")).text
    other = await make_client()
    assert (await other.form(f"/c/{cid}/delete", {})).status_code == 404
    deleted = await client.form(f"/c/{cid}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/"
    assert "and its 1 generation." in (await client.get("/")).text
    assert (await client.get(f"/c/{cid}")).status_code == 404
    assert (await client.get(f"/api/history/{first['generation_id']}")).status_code == 404


async def test_a_stopped_generation_keeps_its_partial_text(make_client: MakeClient) -> None:
    client = await make_client()
    database = await client.db()
    user_id = await _user_id(client)
    recorder = WebRecorder(database, user_id=user_id, conversation_id="c_partial")
    from spark.recording import GenerationStart

    await recorder.start(GenerationStart("a coin", "anthropic", "claude-haiku-5-5", "v1"))
    recorder.partial_text = DEFAULT_TEXT[: DEFAULT_TEXT.index("Update()")]
    cancelled = AIError("stopped", provider="anthropic", kind=ErrorKind.CANCELLED, retryable=False)
    event = ErrorEvent(cancelled, provider="anthropic", model="m", usage=Usage(1, 2))
    figures: GenerationOutcome = recorder.outcome(event)
    assert figures.partial and figures.status == GenerationStatus.FAILED
    assert figures.class_name == "CoinSpinner" and "degreesPerSecond" in (
        figures.generated_code or ""
    )
    assert figures.explanation == "Here is a script that spins a coin around its vertical axis."
    await recorder.finish(event)
    export = await client.get(f"/api/export/{recorder.generation_id}")
    assert export.status_code == 200 and "private void" in export.text
    page = (await client.get("/c/c_partial")).text
    assert "stopped (incomplete)" in page and 'data-revision="1"' in page


def test_markdown_is_rendered_and_sanitised() -> None:
    html = render_markdown(
        "# Setup\n\n1. Add a **Rigidbody2D**\n2. `Ground` layer\n\n"
        "<script>alert(1)</script> <b onclick=x>b</b> [a](javascript:alert(1)) "
        "[docs](https://docs.unity3d.com) ![x](y.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h1>Setup</h1>" in html and "<strong>Rigidbody2D</strong>" in html
    assert "<code>Ground</code>" in html and "<table>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown, not run
    assert not re.search(r"<[^>]*\bonclick", html) and 'href="javascript' not in html
    assert 'href="https://docs.unity3d.com" rel="noopener noreferrer nofollow"' in html
    assert "<img" not in html
    assert render_markdown("  ") == ""


async def test_downloads_one_script_a_conversation_and_a_selection(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    upstream.anthropic.enqueue(Reply(DOOR, for_model="claude-haiku-5-5"))
    first = await _generate(client, "a coin that spins")
    cid = first["conversation_id"]
    offline = await client.post(
        "/api/generate", json={"provider": "offline", "prompt": "a door", "stream": False}
    )
    door = offline.json()["result"]
    plain = await client.get(f"/api/export/{first['generation_id']}")
    assert plain.text.startswith("using UnityEngine;")
    noted = await client.get(f"/api/export/{first['generation_id']}", params={"explanation": True})
    assert noted.text.startswith("/*\n * Notes from the model") and "*Rigidbody*" in noted.text
    assert noted.text.endswith(plain.text)
    await _generate(client, "faster", conversation_id=cid)  # a second revision of CoinSpinner
    archive = await client.get(f"/c/{cid}/export.zip")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert names == [
        "Assets/Scripts/SPARK/CoinSpinner.cs",
        "Assets/Scripts/SPARK/CoinSpinner.cs.meta",
    ]  # one file per class: the current revision
    package = await client.get(f"/c/{cid}/export.unitypackage")
    with tarfile.open(fileobj=io.BytesIO(package.content), mode="r:gz") as tar:
        paths = [tar.extractfile(m).read().decode() for m in tar if m.name.endswith("/pathname")]
    assert paths == ["Assets/Scripts/SPARK/CoinSpinner.cs"]
    picked = await client.get(
        "/history/export",
        params=[("ids", first["generation_id"]), ("ids", door["generation_id"]), ("format", "zip")],
    )
    names = zipfile.ZipFile(io.BytesIO(picked.content)).namelist()
    assert f"Assets/Scripts/SPARK/{door['file_name']}" in names and len(names) == 4
    clash = await client.get(
        "/history/export", params=[("ids", first["generation_id"]), ("ids", first["generation_id"])]
    )
    assert clash.status_code == 200  # the same generation twice is one script
    nothing = await client.get("/history/export")
    assert nothing.status_code == 422 and "Tick the generations" in nothing.text
    stranger = await make_client()
    assert (await stranger.get(f"/c/{cid}/export.zip")).status_code == 404
    theirs = await stranger.get("/history/export", params={"ids": first["generation_id"]})
    assert theirs.status_code == 404


ENEMY = """Here it is.

```csharp
using UnityEngine;
using Fixture.Combat;

public class EnemyFloor : MonoBehaviour
{
    [SerializeField] private Health health;

    private void Update()
    {
        if (health.IsDead) Destroy(gameObject);
    }
}
```"""


async def test_a_project_folder_is_used_only_where_allowed_and_the_compile_check_is_shown(
    make_client: MakeClient, upstream: FakeUpstream, unity_project: Any
) -> None:
    shared = await make_client()  # a shared server: no project folders
    refused = await shared.form("/account/unity-target", {"unity_project": str(unity_project)})
    assert refused.status_code == 422 and "does not read project folders" in refused.text
    local = await make_client(allow_project_paths=True)
    page = (await local.get("/account")).text
    assert 'id="account-unity-project"' in page
    wrong = await local.form("/account/unity-target", {"unity_project": "/nonexistent/game"})
    assert wrong.status_code == 422 and 'id="form-error"' in wrong.text
    saved = await local.form(
        "/account/unity-target", {"unity_project": str(unity_project), "unity_version": ""}
    )
    assert saved.status_code == 200 and "Unity target saved" in saved.text
    upstream.anthropic.enqueue(Reply(ENEMY, for_model="claude-haiku-5-5"))
    result = await _generate(local, "keep enemies on the floor")
    assert str(unity_project) in result["target"]
    assert result["compile"]["status"] == "ok" and "mcs" in result["compile"]["compiler"]
    chat = (await local.get(f"/c/{result['conversation_id']}")).text
    assert 'id="compile-summary"' in chat and "compile: OK" in chat and "mcs" in chat
    assert f"project {unity_project}" in chat  # the target it was written for


MOVER = """```csharp
using UnityEngine;

public class Mover : MonoBehaviour
{
    private void Update()
    {
        transform.position = transform.position + Vector3.up * Time.deltaTime * 2f;
        if (gameObject.tag == "Player") { }
    }
}
```"""


async def test_the_automatic_fixes_are_shown_as_a_diff(
    make_client: MakeClient, upstream: FakeUpstream
) -> None:
    client = await make_client()
    upstream.anthropic.enqueue(Reply(MOVER, for_model="claude-haiku-5-5"))
    result = await _generate(client, "move up", html=True)
    assert "CompareTag" in result["code"] and result["validation"]["summary"].endswith("2 fixed")
    diff = result["fixes_diff_html"]
    assert '<span class="d-del">-        if (gameObject.tag == &#34;Player&#34;) { }</span>' in diff
    assert "CompareTag(&#34;Player&#34;)" in diff
    chat = (await client.get(f"/c/{result['conversation_id']}")).text  # after a reload too
    assert 'id="fixes"' in chat and "d-add" in chat.split('id="fixes-diff"')[1][:3000]
    page = (await client.get(f"/history/{result['generation_id']}")).text
    assert 'id="generation-fixes-diff"' in page and "SPK009" in page
