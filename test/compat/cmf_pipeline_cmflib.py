"""The compat pipeline run through cmflib itself (PyPI cmflib, installed --no-deps beside ml-metadata 1.17.1).

Run inside a prepared project directory (git repo with a remote, DVC with a default remote): writes ./mlmd.
The same pipeline is run through our TypeScript SDK by cmf-pipeline-sdk.ts; keep the two in step.
"""
import sys

from cmflib.cmf import Cmf


def main() -> None:
    cmf = Cmf(filepath="mlmd", pipeline_name="compat", custom_properties={"owner": "qa", "version": 2})
    cmf.create_context("prepare", {"user-metadata1": "v1"})
    cmf.create_execution("Prepare", {"split": 0.2, "seed": 20220520, "note": "first"}, cmd="['prepare.py']")
    cmf.log_dataset("data/raw", "input", {"source": "web", "weight": 1.5},
                    label="data/labels.csv", label_properties={"user1": "xyz"})
    cmf.log_dataset("data/train.csv", "output")
    cmf.log_dataset("data/test.csv", "output", {"rows": 2})
    dataslice = cmf.create_dataslice("slice-a")
    dataslice.add_data("data/raw/a/1.xml", {"label": 0})
    dataslice.add_data("data/raw/b/2.xml", {"label": 1})
    dataslice.commit({"purpose": "bias"})
    cmf.finalize()

    cmf.create_context("train")
    cmf.create_execution("Train", {"lr": 0.01, "epochs": 3}, cmd="['train.py']")
    cmf.log_dataset("data/train.csv", "input")
    for loss in (0.5, 0.25, 0.125):
        cmf.log_metric("training_metrics", {"loss": loss, "acc": loss / 2})
    cmf.commit_metrics("training_metrics")
    cmf.log_model("model/rf.pkl", "output", model_framework="sklearn", model_type="RF",
                  model_name="rf", custom_properties={"depth": 4})
    cmf.log_execution_metrics("metrics", {"auc": 0.91, "n": 5})
    cmf.finalize()

    cmf.create_context("evaluate")
    cmf.create_execution("Evaluate", {}, cmd="['evaluate.py']")
    cmf.log_model("model/rf.pkl", "input")
    cmf.log_dataset("data/test.csv", "input")
    cmf.log_execution_metrics("eval", {"accuracy": 0.75})
    cmf.finalize()


if __name__ == "__main__":
    main()
    sys.exit(0)
