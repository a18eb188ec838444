"""corrcause: causal DAGs, d-separation, Markov equivalence and Corr2Cause-style benchmarks for
language models, in Rust.

    >>> import corrcause as cc
    >>> g = cc.Dag(3, [(0, 1), (1, 2)])
    >>> g.is_d_separated(0, 2, [1])
    True
    >>> g.cpdag().mec_size()
    3

Every error is a ``corrcause.Error`` (a ``ValueError``) with the command line's message.
"""

from ._corrcause import (
    Cpdag,
    Dag,
    DagIterator,
    Error,
    __version__,
    enumerate_dags,
    generate,
    load,
    main,
    run,
    sample,
    score,
)

__all__ = [
    "Cpdag",
    "Dag",
    "DagIterator",
    "Error",
    "__version__",
    "enumerate_dags",
    "generate",
    "load",
    "main",
    "run",
    "sample",
    "score",
]


def _console() -> None:
    """The ``corrcause`` command installed by the wheel: the Rust program, in this process."""
    import signal
    import sys

    # Ctrl-C stops the command at once, as it stops the binary (Python would wait for Rust).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(main(sys.argv[1:]))
