"""The corrcause task's Python side for lm-evaluation-harness (written by `corrcause export lm-eval`).

`load` reads the task's rows from corrcause.jsonl beside this file (so the folder can be moved);
`process_results` reads each answer as `corrcause score` does and gives accuracy, and the
(label, prediction) pairs that `f1` and `mcc` (corrcause's definitions, which lm-eval does not
bootstrap, unlike its own sklearn aggregations) aggregate.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from corrcause_answer import decided, f1, mcc  # noqa: E402, F401


def load(task=None, **_metadata):
    import datasets

    data = datasets.load_dataset("json", data_files={"test": os.path.join(HERE, "corrcause.jsonl")})
    if task is not None:
        data["test"] = data["test"].filter(lambda row: row["task"] == task)
    return data


def process_results(doc, results):
    label = int(doc["label"])
    prediction = decided(results[0], label)
    return {"acc": float(prediction == label), "f1": (label, prediction), "mcc": (label, prediction)}
