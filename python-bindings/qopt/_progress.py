"""A small progress display for long steps: a bar on a terminal, nothing
otherwise (pipes, files, CI logs). QOPT_PROGRESS=1 forces it on, =0 off."""
import os
import sys
import time


def _is_tty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """`with Progress("compile mlp.onnx", steps) as p: p.step("import")`.

    `steps` are the names of the steps expected, in order (for the bar's
    length); a step not among them still shows. Writes to `stream` (stderr
    by default) only when it is a terminal, unless `enabled` says otherwise.
    """

    width = 24

    def __init__(self, title, steps=(), stream=None, enabled=None):
        self.title = title
        self.steps = list(steps)
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            forced = os.environ.get("QOPT_PROGRESS")
            enabled = forced == "1" if forced in ("0", "1") else _is_tty(self.stream)
        self.enabled = enabled
        self.done = 0
        self.current = None
        self.start = time.monotonic()
        self._shown = 0

    def __enter__(self):
        self._draw()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(ok=exc_type is None)
        return False

    def step(self, name):
        """Marks the start of step `name` (the previous one is finished)."""
        if self.current is not None:
            self.done += 1
        self.current = name
        self._draw()

    def detail(self, text):
        """Shows `text` as what the current step is doing (not a new step)."""
        self.current = text
        self._draw()

    def close(self, ok=True):
        if not self.enabled or self._shown == 0:
            return
        if ok:
            self.done = max(self.done + (self.current is not None), len(self.steps))
            self.current = "done"
        self._draw(final=True)
        self.stream.write("\n")
        self.stream.flush()
        self._shown = 0

    def _draw(self, final=False):
        if not self.enabled:
            return
        total = max(len(self.steps), self.done + (0 if final else 1), 1)
        filled = int(self.width * min(self.done, total) / total)
        bar = "#" * filled + "-" * (self.width - filled)
        line = (f"qopt: {self.title} [{bar}] {min(self.done, total)}/{total} "
                f"{self.current or ''} {time.monotonic() - self.start:.1f}s")
        pad = max(0, self._shown - len(line))
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._shown = len(line)
