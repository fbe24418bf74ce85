"""Template updates for this repository, run by `.github/workflows/template-update.yml` (and runnable locally).

Three steps, each a subcommand, so the workflow stays a list of calls and this file can be tested:

    python .github/template_update.py check             # is there a newer template release? (GITHUB_OUTPUT)
    python .github/template_update.py update REPORT     # apply it; refuse conflicts; write the pull-request text
    python .github/template_update.py publish REPORT    # open or update the pull request, or an issue

`update` runs `copier update --defaults --skip-answered` to the newest release, then refuses to go on if the
result holds conflict markers, `.rej` files or unmerged paths: it names them, writes the commands that
resolve them locally to REPORT (and the job summary), and exits 1, so nothing is pushed.

`publish` needs a token that may push a branch that changes workflows and open pull requests: the secret
`TEMPLATE_UPDATE_TOKEN` (a fine-grained token with contents, pull requests and workflows write). Without one
it opens (or updates) an issue with the same text instead, saying which secret to add and why: GitHub's
own workflow token cannot push changes to `.github/workflows`, and pull requests it opens run no checks.

Requires git, copier (the workflow installs the version it pins) and, for `publish`, the GitHub CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

BRANCH = "template-update"
TITLE = "Template update"
TOKEN_SECRET = "TEMPLATE_UPDATE_TOKEN"
MARKER = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)
COPIER = shlex.split(os.environ.get("COPIER", "copier"))
"""How to run copier: `$COPIER` (the workflow pins a version: `uvx --from copier==X copier`), else `copier`."""


def run(*argv: str, secret: str = "", env: dict[str, str] | None = None) -> str:
    """A command's standard output, with `env` added to the environment; if it fails, exit showing what it
    printed (never `secret`)."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        message = f"$ {' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        sys.exit(message.replace(secret, "***") if secret else message)
    return done.stdout


def template_versions() -> dict[str, object]:
    """`{"update_available", "current_version", "latest_version"}` from `copier check-update`."""
    data: dict[str, object] = json.loads(run(*COPIER, "check-update", "--output-format", "json"))
    return data


def template_url() -> str:
    """The template's source as recorded in the answers file (`_src_path`)."""
    answers = Path(".copier-answers.yml").read_text(encoding="utf-8")
    found = re.search(r"^_src_path:\s*['\"]?(?P<url>[^'\"\s]+)", answers, re.MULTILINE)
    return found.group("url") if found else ""


def changelog_link(url: str, version: str) -> str:
    """The template's CHANGELOG at `version`, when the template lives on GitHub."""
    found = re.match(r"^(?:gh:|https://github\.com/)(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$", url)
    if not found:
        return f"the CHANGELOG of {url} at {version}"
    return f"https://github.com/{found.group('repo')}/blob/{version}/CHANGELOG.md"


def leftovers() -> list[str]:
    """Files an update left half-done: unmerged paths, `.rej` files, and files with conflict markers."""
    found = {line.split("\t")[-1] for line in run("git", "ls-files", "--unmerged").splitlines()}
    for path in run("git", "ls-files", "--others", "--cached", "--exclude-standard").splitlines():
        file = Path(path)
        rejected = path.endswith(".rej")
        if rejected or (file.is_file() and MARKER.search(file.read_text(encoding="utf-8", errors="replace"))):
            found.add(path)
    return sorted(found)


def say(text: str, *, error: bool = False) -> None:
    """A line for the job's log."""
    (sys.stderr if error else sys.stdout).write(text + "\n")


def write_summary(text: str) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def set_output(**values: str) -> None:
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value}\n" for key, value in values.items())


def check() -> int:
    versions = template_versions()
    available = bool(versions.get("update_available"))
    current, latest = str(versions.get("current_version")), str(versions.get("latest_version"))
    set_output(available=str(available).lower(), current=current, latest=latest)
    say(f"template {current}: " + (f"{latest} is available" if available else "up to date"))
    return 0


