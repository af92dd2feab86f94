#!/usr/bin/python3
"""make mutants: one deliberate bug at a time, from tests/mutants.tsv.

For each mutant: replace the exact original text (which must occur once) in its file, rebuild
incrementally what the tests named for it run, run those tests, restore the file, and report
whether a test failed (killed) or all passed (survived). Exit 1 when any mutant survived, could
not be applied or did not compile.
Usage: scripts/mutants.py BUILD_DIR [FILTER]   (FILTER: a regular expression over the promises)
       scripts/mutants.py --check   (make test: every mutant still applies, i.e. its original
                                     text occurs exactly once; a code change that moved it would
                                     otherwise leave its promise unguarded in silence)
"""
import json
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build")
only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] != "--check" else ""


def run(command):
    return subprocess.run(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def build_command(tests):
    """Rebuilds only the executables the mutant's tests run (and what they depend on).

    A mutant in events/ used to relink every binary of the tree, minutes each. A test whose
    command is not an executable of the build folder (a script that may run any of them) gets
    the whole tree built, as before.
    """
    listed = run(["ctest", "--test-dir", str(build), "-R", tests, "--show-only=json-v1"])
    try:
        commands = [test["command"] for test in json.loads(listed.stdout).get("tests", [])]
    except (json.JSONDecodeError, KeyError):
        commands = []
    build_folder = build.resolve()
    executables = {pathlib.Path(command[0]).resolve() for command in commands if command}
    if not executables or any(build_folder not in executable.parents for executable in executables):
        return ["cmake", "--build", str(build)]
    # Ninja takes an output's path as a target; the test binaries' dependencies on the kakitome
    # binary (add_dependencies in tests/CMakeLists.txt) come with it.
    return ["cmake", "--build", str(build), "--target",
            *sorted(str(executable.relative_to(build_folder)) for executable in executables)]


mutants = []
for number, line in enumerate((root / "tests/mutants.tsv").read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip() or line.startswith("#"):
        continue
    fields = line.split("\t")
    if len(fields) != 5:
        sys.exit(f"tests/mutants.tsv:{number}: want 5 tab-separated fields, got {len(fields)}")
    if re.search(only, fields[0]):
        mutants.append(fields)

if sys.argv[1:2] == ["--check"]:
    stale = [f"{promise}: the original occurs {(root / file).read_text(encoding='utf-8').count(original)} times in {file}"
             for promise, file, original, _, _ in mutants
             if (root / file).read_text(encoding="utf-8").count(original) != 1]
    print("\n".join(stale) or f"{len(mutants)} mutants apply")
    sys.exit(1 if stale else 0)

results = []
for promise, file, original, replacement, tests in mutants:
    path = root / file
    text = path.read_text(encoding="utf-8")
    if text.count(original) != 1:
        results.append((promise, "NOT APPLIED", f"the original occurs {text.count(original)} times in {file}"))
        print(f"{promise}: not applied", flush=True)
        continue
    try:
        path.write_text(text.replace(original, replacement), encoding="utf-8")
        built = run(build_command(tests))
        if built.returncode != 0:
            # A mutant the compiler refuses proves nothing about the tests: rewrite it.
            results.append((promise, "NOT BUILT", "the mutant does not compile"))
        else:
            ran = run(["ctest", "--test-dir", str(build), "-R", tests, "-j2", "--timeout", "300"])
            failed = [l.split(" - ")[1].split(" (")[0] for l in ran.stdout.splitlines()
                      if " - " in l and "(Failed" in l or " - " in l and "(Timeout" in l]
            if "No tests were found" in ran.stdout:
                results.append((promise, "NOT APPLIED", f"no test matches {tests}"))
            elif ran.returncode != 0:
                results.append((promise, "KILLED", ", ".join(failed[:3]) or "a test failed"))
            else:
                results.append((promise, "SURVIVED", f"{tests} all passed"))
    finally:
        path.write_text(text, encoding="utf-8")
    print(f"{promise}: {results[-1][1]} ({results[-1][2]})", flush=True)

run(["cmake", "--build", str(build)])  # leave the build matching the sources
killed = sum(1 for r in results if r[1] == "KILLED")
print(f"\nmutants: {killed} of {len(results)} killed")
for promise, verdict, how in results:
    print(f"  {verdict:11} {promise} — {how}")
sys.exit(0 if killed == len(results) else 1)
