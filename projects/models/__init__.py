"""The projects app's models: the registry (territories, projects and their rows, the stage
workflow) and the calls for projects with their applications."""

from .applications import *  # noqa: F403
from .audit import *  # noqa: F403
from .jobs import *  # noqa: F403
from .registry import *  # noqa: F403
