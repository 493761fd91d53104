"""docs/EXTENDING.md, section 1, followed literally on a copy of the project: its commands, in its
order, with its worked example (docs/examples/ask_psychotherapy.yml) as the file staff write.
`make test` itself is the suite this test belongs to; on the copy, its checks of the new topic's
files run instead (the generated files, the data and domain, the repository tests)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest
import yaml

from tests.support.project import ROOT, tracked_files

GUIDE = ROOT / "docs" / "EXTENDING.md"
EXAMPLE = ROOT / "docs" / "examples" / "ask_psychotherapy.yml"
NAME = "ask_psychotherapy"


def guide_commands() -> List[str]:
    """The shell commands of section 1, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## 1. "):text.index("## 2. ")]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """The project's files (tracked, and new ones not ignored), with the shared virtual environment."""
    copy = tmp_path / "project"
    others = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    for name in set(tracked_files()) | set(others):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    # A repository of its own, as a clone would be: the repository tests read what git tracks.
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=copy, check=True, capture_output=True)
    return copy


def run(project: Path, command: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    return subprocess.run(command.split(), cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_the_guide_adds_its_example_topic_with_one_file_and_two_commands(project_copy):
    assert guide_commands() == [f"make new-faq NAME={NAME}", f"make check-topic NAME={NAME}",
                                f"make test-topic NAME={NAME}", "make shell", "make test"]
    assert not (ROOT / "topics" / f"{NAME}.yml").exists(), "the example topic must stay out of the project"

    created = run(project_copy, f"make new-faq NAME={NAME}")
    assert created.returncode == 0, cause(created)
    skeleton = project_copy / "topics" / f"{NAME}.yml"
    assert "TODO" in skeleton.read_text(encoding="utf-8")

    # Step 2, "fill it in": the finished example is what staff would have written.
    shutil.copy2(EXAMPLE, skeleton)
    checked = run(project_copy, f"make check-topic NAME={NAME}")
    output = checked.stdout + checked.stderr
    assert checked.returncode == 0, cause(checked)
    assert re.search(rf"{NAME} on the held-out set .*precision \d\.\d\d, recall \d\.\d\d, F1 \d\.\d\d", output), output
    assert f"test-artifacts/check-topic-{NAME}.json" in output

    assert f"utter_{NAME}" in (project_copy / "domain.yml").read_text(encoding="utf-8")
    assert f"`{NAME}`" in (project_copy / "docs" / "INTENTS.md").read_text(encoding="utf-8")

    # Step 4: what the topic can break, on the copy (the repository tests read what git tracks).
    subprocess.run(["git", "add", "-A"], cwd=project_copy, check=True, capture_output=True)  # the new topic too
    tested = run(project_copy, f"make test-topic NAME={NAME}")
    assert tested.returncode == 0, cause(tested)
    # Its gate passed in step 3 and nothing changed since: not trained again.
    assert "not checked again" in tested.stdout and "training the intent classifier" not in tested.stdout
    # Step 5 (`make shell`) is a conversation at the terminal; step 6 (`make test`) is the suite this
    # test belongs to.


def test_a_skeleton_left_unfilled_is_refused_naming_its_first_placeholder(project_copy):
    run(project_copy, f"make new-faq NAME={NAME}")
    checked = run(project_copy, "make topics-current")
    assert checked.returncode != 0
    assert re.match(rf"topics/{NAME}\.yml:\d+: `title` still says TODO", cause(checked)), cause(checked)


def cause(result: subprocess.CompletedProcess) -> str:
    """The one line of a failed command's output that names what is wrong: a topic file's line, a
    failed test's summary, or an error; else its last line."""
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"(topics/\S+:\d+:|FAILED |ERROR |E\s+\w*Error|make: \*\*\*)", line)]
    return (named or lines or ["(no output)"])[0]


def test_an_example_copied_from_a_neighbour_is_named_as_the_same_question(project_copy):
    """An example of another topic, copied into the new one, is reported with the topic that owns it,
    and the check fails until the question is kept in one topic."""
    run(project_copy, f"make new-faq NAME={NAME}")
    topic = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    copied = yaml.safe_load((ROOT / "topics" / "ask_infusion_duration.yml").read_text(encoding="utf-8"))["examples"][1]
    topic["examples"].append(copied)
    (project_copy / "topics" / f"{NAME}.yml").write_text(yaml.safe_dump(topic, sort_keys=False), encoding="utf-8")
    checked = run(project_copy, f"make check-topic NAME={NAME}")
    assert checked.returncode != 0, cause(checked)
    assert re.search(rf'the same question in two topics: "{re.escape(copied)}" here and .* in ask_infusion_duration '
                     r"\(topics/ask_infusion_duration\.yml\)", checked.stdout), checked.stdout[-2000:]
