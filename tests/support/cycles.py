"""Looking for reference cycles: objects that only the garbage collector would free."""

import contextlib
import gc


@contextlib.contextmanager
def collector_off():
    """The collector off, so that nothing made inside is collected before it is looked for."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def left_for_the_collector(kinds: tuple[type, ...]) -> list[str]:
    """The names of the kinds that have objects in a reference cycle no one else holds."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return sorted({type(o).__name__ for o in gc.garbage if isinstance(o, kinds)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
