"""Class names for filled templates, taken from the prompt's subject.

"enemy that patrols between waypoints" → ``EnemyPatrol``; "spawn enemies every 2 seconds" →
``EnemySpawner``; "a coin that spins" → ``SpinningCoin``. The noun is the prompt's subject (the
words before "that", "with", a verb...), or for some templates the object of one of their verbs.
Names are ASCII PascalCase, never a C# keyword, and never a type or member the script itself
uses (``CharacterController``, ``Update``); otherwise the template's default class is used.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from spark.providers.template_index import TemplateSpec, get_library


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
_IGNORED_MARKS = frozenset("-'’‘\"“”`´")
_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")
MAX_CLASS_NAME = 48

_LEAD = _words(
    """a an the i i'm im me my our your we us you please can could would like want wanted need
    needs create creating make making write build generate give add implement code script
    scripts for of that which unity c csharp cs let lets do is there in new simple basic hey
    hi ok okay so also now then and just it its this some here how"""
)
_DETERMINERS = _words("a an the some random more many several lots of new multiple few any")
_BOUNDARY = _words(
    """that which who whose with without to at between on in when whenever where while every
    of for and or from using by so around along across if per into onto toward towards after
    before until like than as but via through over under near within it is are was can could
    should will would has have had must may might the a an this these those his her their
    its worth affected controlled driven based powered attached placed made called named
    asynchronously smoothly slowly quickly automatically constantly continuously randomly
    repeatedly forever"""
)
_VERBS = _words(
    """move moves go goes rotate rotates spin spins turn turns spawn spawns patrol patrols follow
    follows chase chases collect collects open opens close closes load loads count counts bob
    bobs float floats hover hovers shoot shoots fire fires jump jumps run runs walk walks fly
    flies get gets take takes deal deals keep keeps store stores hold holds appear appears
    disappear disappears damage damages heal heals travel travels wait waits pause pauses stop
    stops look looks slide slides swing swings lift lifts track tracks pursue pursues hunt hunts
    seek seeks give gives add adds increase increases play plays start starts restart restarts
    persist persists lives"""
)
_GENERIC = _words(
    """object objects gameobject gameobjects thing things script scripts component components
    class code monobehaviour monobehavior simple basic smooth smoothly new unity c csharp cs 2d
    3d little small big large quick cool nice good some custom generic reusable my your our
    this its s system behaviour behavior type kind one ones game prefab prefabs proper working
    full complete faster slower bigger smaller higher lower quicker stronger better also make
    please version speed height rate time second seconds minute minutes unit units degree
    degrees meter meters metre metres m hp"""
)
RESERVED_KEYWORDS = _words(
    """abstract as base bool break byte case catch char checked class const continue decimal
    default delegate do double else enum event explicit extern false finally fixed float for
    foreach goto if implicit in int interface internal is lock long namespace new null object
    operator out override params private protected public readonly ref return sbyte sealed short
    sizeof stackalloc static string struct switch this throw true try typeof uint ulong unchecked
    unsafe ushort using virtual void volatile while"""
)
CSHARP_KEYWORDS = RESERVED_KEYWORDS | _words(
    """add alias and ascending args async await by descending dynamic equals file from get global
    group init into join let managed nameof nint not notnull nuint on or orderby partial record
    remove required scoped select set unmanaged value var when where with yield"""
)
# Unity and .NET types a script commonly touches: a class with one of these names shadows it.
RESERVED_TYPES = _words(
    """Object GameObject MonoBehaviour Behaviour Component Transform RectTransform Rigidbody
    Rigidbody2D Collider Collider2D Collision Collision2D CharacterController Camera Light
    AudioSource AudioClip Animator Animation Renderer SpriteRenderer MeshRenderer Material Mesh
    Texture Texture2D Sprite Shader Font Time Input Debug Mathf Random Physics Physics2D
    Application Screen Cursor Resources Vector2 Vector3 Vector4 Quaternion Matrix4x4 Color
    Color32 Rect Bounds Ray RaycastHit Plane LayerMask KeyCode Space Gizmos ScriptableObject
    SceneManager Scene UnityEvent Coroutine WaitForSeconds Canvas Image Text Button Slider Toggle
    Terrain NavMesh NavMeshAgent ParticleSystem Joint Cloth Tilemap Grid Tile Event Action Func
    String Int32 Single Boolean Math Console List Dictionary Queue Stack Array Type Attribute
    Exception Task Timer Thread Editor EditorWindow System UnityEngine Unity Tooltip Header Range
    SerializeField RequireComponent CreateAssetMenu Min Awaitable ObjectPool Pool Keyboard Mouse
    Gamepad Touch"""
)


def derive_class_name(
    messages: Sequence[str], spec: TemplateSpec, prefix: str = ""
) -> tuple[str, str | None]:
    """A class name for ``spec`` from the first of ``messages`` that names something.

    Returns the name and, when a noun was found but could not be used, a note saying why.
    """
    for message in messages:
        words = _noun_words(message, spec)
        if not words:
            continue
        candidate = _pascal(words, prefix, spec.name_suffix)
        if not candidate:
            continue
        problem = class_name_problem(candidate, spec)
        if problem is None:
            return candidate, None
        return spec.default_class, (
            f"The class is called {spec.default_class}, because {candidate} {problem}."
        )
    return spec.default_class, None


def class_name_problem(name: str, spec: TemplateSpec | None = None) -> str | None:
    """Why ``name`` can't be the class name (None when it can)."""
    if not _PASCAL.fullmatch(name):
        return "is not a PascalCase C# identifier"
    if len(name) > MAX_CLASS_NAME:
        return "is too long"
    if name.lower() in CSHARP_KEYWORDS:
        return "is a C# keyword"
    if name in RESERVED_TYPES or (spec is not None and name in spec.identifiers):
        return f"would clash with the Unity or C# name {name} that the script uses"
    return None