def update(report: Path) -> int:
    versions = template_versions()
    current, latest = str(versions.get("current_version")), str(versions.get("latest_version"))
    if not versions.get("update_available"):
        say(f"template {current} is the newest: nothing to do")
        return 0
    run(*COPIER, "update", "--defaults", "--skip-answered")  # to the newest release
    left = leftovers()
    if left:
        files = "\n".join(f"- `{path}`" for path in left)
        text = (
            f"## Template update {current} → {latest} stopped: it conflicts with your changes\n\n"
            f"copier could not merge these files:\n\n{files}\n\n"
            "Resolve them locally, then commit (the update workflow has nothing to do after that):\n\n"
            "```bash\n"
            "copier update --defaults --skip-answered\n"
            "git status                                  # the files above\n"
            "# in each file, keep the right lines and delete the conflict markers around them;\n"
            "# apply each .rej file's change by hand, then delete the .rej file\n"
            "uv run pytest\n"
            f'git commit -am "Update from the template {latest}"\n'
            "```\n"
        )
        report.write_text(text, encoding="utf-8")
        write_summary(text)
        say(text, error=True)
        return 1
    changed = run("git", "status", "--short").splitlines()
    text = (
        f"## Template update {current} → {latest}\n\n"
        f"This brings the project from template release {current} to {latest}. What changed, and anything to\n"
        f"do: {changelog_link(template_url(), latest)}.\n\n"
        f"Files changed ({len(changed)}):\n\n" + "\n".join(f"- `{line[3:]}`" for line in changed) + "\n\n"
        "Made by `.github/workflows/template-update.yml` with `copier update --defaults --skip-answered`; "
        "no conflicts, and the fast checks passed.\n"
    )
    report.write_text(text, encoding="utf-8")
    write_summary(text)
    set_output(title=f"{TITLE} {current} → {latest}")
    say(text)
    return 0


def publish(report: Path, title: str) -> int:
    body = report.read_text(encoding="utf-8")
    token = os.environ.get(TOKEN_SECRET, "")
    if not token:
        body += (
            f"\n---\nThis is an issue, not a pull request, because the secret `{TOKEN_SECRET}` is not set. "
            "GitHub's own workflow token cannot push changes to `.github/workflows`, and pull requests it opens "
            "run no checks. Add a fine-grained token with contents, pull requests and workflows write as the "
            f"repository secret `{TOKEN_SECRET}`, or apply the update locally: "
            "`copier update --defaults --skip-answered`.\n"
        )
        return open_or_edit("issue", title, body, env={})
    run("git", "checkout", "-B", BRANCH)
    run("git", "add", "--all")
    run(
        "git",
        "-c",
        "user.name=template-update",
        "-c",
        "user.email=template-update@users.noreply.github.com",
        "commit",
        "--quiet",
        "--message",
        title,
    )
    remote = os.environ.get("TEMPLATE_UPDATE_REMOTE") or (
        f"https://x-access-token:{token}@github.com/{os.environ['GITHUB_REPOSITORY']}.git"
    )
    run("git", "push", "--force", "--quiet", remote, f"HEAD:refs/heads/{BRANCH}", secret=token)
    return open_or_edit("pr", title, body, env={"GH_TOKEN": token})


def open_or_edit(kind: str, title: str, body: str, env: dict[str, str]) -> int:
    """Edit the open pull request (from BRANCH) or issue (titled TITLE...) if there is one, else open one."""
    if kind == "pr":
        listing = ["gh", "pr", "list", "--head", BRANCH, "--state", "open", "--json", "number"]
    else:
        listing = ["gh", "issue", "list", "--state", "open", "--search", f"in:title {TITLE}", "--json", "number,title"]
    found = json.loads(run(*listing, env=env))
    found = [item for item in found if kind == "pr" or str(item.get("title", "")).startswith(TITLE)]
    if found:
        command = ["gh", kind, "edit", str(found[0]["number"]), "--title", title, "--body", body]
    elif kind == "pr":
        command = ["gh", "pr", "create", "--head", BRANCH, "--title", title, "--body", body]
    else:
        command = ["gh", "issue", "create", "--title", title, "--body", body]
    say(run(*command, env=env).strip())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("check", help="is there a newer template release?")
    for name in ("update", "publish"):
        step = steps.add_parser(name)
        step.add_argument("report", type=Path, help="the pull-request text (written by update, read by publish)")
        if name == "publish":
            step.add_argument("--title", default=TITLE)
    args = parser.parse_args()
    if args.step == "check":
        return check()
    if args.step == "update":
        return update(args.report)
    return publish(args.report, args.title)


if __name__ == "__main__":
    sys.exit(main())
