"""SPARK: turn a sentence into a working Unity C# script.

Layers (imports point downwards only): adapters (``cli``) → service (``generation``) → core
(``providers``, ``retry``/``errors``, ``unity``, ``catalog``) → ``config``. See DESIGN.md.
"""

__version__ = "0.1.0"