def _tokens(message: str) -> list[str]:
    text = unicodedata.normalize("NFKC", message)
    return [t for t in _TOKEN.findall(text) if t not in _IGNORED_MARKS]


def _is_word(token: str) -> bool:
    return token[0].isalnum()


def _noun_words(message: str, spec: TemplateSpec) -> list[str]:
    tokens = _tokens(message)
    subject = _subject(tokens, spec)
    objects = _objects(tokens, spec)
    for words in [objects, subject] if spec.prefer_object else [subject, objects]:
        if words:
            return words
    return []


def _subject(tokens: list[str], spec: TemplateSpec) -> list[str]:
    index = 0
    while index < len(tokens) and (tokens[index].lower() in _LEAD or not _is_word(tokens[index])):
        index += 1
    if index < len(tokens) and tokens[index].lower() in _all_verbs():
        return []  # "rotate an object ...": no subject, perhaps an object
    return _phrase(tokens, index, spec)


def _objects(tokens: list[str], spec: TemplateSpec) -> list[str]:
    for index, token in enumerate(tokens):
        if token.lower() not in spec.name_after:
            continue
        start = index + 1
        while start < len(tokens) and (
            tokens[start].lower() in _DETERMINERS or tokens[start].isdigit()
        ):
            start += 1
        words = _phrase(tokens, start, spec)
        if words:
            return words
    return []


def _phrase(tokens: list[str], start: int, spec: TemplateSpec) -> list[str]:
    """The noun phrase from ``start`` to the first boundary, without generic or role words."""
    phrase: list[str] = []
    verbs = _all_verbs()
    for token in tokens[start:]:
        lowered = token.lower()
        if not _is_word(token) or token.isdigit() or lowered in _BOUNDARY or lowered in verbs:
            break
        phrase.append(token)
    unsupported = [p.regex for p, _ in get_library().unsupported]
    kept = [
        w
        for w in phrase
        if not any(r.fullmatch(w.lower()) for r in unsupported)  # "add a dash": not a name
        and w.lower() not in _GENERIC
        and w.lower() not in spec.role_words
        and w.lower() not in RESERVED_KEYWORDS  # "public static void patrol" names nothing
        and not w[0].isdigit()
    ]
    return kept[-2:]


@functools.cache
def _all_verbs() -> frozenset[str]:
    extra = {w for t in get_library().templates for w in t.name_after if w not in _BOUNDARY}
    return _VERBS | frozenset(extra)


def _pascal(words: list[str], prefix: str, suffix: str) -> str:
    pieces = [_ascii(w) for w in words]
    pieces = [p for p in pieces if p]
    if not pieces:
        return ""
    pieces[-1] = _singular(pieces[-1])
    pieces = [_capitalise(p) for p in pieces]
    if prefix and prefix.lower() not in (p.lower() for p in pieces):
        pieces.insert(0, prefix)
    name = "".join(pieces)
    if suffix and not name.endswith(suffix):
        name += suffix
    return name


def _ascii(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]", "", folded).lstrip("0123456789")


def _capitalise(word: str) -> str:
    if word.isupper() and len(word) > 4:
        return word.capitalize()  # "ENEMY" -> "Enemy", but "UFO" and "NPC" stay
    return word[0].upper() + word[1:]


def _singular(word: str) -> str:
    lowered = word.lower()
    if len(word) <= 3:
        return word
    if lowered.endswith("ies"):
        return word[:-3] + "y"
    if lowered.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if lowered.endswith("s") and not lowered.endswith(("ss", "us", "is", "as", "os")):
        return word[:-1]
    return word
