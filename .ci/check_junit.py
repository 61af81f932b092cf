"""Fail CI when a part of the suite was skipped rather than run.

The browser tests, the PostgreSQL run, Redis (rate limits across processes) and the S3 storage
(moto's server) must all really run. The only skips allowed are tests written for the other
database engine, which say so in their reason.
"""

import re
import sys
import xml.etree.ElementTree as ET

reasons: dict[str, str] = {}
OTHER_ENGINE = re.compile(r"postgres|sqlite", re.IGNORECASE)


def outcomes(path):
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        if (skipped := case.find("skipped")) is not None:
            results[name] = "skipped"
            reasons[name] = f"{skipped.get('message', '')} {skipped.text or ''}"
        elif case.find("failure") is not None or case.find("error") is not None:
            results[name] = "failed"
        else:
            results[name] = "passed"
    return results


def main(sqlite_xml, postgresql_xml):
    problems = []
    for label, path in (("SQLite", sqlite_xml), ("PostgreSQL", postgresql_xml)):
        results = outcomes(path)
        browser = {name: outcome for name, outcome in results.items() if name.startswith("tests.e2e.")}
        if not browser:
            problems.append(f"{label}: no browser test was collected")
        for name, outcome in browser.items():
            if outcome != "passed":
                problems.append(f"{label}: browser test {name} {outcome}")
        for name, outcome in results.items():
            if outcome == "skipped" and not OTHER_ENGINE.search(reasons.get(name, "")):
                problems.append(f"{label}: {name} skipped: {reasons.get(name, '').strip()[:200]}")
        print(f"{label}: {sum(o == 'passed' for o in results.values())} passed, "
              f"{sum(o == 'failed' for o in results.values())} failed, "
              f"{sum(o == 'skipped' for o in results.values())} skipped; browser tests passed: "
              f"{sum(o == 'passed' for o in browser.values())}")
    pg = outcomes(postgresql_xml).get("tests.test_databases.test_runs_on_postgresql")
    if pg != "passed":
        problems.append(f"PostgreSQL: tests.test_databases.test_runs_on_postgresql {pg or 'missing'}")
    for problem in problems:
        print("CI check failed:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
