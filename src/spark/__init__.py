"""SPARK: turn a sentence into a working Unity C# script.

Layers (imports point downwards only): adapters (``cli``) → service (``generation``) → core
(``providers``, ``retry``/``errors``, ``unity``, ``catalog``) → ``config``. See DESIGN.md.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spark-unity")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
