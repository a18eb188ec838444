"""corrcause as an inspect_ai task (written by `corrcause export inspect`).

    inspect eval corrcause.py --model <any inspect model>

Each sample's id is the corrcause id and its input the prompt `corrcause run` sends; the scorer
reads answers as `corrcause score` does (corrcause_answer.py beside this file), so that
`corrcause score --dataset D --predictions LOG.eval` agrees with inspect's accuracy. `-T variant=NAME`
keeps the items of one variant (the `task` field of corrcause.jsonl).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import corrcause_answer as reader  # noqa: E402
from inspect_ai import Task, task  # noqa: E402
from inspect_ai.dataset import FieldSpec, json_dataset  # noqa: E402
from inspect_ai.model import GenerateConfig  # noqa: E402
from inspect_ai.scorer import (  # noqa: E402
    CORRECT,
    INCORRECT,
    Score,
    SampleScore,
    Target,
    accuracy,
    metric,
    scorer,
    stderr,
)
from inspect_ai.solver import TaskState, generate  # noqa: E402

MAX_TOKENS = __MAX_TOKENS__
TEMPERATURE = __TEMPERATURE__


def _pairs(scores):
    return [(s.score.metadata["label"], s.score.metadata["prediction"]) for s in scores]


@metric
def f1():
    """F1 of the valid class."""

    def compute(scores: list[SampleScore]) -> float:
        return reader.f1(_pairs(scores))

    return compute


@metric
def mcc():
    """Matthews correlation coefficient."""

    def compute(scores: list[SampleScore]) -> float:
        return reader.mcc(_pairs(scores))

    return compute


@scorer(metrics=[accuracy(), stderr(), f1(), mcc()])
def corrcause_answer():
    """Reads the answer as `corrcause score` does; an unreadable one counts as wrong."""

    async def score(state: TaskState, target: Target) -> Score:
        label = int(state.metadata["label"])
        text = state.output.completion
        answer = reader.read(text)
        prediction = reader.decided(text, label)
        return Score(
            value=CORRECT if prediction == label else INCORRECT,
            answer={1: "Yes", 0: "No", None: "unparsed"}[answer],
            metadata={"label": label, "prediction": prediction},
        )

    return score


@task
def corrcause(variant: str | None = None):
    dataset = json_dataset(
        os.path.join(HERE, "corrcause.jsonl"),
        FieldSpec(
            input="prompt",
            target="target",
            id="id",
            metadata=__METADATA__,
        ),
    )
    if variant is not None:
        dataset = dataset.filter(lambda sample: sample.metadata["task"] == variant)
    return Task(
        dataset=dataset,
        solver=generate(),
        scorer=corrcause_answer(),
        config=GenerateConfig(temperature=TEMPERATURE, max_tokens=MAX_TOKENS),
    )
