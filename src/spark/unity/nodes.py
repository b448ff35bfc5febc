"""Small questions about tree nodes that several checks ask: where a node sits, what encloses it.

Node kinds are tree-sitter-c-sharp 0.23's.  Everything here is a short walk up the tree or a
look at a node's fields; the file-wide answers (types, declarations) are `FileModel`'s.
"""

from __future__ import annotations

from tree_sitter import Node

from spark.unity.model import FileModel, node_text

METHODS = frozenset(
    {
        "method_declaration",
        "local_function_statement",
        "lambda_expression",
        "anonymous_method_expression",
        "accessor_declaration",
        "constructor_declaration",
    }
)
LOOPS = frozenset({"while_statement", "for_statement", "foreach_statement", "do_statement"})
LOOPS_AND_METHODS = LOOPS | METHODS


def field_is(parent: Node, name: str, node: Node) -> bool:
    """Whether `node` is `parent`'s child in the field `name`."""
    child = parent.child_by_field_name(name)
    return child is not None and child.id == node.id


def contains(data: bytes, node: Node, text: bytes) -> bool:
    """Whether `text` is in the node's text: cheaper than reading the node's children."""
    return data.find(text, node.start_byte, node.end_byte) >= 0


def enclosing_method(model: FileModel, node: Node) -> Node | None:
    """The innermost method, local function, lambda, accessor or constructor around `node`."""
    return model.enclosing(node, METHODS)


def unity_method_name(model: FileModel, node: Node) -> str:
    """Name of the Unity-message method directly containing `node` (not via a lambda), or ""."""
    method = enclosing_method(model, node)
    if method is None or method.type != "method_declaration":
        return ""
    cls = model.enclosing_class(method)
    if cls is None or not cls.receives_messages:
        return ""
    name = node_text(method.child_by_field_name("name"))
    return name if name in model.messages_of(cls) else ""


def in_static_member(model: FileModel, node: Node) -> bool:
    """Whether `node` is inside a static method or property (no `this`, no `gameObject`)."""
    member = model.enclosing(node, ("method_declaration", "property_declaration"))
    return member is not None and any(
        node_text(c) == "static" for c in member.children if c.type == "modifier"
    )


def is_local_name(model: FileModel, node: Node, name: str) -> bool:
    """Whether `name`, used at `node`, is declared by an enclosing method or the class."""
    method = enclosing_method(model, node)
    while method is not None:
        if model.declares(method, name):
            return True
        method = model.enclosing(method, METHODS)
    cls = model.enclosing_class(node)
    return cls is not None and model.member_type(cls, name) is not None


def receiver(call: Node) -> Node | None:
    """`x` in `x.F(...)`; None for a plain `F(...)`."""
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "member_access_expression":
        return fn.child_by_field_name("expression")
    return None


def arguments(call: Node) -> list[Node]:
    """The argument expressions of a call or `new`, in order (comments between them skipped)."""
    args = call.child_by_field_name("arguments")
    found: list[Node] = []
    for arg in args.named_children if args is not None else []:
        if arg.type == "argument" and arg.named_children:
            found.append(arg.named_children[-1])
    return found


def is_statement_in_block(expression: Node) -> bool:
    """Whether `expression` is a whole statement (`x?.F();`) directly inside a `{ }` block."""
    statement = expression.parent
    if statement is None or statement.type != "expression_statement":
        return False
    block = statement.parent
    return block is not None and block.type == "block"


def is_simple_reference(node: Node) -> bool:
    """A name, `this.name` or `a.b.c`: safe to read twice (no call, no side effect)."""
    if node.type == "identifier":
        return True
    if node.type == "member_access_expression":
        obj = node.child_by_field_name("expression")
        name = node.child_by_field_name("name")
        if obj is None or name is None or name.type != "identifier":
            return False
        return obj.type == "this" or is_simple_reference(obj)
    return False


def generic_call(leaf: Node) -> tuple[Node, Node] | None:
    """For the name `leaf` of `F<T>()` or `x.F<T>()`: the call and the node of T (one type
    argument); None for any other place of the name."""
    generic = leaf.parent
    if generic is None or generic.type != "generic_name" or generic.named_children[0].id != leaf.id:
        return None
    arguments = generic.named_children[1] if len(generic.named_children) > 1 else None
    if arguments is None or len(arguments.named_children) != 1:
        return None
    function = generic
    if function.parent is not None and function.parent.type == "member_access_expression":
        function = function.parent
    call = function.parent
    if (
        call is None
        or call.type != "invocation_expression"
        or not field_is(call, "function", function)
    ):
        return None
    return call, arguments.named_children[0]
