"""Type stubs of corrcause (the Rust extension module `corrcause._corrcause`)."""

import os
from typing import Any, Dict, Hashable, Iterable, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, Union

__version__: str

_Path = Union[str, "os.PathLike[str]"]
_Node = Hashable

class Error(ValueError):
    """Every error corrcause raises: bad input or options, with the command line's message."""

class Dag:
    """A directed acyclic graph on at most 64 nodes. ``Dag(n, edges)`` has the integer nodes
    ``0..n-1``; ``Dag.from_networkx(G)`` keeps G's node names (any hashable objects). Immutable."""

    def __init__(self, n: int, edges: Optional[Iterable[Tuple[int, int]]] = None) -> None: ...
    @staticmethod
    def from_networkx(graph: Any) -> "Dag":
        """The DAG of a networkx ``DiGraph``, its node names kept, in ``G.nodes`` order."""
    @staticmethod
    def from_json(text: str) -> "Dag":
        """The DAG of one line of ``corrcause graph``'s JSON."""
    def to_json(self) -> str:
        """This graph as one line of ``corrcause graph``'s JSON."""
    def to_networkx(self) -> Any:
        """This graph as a networkx ``DiGraph`` with the same node names."""
    @property
    def nodes(self) -> List[_Node]:
        """The nodes, in order."""
    @property
    def edges(self) -> List[Tuple[_Node, _Node]]:
        """The directed edges ``(from, to)``."""
    def parents(self, v: _Node) -> Tuple[_Node, ...]: ...
    def children(self, v: _Node) -> Tuple[_Node, ...]: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def is_d_separated(self, x: _Node, y: _Node, z: Optional[Iterable[_Node]] = ()) -> bool:
        """Whether ``x`` and ``y`` are d-separated given the nodes ``z``."""
    def independences(
        self, form: Literal["all", "minimal", "basis"] = "all"
    ) -> List[Tuple[_Node, _Node, Tuple[_Node, ...]]]:
        """The conditional independences the graph implies, ``(x, y, (z, ...))``."""
    def cpdag(self) -> "Cpdag":
        """The CPDAG of the graph's Markov equivalence class."""
    def relations(self, limit: int = 1_000_000) -> List[Dict[str, Any]]:
        """For every pair and causal relation: ``x``, ``y``, ``relation``, ``holds``, ``label``."""

class Cpdag:
    """The CPDAG (essential graph) of a Markov equivalence class."""

    @property
    def nodes(self) -> List[_Node]: ...
    @property
    def directed(self) -> List[Tuple[_Node, _Node]]:
        """Edges every member orients alike."""
    @property
    def undirected(self) -> List[Tuple[_Node, _Node]]:
        """Edges members orient both ways."""
    def mec_size(self) -> int:
        """The exact number of members of the MEC."""
    def members(self, limit: Optional[int] = None) -> List[Dag]:
        """Every member of the MEC; raises ``Error`` above ``limit``."""

class DagIterator(Iterator[Dag]):
    def __iter__(self) -> "DagIterator": ...
    def __next__(self) -> Dag: ...
    def __len__(self) -> int: ...

def sample(
    nodes: int,
    count: int,
    sampler: Literal["er", "edges", "uniform"] = "er",
    edge_prob: Optional[float] = None,
    edges: Optional[int] = None,
    max_in_degree: Optional[int] = None,
    seed: int = 0,
    threads: Optional[int] = None,
) -> List[Dag]:
    """``count`` seeded random DAGs, as ``corrcause graph sample`` draws them."""

def enumerate_dags(nodes: int, labelled: bool = False) -> DagIterator:
    """Every DAG on ``nodes`` nodes: one per isomorphism class, or every labelled one."""

def generate(
    out: _Path, preset: Optional[str] = "default", threads: Optional[int] = None, **options: Any
) -> Dict[str, Any]:
    """Writes a benchmark dataset (``corrcause generate``) and returns its manifest."""

def load(path: _Path, split: Optional[str] = None, threads: Optional[int] = None) -> List[Dict[str, Any]]:
    """The records of a dataset folder, JSONL file or Corr2Cause CSV."""

def score(
    dataset: _Path,
    predictions: Union[
        _Path,
        Sequence[_Path],
        Mapping[Union[str, int], Union[str, bool, int, Mapping[str, Any], Sequence[Any]]],
    ],
    name: Optional[Union[str, Sequence[str]]] = None,
    threads: Optional[int] = None,
    **options: Any,
) -> Dict[str, Any]:
    """The ``corrcause score --format json`` report, as a dict: the yes/no metrics, or for graph
    items the causal-discovery ones (answers may then be graphs, as dicts or edge lists)."""

def run(
    out: _Path,
    model: Optional[Union[str, Sequence[str]]] = None,
    threads: Optional[int] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Asks models every item and scores them (``corrcause run``); returns the report (None for
    a shard), each model's counts and folder, and the lines of models that left items unanswered."""

def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the ``corrcause`` command line in this process; returns its exit status."""

def _console() -> None: ...
