"""A progress bar for runs over many files, on a terminal only."""

import shutil
import time


class Progress:
    """A one-line bar on ``stream``, redrawn in place, that other lines print
    above: ``[#####-----] 5/10 files, 2.1 s left``.

    ``Progress.for_stream`` gives None where ``stream`` is not a terminal, so
    that piped output stays plain lines.
    """

    def __init__(self, stream, total):
        self.stream = stream
        self.total = total
        self.done = 0
        self.start = time.perf_counter()
        self.shown = False

    @classmethod
    def for_stream(cls, stream, total):
        isatty = getattr(stream, "isatty", None)
        return cls(stream, total) if isatty is not None and isatty() else None

    def advance(self):
        self.done += 1
        self.draw()

    def line(self):
        width = max(10, min(40, shutil.get_terminal_size().columns - 40))
        filled = width * self.done // self.total
        text = (
            f"[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} files"
        )
        if 0 < self.done < self.total:
            elapsed = time.perf_counter() - self.start
            left = elapsed / self.done * (self.total - self.done)
            text += f", {left:.0f} s left"
        return text

    def draw(self):
        self.stream.write("\r\x1b[K" + self.line())
        self.stream.flush()
        self.shown = True

    def clear(self):
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def print(self, line, stream):
        """``line`` printed on ``stream``, above the bar."""
        self.clear()
        stream.write(line + "\n")
        stream.flush()
        self.draw()
