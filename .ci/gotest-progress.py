#!/usr/bin/env python3
"""Shows the progress of `go test -json` and ends with go test's own lines.

Usage: go test -json [flags] [packages] | python3 .ci/gotest-progress.py

While the tests run it prints one line per top-level test as it ends
(PASS, FAIL or SKIP, its time and its package), the whole output of every
failed test (subtests included) as soon as it fails, build errors, and the
output of a package that fails outside any test (a panic in TestMain, a
timeout). At the end it prints, in the order go test started the
packages, the lines go test prints without -json: "ok <pkg> <time>",
"FAIL <pkg> ...", "? <pkg> [no test files]".

The exit status is 1 if any test or package failed, 0 otherwise; the caller
also checks go test's own status (set -o pipefail).
"""

import json
import sys
import time


def main():
    start = time.monotonic()
    order = []          # packages, in the order go test started them
    summary = {}        # package -> its closing lines (ok/FAIL/?)
    pkg_out = {}        # package -> output outside tests
    test_out = {}       # (package, top-level test) -> output lines
    failed = False
    for raw in sys.stdin:
        try:
            ev = json.loads(raw)
        except ValueError:
            # Not JSON: go test's own messages (e.g. a build failure
            # before any package ran). Show them as they are.
            sys.stdout.write(raw)
            continue
        action = ev.get("Action", "")
        if action == "build-output":
            sys.stdout.write(ev.get("Output", ""))
            continue
        if action == "build-fail":
            failed = True
            continue
        pkg = ev.get("Package", "")
        test = ev.get("Test", "")
        if pkg and pkg not in summary:
            order.append(pkg)
            summary[pkg] = []
            pkg_out[pkg] = []
        if action == "output":
            out = ev.get("Output", "")
            if test:
                test_out.setdefault((pkg, test.split("/")[0]), []).append(out)
            elif out.startswith(("ok  ", "FAIL\t", "?   ", "FAIL ")):
                summary[pkg].append(out)
            else:
                pkg_out[pkg].append(out)
            continue
        if action in ("pass", "fail", "skip") and test and "/" not in test:
            lines = test_out.pop((pkg, test), [])
            elapsed = ev.get("Elapsed", 0)
            mark = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[action]
            print(f"[{time.monotonic() - start:5.0f}s] {mark} {test} ({elapsed:.2f}s) {pkg}", flush=True)
            if action == "fail":
                failed = True
                sys.stdout.write("".join(lines))
            elif action == "skip":
                # The reason given to t.Skip.
                why = [l for l in lines if not l.startswith(("=== ", "--- "))]
                sys.stdout.write("".join(why[-3:]))
            sys.stdout.flush()
            continue
        if action == "fail" and not test:
            failed = True
            rest = [l for l in pkg_out.get(pkg, []) if l.strip() not in ("FAIL", "PASS")]
            if rest:
                print(f"--- output of {pkg} outside its tests:")
                sys.stdout.write("".join(rest))
            for (p, t), lines in list(test_out.items()):
                if p == pkg:  # a test that never ended: panic or timeout
                    print(f"--- output of unfinished {t} in {pkg}:")
                    sys.stdout.write("".join(lines))
                    del test_out[(p, t)]
            sys.stdout.flush()
    print(f"== go test: done in {time.monotonic() - start:.0f}s")
    for pkg in order:
        sys.stdout.write("".join(summary[pkg]))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
