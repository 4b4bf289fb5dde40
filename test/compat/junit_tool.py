"""Reads pytest --junitxml output for the compat suites.

  junit_tool.py count XML                 prints "N passed, M failed" (skips and xfails not counted); exit 1 if M > 0
  junit_tool.py check XML EXPECTED_FILE   upstream suite: passes iff exactly the tests listed in EXPECTED_FILE fail.
                                          Prints unexpected failures and unexpected passes, then
                                          "N passed, M failed" where N = tests that passed as expected and
                                          M = unexpected failures + unexpected passes (listed tests that failed as
                                          expected are counted in neither, and printed as "K expected failures").
  junit_tool.py report XML                prints every failing test with the first line of its error

EXPECTED_FILE: one test per line, `<test name>  <category>: <reason>`; '#' starts a comment line.
Categories: broken-upstream-grpc (spec mlmd-rpc.md 8.1: the test itself is broken in gRPC mode),
            needs-issue-3 (filter_query / GetLineageSubgraph, tracked as issue #3).
"""
import re
import sys
import xml.etree.ElementTree as ET

CATEGORIES = {'broken-upstream-grpc', 'needs-issue-3'}


def outcomes(path):
  """name -> (outcome, first error line); outcome in passed/failed/skipped/xfailed."""
  root = ET.parse(path).getroot()
  result = {}
  for case in root.iter('testcase'):
    name = case.get('name')
    outcome, message = 'passed', ''
    for child in case:
      if child.tag in ('failure', 'error'):
        outcome = 'failed'
        message = child.get('message') or (child.text or '').strip()
        break
      if child.tag == 'skipped':
        outcome = 'xfailed' if child.get('type') == 'pytest.xfail' else 'skipped'
        message = child.get('message') or ''
    first = next((l.strip() for l in message.splitlines() if l.strip()), '')
    if name in result and result[name][0] == 'failed':
      continue  # keep a failure over a later teardown entry of the same test
    result[name] = (outcome, first[:300])
  return result


def read_expected(path):
  expected, problems = {}, []
  with open(path, encoding='utf-8') as f:
    for n, raw in enumerate(f, 1):
      line = raw.strip()
      if not line or line.startswith('#'):
        continue
      m = re.match(r'^(\S+)\s+([a-z0-9-]+):\s*(\S.*)$', line)
      if not m:
        problems.append(f'{path}:{n}: expected "<test> <category>: <reason>", got: {line}')
        continue
      name, category, reason = m.groups()
      if category not in CATEGORIES:
        problems.append(f'{path}:{n}: unknown category {category!r} (known: {", ".join(sorted(CATEGORIES))})')
      if name in expected:
        problems.append(f'{path}:{n}: {name} listed twice')
      expected[name] = (category, reason)
  return expected, problems


def main(argv):
  cmd = argv[1]
  res = outcomes(argv[2])
  if not res:
    print('no test case in the JUnit file')
    print('0 passed, 1 failed')
    return 1
  if cmd == 'count':
    p = sum(1 for o, _ in res.values() if o == 'passed')
    f = sum(1 for o, _ in res.values() if o == 'failed')
    for name, (o, msg) in sorted(res.items()):
      if o == 'failed':
        print(f'FAILED {name}: {msg}')
    print(f'{p} passed, {f} failed')
    return 1 if f else 0
  if cmd == 'report':
    failing = [(n, m) for n, (o, m) in sorted(res.items()) if o == 'failed']
    for n, m in failing:
      print(f'{n}\t{m}')
    counts = {}
    for o, _ in res.values():
      counts[o] = counts.get(o, 0) + 1
    print(f'# {len(res)} tests: ' + ', '.join(f'{v} {k}' for k, v in sorted(counts.items())))
    return 0
  if cmd == 'check':
    expected, problems = read_expected(argv[3])
    for p in problems:
      print(f'BAD EXPECTATION {p}')
    passed = expected_failures = 0
    unexpected_fail, unexpected_pass, missing = [], [], []
    for name, (o, msg) in sorted(res.items()):
      if o == 'failed':
        if name in expected:
          expected_failures += 1
        else:
          unexpected_fail.append((name, msg))
      elif o == 'passed':
        if name in expected:
          unexpected_pass.append(name)
        else:
          passed += 1
    for name in sorted(expected):
      if name not in res:
        missing.append(name)
    for name, msg in unexpected_fail:
      print(f'UNEXPECTED FAILURE {name}: {msg}')
    for name in unexpected_pass:
      print(f'UNEXPECTED PASS {name} (listed as {expected[name][0]}: {expected[name][1]}) -- remove it from the list')
    for name in missing:
      print(f'LISTED BUT NOT RUN {name} -- remove it from the list')
    skipped = sum(1 for o, _ in res.values() if o in ('skipped', 'xfailed'))
    print(f'upstream: {len(res)} tests; {passed} passed, {expected_failures} expected failures, '
          f'{skipped} skipped/xfailed, {len(unexpected_fail)} unexpected failures, '
          f'{len(unexpected_pass)} unexpected passes, {len(missing)} listed but not run')
    failed = len(unexpected_fail) + len(unexpected_pass) + len(missing) + len(problems)
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0
  print(__doc__)
  return 2


if __name__ == '__main__':
  sys.exit(main(sys.argv))
