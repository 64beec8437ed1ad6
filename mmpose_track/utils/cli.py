"""What our command-line tools share. Importing needs the standard library only."""
import sys

__all__ = ['fail_in_one_line']


def fail_in_one_line(tool: str, err: BaseException) -> int:
    """Print a user mistake as one line, ``TOOL: error: MESSAGE`` (the first line of the
    message; a ``KeyError``'s message without its quotes), to stderr; returns exit status 2."""
    text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    lines = text.strip().splitlines()
    print(f'{tool}: error: {lines[0] if lines else type(err).__name__}', file=sys.stderr)
    return 2
