"""The README's Python example runs, twice in a row, as shown."""
import ast
import os
import re

import pytest

import kv

from conftest import SRCDIR, run_python


def readme_example():
    path = os.path.join(SRCDIR, "README.md")
    if not os.path.exists(path):
        pytest.skip("no README.md at %s" % path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    m = re.search(r"```python\n(.*?)```", section, re.S)
    assert m, "README's Python section has no python example"
    return m.group(1)


def test_readme_example(tmp_path):
    code = "import os, sys\nos.chdir(sys.argv[1])\n" + readme_example()
    for _ in range(2):                  # a second run finds the schema
        proc = run_python(code, str(tmp_path))
        lines = proc.stdout.splitlines()
        assert ast.literal_eval(lines[0]) == {
            "lr": 0.001, "dataset": "cifar10", "epoch": 3, "loss": 0.41}
        assert lines[1].startswith("refused: ") and "lr" in lines[1]
    with kv.open(str(tmp_path / "runs.kv"), "r") as db:
        assert db.keys("metrics/0001/") == [b"metrics/0001/001",
                                            b"metrics/0001/002",
                                            b"metrics/0001/003"]
        assert db["metrics/0001/003"] == b"0.41"
