"""How long a test waits for something that must happen, before calling it a hang.

Tests wait for conditions (a job done, a third of a broadcast sent, a process ready), never for a
time. This is only the point at which a condition that never comes fails the test, so it is far
longer than anything takes on a loaded two-core machine: reaching it means a hang, not a slow run.
"""

from __future__ import annotations

EVENTUALLY = 600.0  # seconds
