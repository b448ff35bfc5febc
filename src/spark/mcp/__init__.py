"""SPARK as an MCP server: the third adapter on the service face, beside the web app and the CLI.

An AI assistant (Claude Desktop, Claude Code, Cursor...) calls SPARK's tools through the Model
Context Protocol, with the official SDK's ``MCPServer``. Like the other adapters, the tools call
only :class:`spark.generation.Engine` (``prepare``, ``generate``, ``models``, ``estimate``,
``validate``, ``compile_check``) and :mod:`spark.db`'s repository functions (history search,
usage report, the history recorder), never a provider or the prompts.

Two transports, one server (:func:`spark.mcp.server.build_server`):

- stdio, ``spark mcp`` (:mod:`spark.mcp.stdio`): for an assistant on this machine, acting as
  ``SPARK_CLI_USER`` with the configured Unity project;
- Streamable HTTP at ``/mcp`` in the web app (:mod:`spark.mcp.http`): API tokens, each call
  acting for the token's user.

One generation: ``tools.generate_unity_script`` → :mod:`spark.mcp.generate` (``engine.prepare``,
the recorder, ``engine.generate`` as progress notifications, cancellation) → the engine.
Nothing is imported here, so ``spark.mcp`` costs nothing until a transport is started.
"""
