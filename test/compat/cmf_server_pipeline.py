"""A pipeline logged by PyPI cmflib 0.1.0 in a project prepared by `cmf init local` (git with cmf_origin, DVC): the
local store the cmf-server suites push with the real `cmf` CLI.

    python cmf_server_pipeline.py NAME          three stages, four executions: datasets (one a directory with a
                                                label), a dataslice, step metrics, a model, execution metrics, the
                                                Python environment file of every execution
    python cmf_server_pipeline.py NAME --extra  one more execution in a fourth stage; prints its Execution_uuid
"""
import sys

from cmflib.cmf import Cmf


def main(name: str, extra: bool) -> None:
    cmf = Cmf(filepath="mlmd", pipeline_name=name, custom_properties={"owner": "qa"})
    if extra:
        cmf.create_context("report", {"kind": "extra"})
        execution = cmf.create_execution("Report", {"format": "html", "pages": 2}, cmd="['report.py']")
        cmf.log_dataset("data/test.csv", "input")
        cmf.log_execution_metrics("report", {"pages": 2, "score": 0.5})
        cmf.finalize()
        print(execution.properties["Execution_uuid"].string_value)
        return

    cmf.create_context("prepare", {"user-metadata1": "v1"})
    cmf.create_execution("Prepare", {"split": 0.2, "seed": 20220520}, cmd="['prepare.py']")
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
    for epochs in (3, 5):
        cmf.create_execution("Train", {"lr": 0.01, "epochs": epochs}, cmd=f"['train.py', '{epochs}']")
        cmf.log_dataset("data/train.csv", "input")
        for loss in (0.5, 0.25):
            cmf.log_metric("training_metrics", {"loss": loss / epochs, "acc": 1 - loss})
        cmf.commit_metrics("training_metrics")
        cmf.log_execution_metrics("metrics", {"auc": 0.9, "epochs": epochs})
        cmf.finalize()
    cmf.log_model("model/rf.pkl", "output", model_framework="sklearn", model_type="RF",
                  model_name="rf", custom_properties={"depth": 4})

    cmf.create_context("evaluate")
    cmf.create_execution("Evaluate", {}, cmd="['evaluate.py']")
    cmf.log_model("model/rf.pkl", "input")
    cmf.log_dataset("data/test.csv", "input")
    cmf.log_execution_metrics("eval", {"accuracy": 0.75})
    cmf.finalize()


if __name__ == "__main__":
    main(sys.argv[1], "--extra" in sys.argv[2:])
